"""Reform-risk filing pages (改革风险备案): the cycle's filings the user reaches, a
secretary's form, and the filing's page where a county assessor approves or rejects it
(rules in `evidence.events.services`)."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from assessment.services import may_manage
from core.pagination import paginate
from core.versioning import StaleVersion
from core.views import apply_validation_error, int_or_none, report_refusal
from evidence.events.views import own_participant, visible_cycle
from evidence.filings import services as filings
from evidence.filings.forms import FilingForm
from evidence.models import FilingStatus, ReformFiling
from org.access import RoleRequiredMixin
from org.scope import Role


def filing_crumbs(cycle):
    return [
        (_("考核周期"), reverse("cycle-list")),
        (cycle.name, reverse("cycle-detail", args=[cycle.pk])),
        (_("改革风险备案"), reverse("filing-list", args=[cycle.pk])),
    ]


def visible_filing(user, pk):
    return get_object_or_404(
        ReformFiling.objects.for_user(user).select_related(
            "participant__cycle__county",
            "participant__secretary",
            "participant__community",
            "filed_by",
            "decided_by",
        ),
        pk=pk,
    )


class FilingListView(LoginRequiredMixin, View):
    """The cycle's filings the user reaches, by status and a search (secretary, 工号,
    community, title), one page at a time (SPEC §6)."""

    def get(self, request, pk):
        cycle = visible_cycle(request.user, pk)
        rows = (
            ReformFiling.objects.for_user(request.user)
            .filter(participant__cycle=cycle)
            .select_related("participant__secretary", "participant__community", "decided_by")
            .order_by("-filed_at", "-pk")
        )
        status = request.GET.get("status", "")
        if status in FilingStatus.values:
            rows = rows.filter(status=status)
        q = request.GET.get("q", "").strip()[:50]
        if q:
            rows = rows.filter(
                Q(title__icontains=q)
                | Q(participant__secretary__name__icontains=q)
                | Q(participant__secretary__staff_no__icontains=q)
                | Q(participant__community__name__icontains=q)
            )
        own = own_participant(request.user, cycle)
        page = paginate(request, rows)
        return render(
            request,
            "evidence/filings/list.html",
            {
                "cycle": cycle,
                "filings": page.object_list,
                "page_obj": page,
                "status": status,
                "q": q,
                "statuses": FilingStatus.choices,
                "may_file": own is not None and cycle.status in filings.FILING_STATUSES,
                "breadcrumbs": [*filing_crumbs(cycle)[:-1], (_("改革风险备案"), "")],
            },
        )


class FilingCreateView(RoleRequiredMixin, View):
    """A secretary files an initiative of their own participation and its risks."""

    roles = (Role.SECRETARY,)

    def participant(self, request, pk):
        cycle = visible_cycle(request.user, pk)
        return get_object_or_404(
            cycle.participants.select_related("cycle", "secretary"), secretary__user=request.user
        )

    def render_form(self, request, participant, form):
        cycle = participant.cycle
        return render(
            request,
            "evidence/filings/form.html",
            {
                "form": form,
                "cycle": cycle,
                "participant": participant,
                "open": cycle.status in filings.FILING_STATUSES,
                "breadcrumbs": [*filing_crumbs(cycle), (_("新建备案"), "")],
            },
        )

    def get(self, request, pk):
        return self.render_form(request, self.participant(request, pk), FilingForm())

    def post(self, request, pk):
        participant = self.participant(request, pk)
        form = FilingForm(request.POST)
        if not form.is_valid():
            return self.render_form(request, participant, form)
        try:
            filing = filings.file_reform(
                actor=request.user, participant=participant, **form.cleaned_data
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
            return self.render_form(request, participant, form)
        messages.success(request, _("备案已提交，等待县委组织部审批。"))
        return redirect("filing-detail", pk=filing.pk)


class FilingDetailView(LoginRequiredMixin, View):
    def get(self, request, pk):
        filing = visible_filing(request.user, pk)
        cycle = filing.participant.cycle
        return render(
            request,
            "evidence/filings/detail.html",
            {
                "filing": filing,
                "cycle": cycle,
                "decides": filing.status == FilingStatus.PENDING
                and not cycle.is_locked
                and may_manage(request.user, cycle),
                "events": filing.events.select_related("event_type").order_by("occurred_on"),
                "breadcrumbs": [*filing_crumbs(cycle), (filing.title, "")],
            },
        )


class FilingDecideView(RoleRequiredMixin, View):
    """批准 / 不予批准 (reason required for a rejection)."""

    roles = (Role.ADMIN, Role.COUNTY_ASSESSOR)
    http_method_names = ["post"]

    def post(self, request, pk):
        filing = visible_filing(request.user, pk)
        approve = request.POST.get("decision") == "approve"
        try:
            filings.decide_filing(
                actor=request.user,
                filing=filing,
                version=int_or_none(request.POST.get("version")),
                approve=approve,
                reason=request.POST.get("reason", ""),
            )
        except (ValidationError, StaleVersion) as exc:
            report_refusal(request, exc)
        else:
            messages.success(request, _("备案已批准。") if approve else _("备案已不予批准。"))
        return redirect("filing-detail", pk=filing.pk)
