"""Event pages (事项): the cycle's list with filters, counts and bulk verification, the
report and edit forms, and the event's page with its files, decision history and the
controls the user may use. Rules live in `evidence.events.services`."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import ListView

from assessment.models import Cycle, CycleStatus
from assessment.services import may_manage
from core.pagination import PaginatedListMixin
from core.versioning import StaleVersion
from core.views import apply_validation_error, int_or_none, report_refusal
from evidence.attachments.views import back_to
from evidence.events import selectors, services
from evidence.events.forms import EventForm
from evidence.models import Event, EventStatus, FilingStatus, ReformFiling
from org.access import RoleRequiredMixin
from org.models import OrgUnit, OrgUnitKind
from org.scope import Role, scope_of

REPORTERS = (Role.ADMIN, Role.COUNTY_ASSESSOR, Role.TOWN_ASSESSOR, Role.SECRETARY)
DECIDERS = (Role.ADMIN, Role.COUNTY_ASSESSOR, Role.TOWN_ASSESSOR)


def visible_cycle(user, pk):
    return get_object_or_404(Cycle.objects.for_user(user).select_related("county"), pk=pk)


def visible_event(user, pk):
    return get_object_or_404(
        Event.objects.for_user(user).select_related(
            "participant__cycle__county",
            "participant__secretary",
            "participant__community",
            "event_type__leaf",
            "reported_by",
            "verified_by",
            "exempted_by",
            "filing",
        ),
        pk=pk,
    )


def cycle_crumbs(cycle):
    return [
        (_("考核周期"), reverse("cycle-list")),
        (cycle.name, reverse("cycle-detail", args=[cycle.pk])),
        (_("事项"), reverse("event-list", args=[cycle.pk])),
    ]


def own_participant(user, cycle):
    return cycle.participants.filter(secretary__user=user).select_related("secretary").first()


def unit_choices(user, cycle, selected):
    """The town filter's choices: the towns of the cycle's county the user reaches, and
    the chosen unit when it is a community (a link may name one) — never every community
    of a city (SPEC §6; the search box finds a community)."""
    return (
        OrgUnit.objects.for_user(user)
        .filter(path__startswith=cycle.county.path)
        .filter(Q(kind=OrgUnitKind.TOWN) | Q(pk=selected, kind=OrgUnitKind.COMMUNITY))
        .order_by("path")
    )


class EventListView(LoginRequiredMixin, PaginatedListMixin, ListView):
    """The cycle's events the user reaches (a secretary: their own), filtered by status,
    type, town/community, 免责 and a search (secretary, 工号, community), with the counts
    per status; one page at a time."""

    template_name = "evidence/events/event_list.html"
    context_object_name = "events"

    def get_queryset(self):
        user = self.request.user
        self.cycle = visible_cycle(user, self.kwargs["pk"])
        events = Event.objects.for_user(user).filter(participant__cycle=self.cycle)
        params = self.request.GET
        self.filters = {k: params.get(k, "") for k in ("status", "type", "unit", "exempt", "q")}
        if self.filters["type"]:
            events = events.filter(event_type__code=self.filters["type"])
        self.unit = (
            OrgUnit.objects.for_user(user).filter(pk=int_or_none(self.filters["unit"])).first()
        )
        if self.unit is not None:
            events = events.filter(participant__community__path__startswith=self.unit.path)
        if self.filters["exempt"] == "1":
            events = events.filter(exempt=True)
        q = self.filters["q"] = self.filters["q"].strip()[:50]
        if q:
            events = events.filter(
                Q(participant__secretary__name__icontains=q)
                | Q(participant__secretary__staff_no__icontains=q)
                | Q(participant__community__name__icontains=q)
            )
        self.counts = selectors.status_counts(events)
        if self.filters["status"] in EventStatus.values:
            events = events.filter(status=self.filters["status"])
        return events.select_related(
            "participant__cycle__county",
            "participant__secretary",
            "participant__community__parent",
            "event_type",
            "reported_by",
        ).order_by("-occurred_on", "-pk")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, cycle = self.request.user, self.cycle
        for event in context["events"]:
            event.decidable = event.status == EventStatus.REPORTED and services.may_decide(
                user, event
            )
        own = own_participant(user, cycle)
        # Staff look after others' events; a secretary sees only their own.
        staff = may_manage(user, cycle) or scope_has_town(user, cycle)
        context.update(
            cycle=cycle,
            filters=self.filters,
            counts=[(s, label, self.counts[s]) for s, label in EventStatus.choices],
            total=sum(self.counts.values()),
            types=cycle.frozen_template.event_types.order_by("code")
            if cycle.frozen_template_id
            else [],
            units=unit_choices(user, cycle, self.unit.pk if self.unit else None),
            staff=own is None or staff,
            bulk=not cycle.is_locked and any(e.decidable for e in context["events"]),
            may_report=not cycle.is_locked
            and cycle.status != CycleStatus.DRAFT
            and (staff or own is not None),
            own=own,
            breadcrumbs=cycle_crumbs(cycle)[:-1] + [(_("事项"), "")],
        )
        return context


def scope_has_town(user, cycle):
    """A town assessor of a town of the cycle's county."""
    return any(p.startswith(cycle.county.path) for p in scope_of(user).paths({Role.TOWN_ASSESSOR}))


class EventBulkView(RoleRequiredMixin, View):
    """One decision for the ticked events, all or none."""

    roles = DECIDERS
    http_method_names = ["post"]

    def post(self, request, pk):
        cycle = visible_cycle(request.user, pk)
        fallback = reverse("event-list", args=[cycle.pk])
        ids = [i for i in map(int_or_none, request.POST.getlist("events")) if i is not None]
        verify = request.POST.get("decision") == "verify"
        try:
            done = services.bulk_decide(
                actor=request.user,
                event_ids=ids,
                verify=verify,
                reason=request.POST.get("reason", ""),
            )
        except ValidationError as exc:
            messages.error(request, _("未处理任何事项：%(why)s") % {"why": " ".join(exc.messages)})
        else:
            label = _("已核实") if verify else _("不予认定")
            messages.success(
                request,
                _("已将 %(n)d 件事项处理为“%(label)s”。") % {"n": len(done), "label": label},
            )
        return redirect(back_to(request, fallback))


class EventFormView(RoleRequiredMixin, View):
    """Report an event (cycle pk) or edit one's own pending report (event pk)."""

    roles = REPORTERS
    editing = False

    def setup_objects(self, request, pk):
        if self.editing:
            self.event = visible_event(request.user, pk)
            self.cycle = self.event.participant.cycle
            self.participant = self.event.participant
        else:
            self.event, self.participant = None, None
            self.cycle = visible_cycle(request.user, pk)
            if self.cycle.frozen_template_id is None:
                raise Http404
        user = request.user
        own = own_participant(user, self.cycle)
        staff = may_manage(user, self.cycle) or scope_has_town(user, self.cycle)
        self.bonus_only = not staff
        if not staff and own is None:
            raise PermissionDenied
        if self.bonus_only and not self.editing:
            self.participant = own

    def make_form(self, data=None):
        initial = {}
        if self.event is not None:
            initial = {
                "event_type": self.event.event_type_id,
                "occurred_on": self.event.occurred_on,
                "description": self.event.description,
                "filing": self.event.filing_id,
                "version": self.event.version,
            }
        return EventForm(
            data,
            initial=initial,
            user=self.request.user,
            cycle=self.cycle,
            participant=self.participant,
            bonus_only=self.bonus_only,
        )

    def render_form(self, form, current=None):
        crumbs = cycle_crumbs(self.cycle)
        if self.event is not None:
            crumbs.append((str(self.event), reverse("event-detail", args=[self.event.pk])))
        title = (
            _("修改事项")
            if self.editing
            else (_("报告表彰加分") if self.bonus_only else _("报告事项"))
        )
        return render(
            self.request,
            "evidence/events/event_form.html",
            {
                "form": form,
                "cycle": self.cycle,
                "event": self.event,
                "participant": self.participant,
                "bonus_only": self.bonus_only,
                "title": title,
                "current": current,
                "breadcrumbs": [*crumbs, (title, "")],
            },
        )

    def get(self, request, pk):
        self.setup_objects(request, pk)
        return self.render_form(self.make_form())

    def post(self, request, pk):
        self.setup_objects(request, pk)
        form = self.make_form(request.POST)
        if not form.is_valid():
            return self.render_form(form)
        data = form.cleaned_data
        uploads = request.FILES.getlist("files")
        try:
            if self.editing:
                event = services.edit_event(
                    actor=request.user,
                    event=self.event,
                    version=data["version"],
                    event_type=data["event_type"],
                    occurred_on=data["occurred_on"],
                    description=data["description"],
                    filing=data["filing"],
                    uploads=uploads,
                )
            else:
                event = services.report_event(
                    actor=request.user,
                    participant=self.participant or data["participant"],
                    event_type=data["event_type"],
                    occurred_on=data["occurred_on"],
                    description=data["description"],
                    filing=data["filing"],
                    uploads=uploads,
                )
        except StaleVersion as exc:
            form.add_error(None, str(exc))
            return self.render_form(form, current=exc.current)
        except ValidationError as exc:
            apply_validation_error(form, exc, {"files": None, "reason": None})
            return self.render_form(form)
        messages.success(request, _("事项已保存，等待核实。"))
        return redirect("event-detail", pk=event.pk)


class EventDetailView(LoginRequiredMixin, View):
    def get(self, request, pk):
        user = request.user
        event = visible_event(user, pk)
        cycle = event.participant.cycle
        writable = not cycle.is_locked
        manages = writable and may_manage(user, cycle)
        history = (
            event.history.select_related("history_user")
            .order_by("history_date", "history_id")
            .only(
                "history_date",
                "history_type",
                "history_change_reason",
                "history_user__full_name",
                "status",
                "verification_note",
                "exempt",
                "exemption_reason",
            )
        )
        return render(
            request,
            "evidence/events/event_detail.html",
            {
                "event": event,
                "cycle": cycle,
                "attachments": event.attachments.all(),
                "history": history,
                "decides": writable
                and event.status == EventStatus.REPORTED
                and services.may_decide(user, event),
                "edits": writable and services.may_edit(user, event),
                "manages": manages,
                "filings": ReformFiling.objects.filter(
                    participant=event.participant, status=FilingStatus.APPROVED
                )
                if manages
                else [],
                "breadcrumbs": [*cycle_crumbs(cycle), (str(event), "")],
            },
        )


class EventActionView(RoleRequiredMixin, View):
    """核实 / 不予认定 / 退回 / 关联备案 / 免责 / 撤销免责 / 撤回, each one service call."""

    roles = REPORTERS
    http_method_names = ["post"]

    def post(self, request, pk):
        event = visible_event(request.user, pk)
        post = request.POST
        action = post.get("action")
        common = {
            "actor": request.user,
            "event": event,
            "version": int_or_none(post.get("version")),
        }
        reason = post.get("reason", "")
        calls = {
            "verify": lambda: services.verify_event(**common, note=reason),
            "reject": lambda: services.reject_event(**common, reason=reason),
            "reopen": lambda: services.reopen_event(**common, reason=reason),
            "exempt": lambda: services.exempt_event(**common, reason=reason),
            "revoke": lambda: services.revoke_exemption(**common, reason=reason),
            "link": lambda: services.link_filing(**common, filing=self.filing(event, post)),
            "withdraw": lambda: services.withdraw_event(**common),
        }
        done = {
            "verify": _("事项已核实。"),
            "reject": _("事项已不予认定。"),
            "reopen": _("事项已退回待核实。"),
            "exempt": _("已认定免责。"),
            "revoke": _("已撤销免责。"),
            "link": _("已更新关联的改革风险备案。"),
            "withdraw": _("事项已撤回。"),
        }
        if action not in calls:
            raise Http404
        try:
            calls[action]()
        except (ValidationError, StaleVersion) as exc:
            report_refusal(request, exc)
        else:
            messages.success(request, done[action])
            if action == "withdraw":
                return redirect("event-list", pk=event.participant.cycle_id)
        return redirect("event-detail", pk=event.pk)

    def filing(self, event, post):
        pk = int_or_none(post.get("filing"))
        if pk is None:
            return None
        return get_object_or_404(
            ReformFiling.objects.for_user(self.request.user), pk=pk, participant=event.participant
        )
