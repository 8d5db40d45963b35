"""分档定薪表 pages (SPEC §2 Pay band sheet): the sheet of a published cycle with its
专项奖励 lines, the add and approve/reject forms, and the Excel and PDF downloads.

Readers are the county's own staff (admins, county assessors, county-level observers:
`scoring.access.reads_whole_county`); anyone else — town staff, secretaries, other
counties — gets 404. Every rule is the services' (`reports.paybands.services`).
"""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from assessment.models import Cycle, Participant
from assessment.selectors import cycle_crumbs
from core.versioning import StaleVersion
from core.views import apply_validation_error, file_download, int_or_none, report_refusal
from org.access import RoleRequiredMixin
from org.scope import Role
from reports.jobs.running import start_job
from reports.models import JobKind, SpecialReward
from reports.paybands import documents, services
from reports.paybands.forms import RewardForm
from reports.paybands.selectors import PUBLISHED_STATUSES, pay_sheet, sheet_version
from reports.services import exports_in_background
from scoring.access import reads_whole_county

GRANTERS = (Role.ADMIN, Role.COUNTY_ASSESSOR)


def readable_cycle(user, pk):
    """The cycle, if the user reads its whole county; 404 otherwise."""
    cycle = get_object_or_404(Cycle.objects.for_user(user).select_related("county"), pk=pk)
    if not reads_whole_county(user, cycle):
        raise Http404
    return cycle


def sheet_participants(user, cycle, version):
    """Whom a line may be for: the graded participants of the published version."""
    return (
        Participant.objects.for_user(user)
        .filter(cycle=cycle, results__version=version, results__graded=True)
        .select_related("secretary", "community")
        .order_by("community__path", "secretary__staff_no")
    )


def published_sheet(request, cycle):
    version = sheet_version(cycle) if cycle.status in PUBLISHED_STATUSES else None
    if version is None:
        return None
    return pay_sheet(cycle, version, user=request.user)


def render_page(request, cycle, form=None, status=200):
    sheet = published_sheet(request, cycle)
    may_grant = sheet is not None and services.may_grant_rewards(request.user, cycle)
    if may_grant and form is None:
        form = RewardForm(participants=sheet_participants(request.user, cycle, sheet.version))
    return render(
        request,
        "reports/paybands/sheet.html",
        {
            "cycle": cycle,
            "sheet": sheet,
            "may_grant": may_grant,
            "form": form if may_grant else None,
            "breadcrumbs": [*cycle_crumbs(cycle), (_("分档定薪表"), "")],
        },
        status=status,
    )


class PayBandsView(LoginRequiredMixin, View):
    def get(self, request, pk):
        return render_page(request, readable_cycle(request.user, pk))


class RewardAddView(RoleRequiredMixin, View):
    """登记专项奖励 (pending until a second person decides it)."""

    roles = GRANTERS
    http_method_names = ["post"]

    def post(self, request, pk):
        cycle = readable_cycle(request.user, pk)
        version = sheet_version(cycle) if cycle.status in PUBLISHED_STATUSES else None
        participants = (
            sheet_participants(request.user, cycle, version)
            if version
            else Participant.objects.none()
        )
        form = RewardForm(request.POST, participants=participants)
        if version is None:
            report_refusal(request, ValidationError(_("结果发布后才有分档定薪表。")))
            return redirect("pay-bands", pk=cycle.pk)
        if form.is_valid():
            try:
                line = services.add_reward(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                messages.success(
                    request,
                    _("已登记 %(name)s 的专项奖励 %(amount)s 元，待另一位县级管理员或考核员审批。")
                    % {"name": line.participant.secretary.name, "amount": f"{line.amount:,.2f}"},
                )
                return redirect(reverse("pay-bands", args=[cycle.pk]) + "#rewards")
        return render_page(request, cycle, form=form, status=400)


class RewardDecideView(RoleRequiredMixin, View):
    """批准 / 不予批准 a pending line (reason required for a rejection)."""

    roles = GRANTERS
    http_method_names = ["post"]

    def post(self, request, pk):
        cycle = readable_cycle(request.user, pk)
        line = get_object_or_404(
            SpecialReward.objects.for_user(request.user).filter(participant__cycle=cycle),
            pk=int_or_none(request.POST.get("reward")),
        )
        approve = request.POST.get("decision") == "approve"
        try:
            services.decide_reward(
                actor=request.user,
                reward=line,
                version=int_or_none(request.POST.get("version")),
                approve=approve,
                reason=request.POST.get("reason", ""),
            )
        except (ValidationError, StaleVersion) as exc:
            report_refusal(request, exc)
        else:
            messages.success(
                request, _("专项奖励已批准。") if approve else _("专项奖励已不予批准。")
            )
        return redirect(reverse("pay-bands", args=[cycle.pk]) + "#rewards")


class DownloadView(LoginRequiredMixin, View):
    """A download of the published sheet (a job for a large county, whose page offers
    the file); before publication, back to the page."""

    kind = "xlsx"

    def get(self, request, pk):
        cycle = readable_cycle(request.user, pk)
        if cycle.status in PUBLISHED_STATUSES and exports_in_background(cycle):
            job = start_job(
                kind=JobKind.PAY_BANDS,
                requested_by=request.user,
                county=cycle.county,
                cycle=cycle,
                options={"cycle": cycle.pk, "format": self.kind},
            )
            return redirect("job-detail", pk=job.pk)
        sheet = published_sheet(request, cycle)
        if sheet is None:
            messages.error(request, _("结果发布后才能下载分档定薪表。"))
            return redirect("pay-bands", pk=cycle.pk)
        return file_download(*documents.document(sheet, self.kind, user=request.user))


class PayBandsWorkbookView(DownloadView):
    kind = "xlsx"


class PayBandsPdfView(DownloadView):
    kind = "pdf"
