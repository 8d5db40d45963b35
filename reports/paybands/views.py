"""分档定薪表 pages (SPEC §2 Pay band sheet): the sheet of a published cycle with its
专项奖励 lines, the add and approve/reject forms, and the Excel and PDF downloads.

Readers are the county's own staff (admins, county assessors, county-level observers:
`scoring.access.reads_whole_county`); anyone else — town staff, secretaries, other
counties — gets 404. Every rule is the services' (`reports.paybands.services`).
"""

import io

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from assessment.models import Cycle, Participant
from assessment.selectors import cycle_crumbs
from core.versioning import StaleVersion
from core.views import apply_validation_error, file_download, int_or_none, report_refusal
from org.access import RoleRequiredMixin
from org.scope import Role
from reports.models import SpecialReward
from reports.official import PDF_CONTENT_TYPE, official_date, render_pdf
from reports.paybands import services
from reports.paybands.forms import RewardForm
from reports.paybands.selectors import PUBLISHED_STATUSES, pay_sheet, sheet_version
from reports.paybands.workbook import pay_bands_filename, write_pay_bands
from reports.services import XLSX
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
    """A download of the published sheet; before publication, back to the page."""

    def get(self, request, pk):
        cycle = readable_cycle(request.user, pk)
        sheet = published_sheet(request, cycle)
        if sheet is None:
            messages.error(request, _("结果发布后才能下载分档定薪表。"))
            return redirect("pay-bands", pk=cycle.pk)
        return self.respond(sheet)


class PayBandsWorkbookView(DownloadView):
    def respond(self, sheet):
        buffer = io.BytesIO()
        write_pay_bands(sheet, buffer)
        return file_download(buffer.getvalue(), pay_bands_filename(sheet.cycle, "xlsx"), XLSX)


def pdf_context(sheet):
    """What `reports/paybands/pdf.html` shows: the sheet, the issuing unit (the county's
    organization department) and the date (of the publication the sheet reflects)."""
    cycle = sheet.cycle
    day = timezone.localdate(sheet.published_at) if sheet.published_at else timezone.localdate()
    return {
        "sheet": sheet,
        "cycle": cycle,
        "issuer": _("中共%(county)s委组织部") % {"county": cycle.county.name},
        "date": official_date(day),
    }


class PayBandsPdfView(DownloadView):
    def respond(self, sheet):
        data = render_pdf("reports/paybands/pdf.html", pdf_context(sheet))
        return file_download(data, pay_bands_filename(sheet.cycle, "pdf"), PDF_CONTENT_TYPE)
