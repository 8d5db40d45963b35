"""Rectification pages (整改清单): a cycle's list with filters, counts and the
suggestions panel (建议整改); an item's page with history and evidence; forms for
creating, editing, recording progress, closing and reopening. Rules in the services."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from assessment.models import Cycle
from assessment.selectors import cycle_crumbs
from assessment.services import MANAGER_ROLES as MANAGERS
from assessment.services import may_manage
from core.pagination import head, paginate
from core.versioning import StaleVersion
from core.views import apply_validation_error, int_or_none, report_refusal
from evidence.models import Event, RectificationItem, RectificationSource, RectificationStatus
from evidence.rectification import selectors, services
from evidence.rectification.forms import HANDLER_ROLES, ItemCreateForm, ItemEditForm
from org.access import RoleRequiredMixin
from org.scope import Role


def visible_cycle(user, pk):
    return get_object_or_404(Cycle.objects.for_user(user).select_related("county"), pk=pk)


def visible_item(user, pk):
    return get_object_or_404(
        RectificationItem.objects.for_user(user).select_related(
            "cycle__county",
            "community",
            "participant__secretary",
            "event__event_type",
            "appeal",
            "carried_from__cycle",
            "closed_by",
            "created_by",
        ),
        pk=pk,
    )


def list_crumbs(cycle):
    return [*cycle_crumbs(cycle), (_("整改清单"), reverse("rectification-list", args=[cycle.pk]))]


def done(request, text):
    messages.success(request, text)


# 建议整改 lists this many events; 全部生成 takes them all.
SUGGESTIONS_LISTED = 20


class ItemListView(LoginRequiredMixin, View):
    """The cycle's items the user reaches, filtered, one page at a time (SPEC §6); staff
    who handle items also see the deduction events still without one (the first
    `SUGGESTIONS_LISTED`, and how many there are)."""

    def get(self, request, pk):
        cycle = visible_cycle(request.user, pk)
        item_filter = selectors.ItemFilter.from_query(request.GET)
        handles = services.handles_in(request.user, cycle)
        counts = selectors.status_counts(request.user, cycle)
        unfiltered = item_filter == selectors.NO_FILTER
        page = paginate(
            request,
            selectors.cycle_items(request.user, cycle, item_filter),
            # Unfiltered, the counts per status add up to the list's length.
            count=sum(counts[s] for s in RectificationStatus.values) if unfiltered else None,
        )
        suggestions, suggested = (
            head(selectors.suggested_events(request.user, cycle), SUGGESTIONS_LISTED)
            if handles
            else (None, 0)
        )
        return render(
            request,
            "evidence/rectification/list.html",
            {
                "cycle": cycle,
                "items": page.object_list,
                "page_obj": page,
                "filter": item_filter,
                "counts": counts,
                "statuses": RectificationStatus.choices,
                "sources": RectificationSource.choices,
                "units": selectors.filter_units(request.user, cycle, item_filter.unit),
                "handles": handles,
                "manages": may_manage(request.user, cycle),
                "suggestions": suggestions,
                "suggested": suggested,
                "breadcrumbs": [*cycle_crumbs(cycle), (_("整改清单"), "")],
            },
        )


class ItemCreateView(RoleRequiredMixin, View):
    roles = HANDLER_ROLES

    def render_form(self, request, cycle, form):
        return render(
            request,
            "evidence/rectification/form.html",
            {
                "cycle": cycle,
                "form": form,
                "breadcrumbs": [*list_crumbs(cycle), (_("新增整改事项"), "")],
            },
        )

    def get(self, request, pk):
        cycle = visible_cycle(request.user, pk)
        return self.render_form(request, cycle, ItemCreateForm(user=request.user, cycle=cycle))

    def post(self, request, pk):
        cycle = visible_cycle(request.user, pk)
        form = ItemCreateForm(request.POST, user=request.user, cycle=cycle)
        if not form.is_valid():
            return self.render_form(request, cycle, form)
        data = form.cleaned_data
        try:
            item = services.create_item(actor=request.user, cycle=cycle, **data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
            return self.render_form(request, cycle, form)
        done(request, _("已新增整改事项。"))
        return redirect("rectification-detail", pk=item.pk)


class FromEventsView(RoleRequiredMixin, View):
    """建议整改: one event (`event` posted) or all of them (全部生成)."""

    roles = HANDLER_ROLES
    http_method_names = ["post"]

    def post(self, request, pk):
        cycle = visible_cycle(request.user, pk)
        event_id = int_or_none(request.POST.get("event"))
        try:
            if event_id is not None:
                event = get_object_or_404(
                    Event.objects.for_user(request.user), pk=event_id, participant__cycle=cycle
                )
                item = services.create_from_event(actor=request.user, event=event)
                done(request, _("已生成整改事项：%(problem)s") % {"problem": item.problem})
            else:
                made = services.create_from_events(actor=request.user, cycle=cycle)
                done(request, _("已生成 %(n)d 条整改事项。") % {"n": len(made)})
        except ValidationError as exc:
            report_refusal(request, exc)
        return redirect("rectification-list", pk=cycle.pk)


class CarryOverView(RoleRequiredMixin, View):
    """结转上期未完成整改."""

    roles = MANAGERS
    http_method_names = ["post"]

    def post(self, request, pk):
        cycle = visible_cycle(request.user, pk)
        if not may_manage(request.user, cycle):
            raise Http404
        try:
            copies = services.carry_over(actor=request.user, cycle=cycle)
        except ValidationError as exc:
            report_refusal(request, exc)
        else:
            if copies:
                done(request, _("已结转上期未完成整改 %(n)d 条。") % {"n": len(copies)})
            else:
                messages.info(request, _("没有需要结转的上期未完成整改。"))
        return redirect("rectification-list", pk=cycle.pk)


class ItemDetailView(LoginRequiredMixin, View):
    def get(self, request, pk):
        item = visible_item(request.user, pk)
        user, cycle = request.user, item.cycle
        handles = services.handles(user, cycle, item.community)
        carried_to = RectificationItem.objects.filter(carried_from=item).select_related("cycle")
        return render(
            request,
            "evidence/rectification/detail.html",
            {
                "item": item,
                "cycle": cycle,
                "overdue": selectors.is_overdue(item),
                "carried_to": carried_to.first(),
                "attachments": item.attachments.all(),
                "handles": handles,
                "reports_progress": handles
                or services.is_community_secretary(user, item.community),
                "manages": may_manage(user, cycle),
                "edit_form": ItemEditForm(
                    initial={
                        "problem": item.problem,
                        "measures": item.measures,
                        "owner": item.owner,
                        "deadline": item.deadline,
                        "version": item.version,
                    }
                ),
                "history": selectors.item_history(item),
                "breadcrumbs": [*list_crumbs(cycle), (str(item), "")],
            },
        )


class ItemActionView(RoleRequiredMixin, View):
    """One step of an item: a subclass names its roles and calls one service."""

    http_method_names = ["post"]

    def act(self, request, item, version):
        raise NotImplementedError

    def post(self, request, pk):
        item = visible_item(request.user, pk)
        try:
            text = self.act(request, item, int_or_none(request.POST.get("version")))
        except (ValidationError, StaleVersion) as exc:
            report_refusal(request, exc)
        else:
            done(request, text)
        return redirect("rectification-detail", pk=item.pk)


class ItemEditView(ItemActionView):
    roles = HANDLER_ROLES

    def act(self, request, item, version):
        form = ItemEditForm(request.POST)
        if not form.is_valid():
            raise ValidationError([e for errors in form.errors.values() for e in errors])
        data = form.cleaned_data
        services.update_item(
            actor=request.user,
            item=item,
            version=data.pop("version"),
            **data,
        )
        return _("整改事项已保存。")


class ItemProgressView(ItemActionView):
    roles = (*HANDLER_ROLES, Role.SECRETARY)

    def act(self, request, item, version):
        services.record_progress(
            actor=request.user,
            item=item,
            version=version,
            measures=request.POST.get("measures", ""),
            uploads=request.FILES.getlist("files"),
        )
        return _("已记录整改进展。")


class ItemCloseView(ItemActionView):
    roles = HANDLER_ROLES

    def act(self, request, item, version):
        services.close_item(
            actor=request.user,
            item=item,
            version=version,
            closure_note=request.POST.get("closure_note", ""),
            uploads=request.FILES.getlist("files"),
        )
        return _("已销号。")


class ItemReopenView(ItemActionView):
    roles = MANAGERS

    def act(self, request, item, version):
        services.reopen_item(
            actor=request.user, item=item, version=version, reason=request.POST.get("reason", "")
        )
        return _("已重新打开，继续整改。")
