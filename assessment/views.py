"""考核周期: cycles in one's scope; admins and county assessors of the county create them,
set them up, enrol participants and walk them through their states (SPEC §2, §3).

Every rule is the services' (`assessment.services`): these views look objects up inside
the user's scope, call a service and show what it said.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, FormView, ListView

from assessment import services as cycles
from assessment.forms import (
    LISTED_TO_ENROL,
    SETTINGS_FIELDS,
    CycleCreateForm,
    CycleSettingsForm,
    GradingForm,
    ParticipantAddForm,
    TransitionForm,
    quarter_field_names,
)
from assessment.models import Cycle, CycleStatus, Participant
from assessment.selectors import ParticipantFilter, managed_cycle, participant_towns
from core.numbers import plain_number
from core.pagination import paginate
from core.versioning import StaleVersion
from core.views import BreadcrumbsMixin, ServiceFormMixin, report_refusal
from indicators.models import IndicatorTemplate
from org.access import RoleRequiredMixin
from org.models import OrgUnit, OrgUnitKind, Secretary
from org.scope import Role

MANAGERS = (Role.ADMIN, Role.COUNTY_ASSESSOR)
STATUS_BADGES = {
    CycleStatus.DRAFT: "text-bg-secondary",
    CycleStatus.OPEN: "text-bg-primary",
    CycleStatus.SCORING: "text-bg-info",
    CycleStatus.REVIEW: "text-bg-warning",
    CycleStatus.PUBLISHED: "text-bg-success",
    CycleStatus.ARCHIVED: "text-bg-dark",
}


def manageable_counties(user):
    return OrgUnit.objects.for_user(user, roles=set(MANAGERS)).filter(kind=OrgUnitKind.COUNTY)


def managed_participant(user, pk):
    participant = get_object_or_404(
        Participant.objects.for_user(user).select_related("cycle__county", "secretary"), pk=pk
    )
    if not cycles.may_manage(user, participant.cycle):
        raise Http404
    return participant


def enrolable_secretaries(user, cycle):
    """Secretaries of the cycle's county the user reaches who are not enrolled yet."""
    return (
        Secretary.objects.for_user(user)
        .filter(
            community__path__startswith=cycle.county.path,
            community__kind=OrgUnitKind.COMMUNITY,
        )
        .exclude(participations__cycle=cycle)
        .select_related("community")
        .order_by("community__path", "-tenure_start", "staff_no")
    )


def coefficient_text(value):
    """A pay coefficient as written in county documents: 1.10, 0.90, 1.125."""
    whole, _dot, fraction = plain_number(value).partition(".")
    return f"{whole}.{fraction.ljust(2, '0')}"


class CycleListView(LoginRequiredMixin, BreadcrumbsMixin, ListView):
    template_name = "assessment/cycle_list.html"
    paginate_by = 20

    def get_queryset(self):
        user = self.request.user
        visible_participants = (
            Participant.objects.for_user(user)
            .filter(cycle=OuterRef("pk"))
            .order_by()
            .values("cycle")
            .annotate(n=Count("pk"))
            .values("n")
        )
        qs = (
            Cycle.objects.for_user(user)
            .select_related("county", "template")
            .annotate(
                n_participants=Coalesce(
                    Subquery(visible_participants, output_field=IntegerField()), 0
                )
            )
        )
        q = self.request.GET.get("q", "").strip()
        if q:
            qs = qs.filter(name__icontains=q)
        return qs.order_by("-year", "county__path", "name")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_create"] = manageable_counties(self.request.user).exists()
        for cycle in context["object_list"]:
            cycle.badge = STATUS_BADGES[cycle.status]
        return context

    def get_breadcrumbs(self):
        return [(_("考核周期"), None)]


class CycleCreateView(RoleRequiredMixin, ServiceFormMixin, BreadcrumbsMixin, FormView):
    roles = MANAGERS
    form_class = CycleCreateForm
    template_name = "assessment/cycle_form.html"

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        user = self.request.user
        kwargs["county_choices"] = manageable_counties(user)
        kwargs["template_choices"] = IndicatorTemplate.objects.for_user(user).filter(
            is_frozen=False
        )
        return kwargs

    def get_initial(self):
        year = timezone.localdate().year
        counties = list(manageable_counties(self.request.user)[:2])
        return {
            "county": counties[0] if len(counties) == 1 else None,
            "name": _("%(year)d年度社区书记考核") % {"year": year},
            "year": year,
        }

    def form_valid(self, form):
        data = form.cleaned_data
        cycle, refused = self.run_service(
            form, lambda: cycles.create_cycle(actor=self.request.user, **data)
        )
        if refused:
            return refused
        messages.success(self.request, _("已新建考核周期“%(name)s”。") % {"name": cycle.name})
        return redirect("cycle-detail", pk=cycle.pk)

    def get_breadcrumbs(self):
        return [(_("考核周期"), reverse("cycle-list")), (_("新建考核周期"), None)]


STEPS = [
    CycleStatus.DRAFT,
    CycleStatus.OPEN,
    CycleStatus.SCORING,
    CycleStatus.REVIEW,
    CycleStatus.PUBLISHED,
    CycleStatus.ARCHIVED,
]


class CycleDetailView(LoginRequiredMixin, BreadcrumbsMixin, DetailView):
    """The cycle: its state and next steps, settings, quarters, history, and its
    participants — counted per town, listed one page at a time (SPEC §6)."""

    template_name = "assessment/cycle_detail.html"
    context_object_name = "cycle"

    def get_queryset(self):
        return Cycle.objects.for_user(self.request.user).select_related(
            "county", "template", "frozen_template"
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        cycle, user = self.object, self.request.user
        can_manage = cycles.may_manage(user, cycle)
        writable = can_manage and not cycle.is_locked
        current = STEPS.index(cycle.status)
        context["steps"] = [
            {
                "label": status.label,
                "state": "done" if i < current else "current" if i == current else "todo",
            }
            for i, status in enumerate(STEPS)
        ]
        context["badge"] = STATUS_BADGES[cycle.status]
        context["can_manage"] = can_manage
        context["writable"] = writable
        context["can_enrol"] = writable and cycle.status in cycles.ENROLMENT_STATUSES
        context["transitions"] = (
            [
                {"move": move, "blockers": cycles.blockers(cycle, move.name)}
                for move in cycles.available_transitions(cycle)
            ]
            if can_manage
            else []
        )
        context["history"] = cycle.transitions.select_related("actor")
        context["quarters"] = cycle.quarters.all()
        participants = Participant.objects.for_user(user).filter(cycle=cycle)
        context["towns"] = participant_towns(participants)
        context["participant_total"] = sum(town["n"] for town in context["towns"])
        context["graded_count"] = sum(town["graded"] for town in context["towns"])
        context["participant_filter"] = listed = ParticipantFilter.from_query(self.request.GET)
        page = paginate(
            self.request,
            listed.apply(participants).select_related("secretary", "community__parent"),
            count=None if listed else context["participant_total"],
        )
        context["page_obj"] = page
        context["participants"] = page.object_list
        if writable:
            choices = enrolable_secretaries(user, cycle)
            to_enrol = choices.count()
            if to_enrol:
                context["add_form"] = ParticipantAddForm(
                    secretary_choices=choices, listed=to_enrol <= LISTED_TO_ENROL
                )
        context["coefficients"] = [
            coefficient_text(value)
            for value in (cycle.coefficient_top, cycle.coefficient_middle, cycle.coefficient_bottom)
        ]
        return context

    def get_breadcrumbs(self):
        return [(_("考核周期"), reverse("cycle-list")), (self.object.name, None)]


class CycleSettingsView(RoleRequiredMixin, ServiceFormMixin, BreadcrumbsMixin, FormView):
    """All settings of a cycle and its quarters, saved together (SPEC §3)."""

    roles = MANAGERS
    form_class = CycleSettingsForm
    template_name = "assessment/cycle_settings.html"

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.cycle = None

    def get_cycle(self):
        if self.cycle is None:
            self.cycle = managed_cycle(self.request.user, self.kwargs["pk"])
        return self.cycle

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        cycle = self.get_cycle()
        kwargs["template_choices"] = IndicatorTemplate.objects.for_user(self.request.user).filter(
            county=cycle.county, is_frozen=False
        )
        kwargs["template_locked"] = cycle.status != CycleStatus.DRAFT
        kwargs["read_only"] = cycle.is_locked
        return kwargs

    def get_initial(self):
        cycle = self.get_cycle()
        initial = {name: getattr(cycle, name) for name in SETTINGS_FIELDS}
        initial["version"] = cycle.version
        for quarter in cycle.quarters.all():
            starts, ends = quarter_field_names(quarter.number)
            initial[starts], initial[ends] = quarter.starts_on, quarter.ends_on
        return initial

    def form_valid(self, form):
        cycle, refused = self.run_service(
            form,
            lambda: cycles.update_settings(
                actor=self.request.user,
                cycle=self.get_cycle(),
                version=form.cleaned_data["version"],
                quarters=form.quarters(),
                **form.changes(),
            ),
        )
        if refused:
            return refused
        messages.success(self.request, _("已保存考核周期设置。"))
        return redirect("cycle-detail", pk=cycle.pk)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["cycle"] = self.get_cycle()
        current = kwargs.get("current")
        if current is not None:
            context["conflict_rows"] = settings_rows(current)
        return context

    def get_breadcrumbs(self):
        cycle = self.get_cycle()
        return [
            (_("考核周期"), reverse("cycle-list")),
            (cycle.name, reverse("cycle-detail", args=[cycle.pk])),
            (_("设置"), None),
        ]


def settings_rows(cycle):
    """(label, value as shown) of every setting: the other person's values after a
    conflicting save."""
    rows = []
    for name in SETTINGS_FIELDS:
        field = Cycle._meta.get_field(name)
        value = getattr(cycle, name)
        if field.choices:
            value = getattr(cycle, f"get_{name}_display")()
        elif hasattr(value, "as_tuple"):
            value = plain_number(value)
        rows.append((field.verbose_name, "—" if value in (None, "") else value))
    return rows


class ActionView(RoleRequiredMixin, View):
    """A POST that runs one service on a managed cycle (or one of its participants) and
    returns to the cycle page with the outcome. Subclasses define `lookup(user, pk)`,
    `cycle_pk(obj)` and `act(request, obj)`, which returns the success message."""

    roles = MANAGERS

    def post(self, request, pk):
        obj = self.lookup(request.user, pk)
        try:
            message = self.act(request, obj)
        except (ValidationError, StaleVersion) as exc:
            report_refusal(request, exc)
        else:
            messages.success(request, message)
        return redirect("cycle-detail", pk=self.cycle_pk(obj))


class CycleActionView(ActionView):
    lookup = staticmethod(managed_cycle)

    @staticmethod
    def cycle_pk(cycle):
        return cycle.pk


class CycleTransitionView(CycleActionView):
    """GET ?name=…: what the transition will do to this cycle now (counts of what it
    affects, and what still stops it), with the note and the confirm button. POST: the
    transition, only when confirmed on that page."""

    template_name = "assessment/cycle_transition.html"

    def get(self, request, pk):
        self.cycle = managed_cycle(request.user, pk)
        move = cycles.TRANSITIONS.get(request.GET.get("name", ""))
        if move is None or move not in cycles.available_transitions(self.cycle):
            return redirect("cycle-detail", pk=self.cycle.pk)
        context = {
            "cycle": self.cycle,
            "move": move,
            "consequences": cycles.consequences(self.cycle, move.name),
            "blockers": cycles.blockers(self.cycle, move.name),
            "breadcrumbs": self.get_breadcrumbs(),
        }
        return render(request, self.template_name, context)

    def get_breadcrumbs(self):
        return [
            (_("考核周期"), reverse("cycle-list")),
            (self.cycle.name, reverse("cycle-detail", args=[self.cycle.pk])),
            (_("确认操作"), None),
        ]

    def post(self, request, pk):
        if request.POST.get("confirmed") != "1":
            # Never one click: the cycle page only links here; confirm on this page.
            cycle = managed_cycle(request.user, pk)
            url = reverse("cycle-transition", args=[cycle.pk])
            return redirect(f"{url}?{urlencode({'name': request.POST.get('name', '')})}")
        return super().post(request, pk)

    def act(self, request, cycle):
        form = TransitionForm(request.POST)
        if not form.is_valid():
            raise ValidationError(_("请从周期页面选择要执行的操作。"))
        data = form.cleaned_data
        cycle = cycles.transition(
            actor=request.user,
            cycle=cycle,
            name=data["name"],
            version=data["version"],
            note=data["note"],
        )
        return _("已执行“%(action)s”，当前状态：%(status)s。") % {
            "action": cycles.TRANSITIONS[data["name"]].label,
            "status": cycle.get_status_display(),
        }


class CycleEnrolView(CycleActionView):
    def act(self, request, cycle):
        added = cycles.enrol_county(actor=request.user, cycle=cycle)
        return _("已登记 %(n)d 人。") % {"n": added}


class ParticipantAddView(CycleActionView):
    def act(self, request, cycle):
        form = ParticipantAddForm(
            request.POST, secretary_choices=enrolable_secretaries(request.user, cycle)
        )
        if not form.is_valid():
            raise ValidationError([m for errors in form.errors.values() for m in errors])
        participant = cycles.enrol_secretary(
            actor=request.user, cycle=cycle, secretary=form.cleaned_data["secretary"]
        )
        return _("已将 %(name)s 登记为参评书记。") % {"name": participant.secretary.name}


class ParticipantActionView(ActionView):
    lookup = staticmethod(managed_participant)

    @staticmethod
    def cycle_pk(participant):
        return participant.cycle_id


class ParticipantGradingView(ParticipantActionView):
    def act(self, request, participant):
        form = GradingForm(request.POST)
        if not form.is_valid():
            raise ValidationError(_("提交的内容不完整，请刷新页面后重试。"))
        data = form.cleaned_data
        participant = cycles.set_grading(
            actor=request.user,
            participant=participant,
            version=data["version"],
            is_graded=data["is_graded"],
            reason=data["reason"].strip(),
        )
        if participant.is_graded:
            return _("%(name)s 参加评定。") % {"name": participant.secretary.name}
        return _("%(name)s 不参加评定（%(reason)s）。") % {
            "name": participant.secretary.name,
            "reason": participant.not_graded_reason,
        }


class ParticipantWithdrawView(ParticipantActionView):
    def act(self, request, participant):
        cycles.withdraw_participant(actor=request.user, participant=participant)
        return _("已将 %(name)s 移出参评名单。") % {"name": participant.secretary.name}
