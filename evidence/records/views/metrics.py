"""The metric grid of a cycle (指标数据): htmx autosave per cell, paste from Excel, and
each community's record checks beside the counted columns. Services decide; these views
look objects up in the user's scope (404 outside) and show the services' answers."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from assessment.models import Cycle
from core.pagination import paginate
from core.versioning import StaleVersion
from core.views import int_or_none
from evidence.records import selectors, services
from evidence.records.forms import MetricImportForm
from indicators.models import MetricDefinition
from org.access import RoleRequiredMixin
from org.models import OrgUnit, OrgUnitKind
from org.scope import scope_of
from scoring.access import STAFF_ROLES


def visible_cycle(user, pk):
    return get_object_or_404(Cycle.objects.for_user(user).select_related("county"), pk=pk)


def cycle_crumbs(cycle, *more):
    return [
        (_("考核周期"), reverse("cycle-list")),
        (cycle.name, reverse("cycle-detail", args=[cycle.pk])),
        *more,
    ]


class MetricGridView(RoleRequiredMixin, View):
    """指标数据: communities × entered/imported metrics; counted ones read-only. A page of
    communities at a time (SPEC §6), found by town or name; the footer counts the filled
    cells of every community in scope."""

    roles = STAFF_ROLES

    def get(self, request, pk):
        cycle = visible_cycle(request.user, pk)
        q = request.GET.get("q", "").strip()[:50]
        town = int_or_none(request.GET.get("town"))
        definitions = selectors.metric_definitions(cycle)
        filled, fillable, communities = selectors.grid_totals(request.user, cycle, definitions)
        page = paginate(
            request,
            selectors.grid_communities(request.user, cycle, q, town),
            count=None if q or town else communities,
        )
        grid = selectors.metric_grid(request.user, cycle, page.object_list, definitions)
        towns = OrgUnit.objects.for_user(request.user).filter(
            path__startswith=cycle.county.path, kind=OrgUnitKind.TOWN
        )
        return render(
            request,
            "evidence/records/metric_grid.html",
            {
                "cycle": cycle,
                "grid": grid,
                "page_obj": page,
                "filled": filled,
                "fillable": fillable,
                "q": q,
                "town": town,
                "towns": towns,
                "imports": not cycle.is_locked
                and scope_of(request.user).has_role(*selectors.METRIC_ENTRY_ROLES),
                "breadcrumbs": cycle_crumbs(cycle, (_("指标数据"), "")),
            },
        )


class MetricCellView(RoleRequiredMixin, View):
    """One cell's autosave: a value saves it, an empty cell clears it."""

    roles = tuple(selectors.METRIC_ENTRY_ROLES)
    http_method_names = ["post"]

    def post(self, request, pk):
        cycle = visible_cycle(request.user, pk)
        community = get_object_or_404(
            OrgUnit.objects.for_user(request.user).filter(kind=OrgUnitKind.COMMUNITY),
            pk=int_or_none(request.POST.get("community")),
        )
        definition = (
            MetricDefinition.objects.filter(
                template_id=cycle.frozen_template_id, key=request.POST.get("key", "")
            )
            .exclude(source=MetricDefinition.Source.COUNTED)
            .first()
        )
        if definition is None:
            raise Http404
        raw = request.POST.get("value", "").strip()
        version = int_or_none(request.POST.get("version"))
        error = ""
        try:
            if raw:
                services.set_metric_value(
                    actor=request.user,
                    cycle=cycle,
                    community=community,
                    key=definition.key,
                    value=raw,
                    version=version,
                )
            else:
                services.clear_metric_value(
                    actor=request.user,
                    cycle=cycle,
                    community=community,
                    key=definition.key,
                    version=version,
                )
        except PermissionDenied as exc:
            raise Http404 from exc
        except StaleVersion as exc:
            error = str(exc)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        cell = selectors.metric_cell(request.user, cycle, community, definition)
        if error:
            cell.error, cell.input_value = error, raw
        filled, fillable = selectors.filled_count(request.user, cycle)
        return render(
            request,
            "evidence/records/_metric_cell_response.html",
            {
                "cell": cell,
                "cycle": cycle,
                "saved_now": not error,
                "filled": filled,
                "fillable": fillable,
            },
        )


class MetricImportView(RoleRequiredMixin, View):
    """Paste from Excel: all or nothing, every error with its line number."""

    roles = tuple(selectors.METRIC_ENTRY_ROLES)

    def render_form(self, request, cycle, form, errors=()):
        return render(
            request,
            "evidence/records/metric_import.html",
            {
                "cycle": cycle,
                "form": form,
                "errors": errors,
                "breadcrumbs": cycle_crumbs(
                    cycle,
                    (_("指标数据"), reverse("metric-grid", args=[cycle.pk])),
                    (_("粘贴导入"), ""),
                ),
            },
        )

    def get(self, request, pk):
        return self.render_form(request, visible_cycle(request.user, pk), MetricImportForm())

    def post(self, request, pk):
        cycle = visible_cycle(request.user, pk)
        form = MetricImportForm(request.POST)
        if not form.is_valid():
            return self.render_form(request, cycle, form)
        try:
            n = services.import_metric_values(
                actor=request.user, cycle=cycle, text=form.cleaned_data["text"]
            )
        except ValidationError as exc:
            return self.render_form(request, cycle, form, exc.messages)
        messages.success(request, _("已导入 %(n)d 条指标数据。") % {"n": n})
        return redirect("metric-grid", pk=cycle.pk)
