"""Pages of 民情直报: phone-first 民情日记 and 网格事件. Services decide; these views look
objects up in the user's scope (404 outside) and show the services' answers."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from core.pagination import paginate
from core.versioning import StaleVersion
from core.views import apply_validation_error, int_or_none, report_refusal
from evidence.models import DiaryEntry, GridEvent
from evidence.records import selectors, services
from evidence.records.forms import (
    DiaryEntryForm,
    DiaryFilterForm,
    GridEventFilterForm,
    GridEventForm,
    GridEventMoveForm,
)
from org.access import RoleRequiredMixin
from org.scope import Role, scope_of
from scoring.access import STAFF_ROLES

RECENT = 10


def home_crumbs(*more):
    return [(_("民情直报"), reverse("records-home")), *more]


def _filters(form_class, request):
    form = form_class(request.GET or None)
    return form, (form.cleaned_data if form.is_valid() else {})


class RecordsHomeView(LoginRequiredMixin, View):
    """民情直报: a secretary's big buttons and recent entries; staff's lists with filters."""

    def get(self, request):
        user = request.user
        return render(
            request,
            "evidence/records/home.html",
            {
                "writes_diary": selectors.own_communities(user).exists(),
                "writes_events": selectors.writes_grid_events(user),
                "is_staff": scope_of(user).has_role(*STAFF_ROLES),
                "diary": selectors.diary_entries(user)[:RECENT],
                "events": selectors.grid_events(user)[:RECENT],
                "diary_filters": DiaryFilterForm(),
                "event_filters": GridEventFilterForm(),
                "breadcrumbs": [(_("民情直报"), "")],
            },
        )


class DiaryListView(LoginRequiredMixin, View):
    def get(self, request):
        form, chosen = _filters(DiaryFilterForm, request)
        page = paginate(request, selectors.diary_entries(request.user, **chosen))
        return render(
            request,
            "evidence/records/diary_list.html",
            {
                "filters": form,
                "diary": page.object_list,
                "page_obj": page,
                "total": page.paginator.count,
                "writes_diary": selectors.own_communities(request.user).exists(),
                "breadcrumbs": home_crumbs((_("民情日记"), "")),
            },
        )


class DiaryFormView(RoleRequiredMixin, View):
    """Write a new entry (the secretary) or edit one's own (its author, with version)."""

    roles = (Role.SECRETARY,)

    def entry(self, request, pk):
        if pk is None:
            return None
        entry = get_object_or_404(DiaryEntry.objects.for_user(request.user), pk=pk)
        if entry.author_id != request.user.pk:
            raise PermissionDenied
        return entry

    def render_form(self, request, form, entry=None, current=None):
        return render(
            request,
            "evidence/records/diary_form.html",
            {
                "form": form,
                "entry": entry,
                "current": current,
                "breadcrumbs": home_crumbs(
                    (_("民情日记"), reverse("diary-list")),
                    (_("修改民情日记") if entry else _("记民情日记"), ""),
                ),
            },
        )

    def get(self, request, pk=None):
        entry = self.entry(request, pk)
        communities = selectors.own_communities(request.user)
        initial = {}
        if entry is not None:
            initial = {
                f: getattr(entry, f)
                for f in ("recorded_on", "category", "content", "follow_up", "resolved")
            }
            initial.update(community=entry.community_id, resolved_on=entry.resolved_on)
        form = DiaryEntryForm(communities=communities, initial=initial)
        return self.render_form(request, form, entry)

    def post(self, request, pk=None):
        entry = self.entry(request, pk)
        form = DiaryEntryForm(request.POST, communities=selectors.own_communities(request.user))
        if not form.is_valid():
            return self.render_form(request, form, entry)
        data = dict(form.cleaned_data)
        community = data.pop("community")
        try:
            if entry is None:
                services.record_diary_entry(actor=request.user, community=community, **data)
                messages.success(request, _("民情日记已保存。"))
            else:
                services.update_diary_entry(
                    actor=request.user,
                    entry=entry,
                    version=int_or_none(request.POST.get("version")),
                    **data,
                )
                messages.success(request, _("民情日记已修改。"))
        except StaleVersion as exc:
            form.add_error(None, str(exc))
            return self.render_form(request, form, entry, current=exc.current)
        except ValidationError as exc:
            apply_validation_error(form, exc)
            return self.render_form(request, form, entry)
        return redirect("records-home")


class GridEventListView(LoginRequiredMixin, View):
    def get(self, request):
        form, chosen = _filters(GridEventFilterForm, request)
        page = paginate(request, selectors.grid_events(request.user, **chosen))
        return render(
            request,
            "evidence/records/gridevent_list.html",
            {
                "filters": form,
                "events": page.object_list,
                "page_obj": page,
                "total": page.paginator.count,
                "writes_events": selectors.writes_grid_events(request.user),
                "breadcrumbs": home_crumbs((_("网格事件"), "")),
            },
        )


class GridEventCreateView(RoleRequiredMixin, View):
    roles = (Role.SECRETARY, Role.COUNTY_ASSESSOR, Role.TOWN_ASSESSOR)

    def render_form(self, request, form):
        return render(
            request,
            "evidence/records/gridevent_form.html",
            {
                "form": form,
                "breadcrumbs": home_crumbs(
                    (_("网格事件"), reverse("gridevent-list")), (_("报网格事件"), "")
                ),
            },
        )

    def communities(self, request):
        return selectors.grid_event_communities(request.user).order_by("path")

    def get(self, request):
        return self.render_form(request, GridEventForm(communities=self.communities(request)))

    def post(self, request):
        form = GridEventForm(request.POST, communities=self.communities(request))
        if not form.is_valid():
            return self.render_form(request, form)
        try:
            event = services.report_grid_event(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
            return self.render_form(request, form)
        messages.success(request, _("网格事件已上报。"))
        return redirect("gridevent-detail", pk=event.pk)


def visible_grid_event(user, pk):
    return get_object_or_404(
        GridEvent.objects.for_user(user).select_related(
            "community", "grid", "reported_by", "resolved_by"
        ),
        pk=pk,
    )


class GridEventDetailView(LoginRequiredMixin, View):
    def get(self, request, pk):
        event = visible_grid_event(request.user, pk)
        return render(
            request,
            "evidence/records/gridevent_detail.html",
            {
                "event": event,
                "actions": services.grid_event_actions(request.user, event),
                "history": event.history.select_related("history_user")[:20],
                "breadcrumbs": home_crumbs(
                    (_("网格事件"), reverse("gridevent-list")), (str(event), "")
                ),
            },
        )


class GridEventMoveView(RoleRequiredMixin, View):
    """开始处理 / 办结 / 重新打开."""

    roles = (Role.SECRETARY, Role.COUNTY_ASSESSOR, Role.TOWN_ASSESSOR)
    http_method_names = ["post"]

    def post(self, request, pk):
        event = visible_grid_event(request.user, pk)
        form = GridEventMoveForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("请检查填写的内容。"))
            return redirect("gridevent-detail", pk=event.pk)
        try:
            event = services.move_grid_event(actor=request.user, event=event, **form.cleaned_data)
        except (ValidationError, StaleVersion) as exc:
            report_refusal(request, exc)
        else:
            messages.success(
                request,
                _("事件状态已改为“%(status)s”。") % {"status": event.get_status_display()},
            )
        return redirect("gridevent-detail", pk=event.pk)
