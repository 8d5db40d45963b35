"""评分表: the assessors' score grid and the 关键事件 side panel (issue 5, SPEC §3.2).

The page lists the participants in the user's scope × the leaves of one dimension for
one source. Each cell autosaves (htmx) through `scoring.services.enter_score` and gets
back the re-rendered cell with the row's and columns' counters out of band. A refused
value and a stale version (with the other person's value) come back as the cell saying
so; a refusal of the service answers 403 with the cell saying why. Browsers log every
4xx as an error, so what a person merely needs to correct is a 200 (as in the
template editor).
"""

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from assessment.models import Cycle, Participant
from core.versioning import StaleVersion
from core.views import BreadcrumbsMixin, int_or_none
from indicators.models import IndicatorNode
from org.access import RoleRequiredMixin
from org.scope import Role
from scoring import grid, incidents
from scoring.models import CriticalIncident, Source
from scoring.services import enter_score, withdraw_score

# Staff read the grid and the incidents of their scope; secretaries never (403).
GRID_ROLES = (Role.ADMIN, Role.COUNTY_ASSESSOR, Role.TOWN_ASSESSOR, Role.OBSERVER)
ENTERING_ROLES = grid.ENTERING_ROLES


class ScoreGridView(RoleRequiredMixin, BreadcrumbsMixin, TemplateView):
    """评分表 of one cycle: ?source= (target/org), ?dimension=, ?town=, ?page=."""

    roles = GRID_ROLES
    template_name = "scoring/grid.html"

    def get(self, request, *args, **kwargs):
        self.cycle = get_object_or_404(
            Cycle.objects.for_user(request.user).select_related("county"), pk=kwargs["pk"]
        )
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["cycle"] = self.cycle
        if self.cycle.frozen_template_id is not None:
            query = self.request.GET
            context["grid"] = grid.load_grid(
                self.request.user,
                self.cycle,
                source=query.get("source"),
                dimension_id=int_or_none(query.get("dimension")),
                town_id=int_or_none(query.get("town")),
                page=query.get("page") or 1,
            )
        return context

    def get_breadcrumbs(self):
        return [
            (_("考核周期"), reverse("cycle-list")),
            (self.cycle.name, reverse("cycle-detail", args=[self.cycle.pk])),
            (_("评分表"), None),
        ]


def scoped_participant(user, pk):
    return get_object_or_404(
        Participant.objects.for_user(user).select_related(
            "cycle__county", "community__parent", "secretary"
        ),
        pk=pk,
    )


class ScoreCellView(RoleRequiredMixin, View):
    """One cell autosaved: the user's own value for a participant, leaf and source."""

    roles = ENTERING_ROLES

    def post(self, request, pk):
        user, data = request.user, request.POST
        participant = scoped_participant(user, pk)
        cycle = participant.cycle
        leaf = get_object_or_404(
            IndicatorNode.objects.filter(
                template_id=cycle.frozen_template_id, children__isnull=True
            ),
            pk=int_or_none(data.get("leaf")),
        )
        source = data.get("source")
        if source not in grid.GRID_SOURCES:
            return HttpResponseBadRequest(_("评分来源无效，请刷新页面后重试。"))
        kind_of_input = "level" if "level" in data else "value"
        typed = data.get(kind_of_input, "")
        note = (
            data["note"] if "note" in data else grid.current_note(user, participant, leaf, source)
        )
        outcome = {}
        status = 200
        value = level = None
        try:
            if not typed.strip() and grid.has_own_entry(user, participant, leaf, source):
                # An emptied cell takes the user's value back (an override with it).
                withdraw_score(
                    actor=user,
                    participant=participant,
                    leaf=leaf,
                    source=source,
                    version=int_or_none(data.get("version")),
                )
            else:
                if kind_of_input == "level":
                    level = grid.parse_level(leaf, typed)
                else:
                    value = grid.parse_value(leaf, typed)
                enter_score(
                    actor=user,
                    participant=participant,
                    leaf=leaf,
                    source=source,
                    value=value,
                    level=level,
                    note=note,
                    version=int_or_none(data.get("version")),
                )
            outcome["saved_now"] = True
        except StaleVersion as exc:
            mine = grid.level_text(level) if level is not None else typed
            outcome["conflict"] = _(
                "已被他人修改为 %(value)s，请确认后重新输入（您刚才输入的“%(mine)s”未保存）。"
            ) % {"value": grid.shown_value(exc.current), "mine": mine or _("空")}
        except ValidationError as exc:
            outcome.update(error=" ".join(exc.messages), typed=typed, typed_note=note)
        except PermissionDenied:
            status = 403
            outcome["error"] = _("您不能为 %(who)s 录入%(source)s。") % {
                "who": participant.secretary.name,
                "source": Source(source).label,
            }
        loaded = grid.load_grid(
            user,
            cycle,
            source=source,
            town_id=int_or_none(data.get("town")),
            participant_id=participant.pk,
            leaf_id=leaf.pk,
            participant=participant,
        )
        row = loaded.rows[0]
        cell = row.cell_for(leaf.pk)
        for name, value in outcome.items():
            setattr(cell, name, value)
        return render(
            request,
            "scoring/_grid_cell_response.html",
            {"grid": loaded, "row": row, "cell": cell},
            status=status,
        )


# ------------------------------------------------------------------ 关键事件


class IncidentForm(forms.Form):
    """Parses the panel's form; what is required and allowed is the service's."""

    occurred_on = forms.DateField(
        required=False,
        error_messages={"invalid": gettext_lazy("发生日期的格式应为 年-月-日，例如 2026-03-15。")},
    )
    text = forms.CharField(required=False, strip=False)


class IncidentPanelMixin:
    """Renders the panel; the service's rules decide which buttons it shows."""

    def panel(self, participant, form=None, error=""):
        user = self.request.user
        may_record = incidents.may_record(user, participant) and not participant.cycle.is_locked
        listed = list(
            CriticalIncident.objects.for_user(user)
            .filter(participant=participant)
            .select_related("author")
            .order_by(F("occurred_on").desc(nulls_last=True), "-created_at")
        )
        for incident in listed:
            incident.participant = participant
            incident.deletable = may_record and incidents.may_delete(user, incident)
        context = {
            "participant": participant,
            "incidents": listed,
            "may_record": may_record,
            "form": form,
            "error": error,
        }
        return render(self.request, "scoring/_incident_panel.html", context)


class IncidentPanelView(IncidentPanelMixin, RoleRequiredMixin, View):
    """One participant's critical incidents in the side panel (GET), and adding one."""

    roles = GRID_ROLES

    def get(self, request, pk):
        return self.panel(scoped_participant(request.user, pk))

    def post(self, request, pk):
        participant = scoped_participant(request.user, pk)
        form = IncidentForm(request.POST)
        if not form.is_valid():
            return self.panel(participant, form=form, error=" ".join(_errors(form)))
        try:
            incidents.add_incident(actor=request.user, participant=participant, **form.cleaned_data)
        except ValidationError as exc:
            return self.panel(participant, form=form, error=" ".join(exc.messages))
        return self.panel(participant)


class IncidentDeleteView(IncidentPanelMixin, RoleRequiredMixin, View):
    """Delete one of the participant's incidents (its id posted); answers the panel."""

    roles = ENTERING_ROLES

    def post(self, request, pk):
        participant = scoped_participant(request.user, pk)
        incident = get_object_or_404(
            CriticalIncident.objects.for_user(request.user).filter(participant=participant),
            pk=int_or_none(request.POST.get("incident")),
        )
        try:
            incidents.delete_incident(actor=request.user, incident=incident)
        except ValidationError as exc:
            return self.panel(participant, error=" ".join(exc.messages))
        return self.panel(participant)


def _errors(form):
    return [message for errors in form.errors.values() for message in errors]


urlpatterns = [
    path("cycles/<int:pk>/grid/", ScoreGridView.as_view(), name="score-grid"),
    path("participants/<int:pk>/cells/", ScoreCellView.as_view(), name="score-cell"),
    path("participants/<int:pk>/incidents/", IncidentPanelView.as_view(), name="incident-list"),
    path(
        "participants/<int:pk>/incidents/delete/",
        IncidentDeleteView.as_view(),
        name="incident-delete",
    ),
]
