"""季度通报 in the browser: a cycle's versions (and generating one as a job), a version's
page, its 下步工作要求 and 签发, and its PDF and workbook. Every rule is in
`reports.bulletins.services` / `selectors`; a bulletin the user may not read answers 404.
"""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from assessment.models import Cycle
from assessment.selectors import cycle_crumbs
from assessment.services import may_manage
from core.security_log import security_event
from core.versioning import StaleVersion
from core.views import file_download, int_or_none
from reports.bulletins import selectors, services
from reports.bulletins.render import document_context, filename, pdf_document
from reports.bulletins.workbook import write_workbook
from reports.models import Bulletin, Job, JobKind
from reports.official import PDF_CONTENT_TYPE

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def visible_cycle(user, pk):
    return get_object_or_404(Cycle.objects.for_user(user).select_related("county"), pk=pk)


def readable(user, pk):
    """(bulletin, its snapshot as the user reads it); 404 when they may not."""
    bulletin = get_object_or_404(
        Bulletin.objects.for_user(user).select_related(
            "cycle__county", "issued_by", "generated_by"
        ),
        pk=pk,
    )
    snapshot = selectors.reading(user, bulletin)
    if snapshot is None:
        raise Http404
    return bulletin, snapshot


class BulletinListView(LoginRequiredMixin, View):
    """A cycle's bulletins by quarter and version; managers generate a new version."""

    def get(self, request, pk):
        cycle = visible_cycle(request.user, pk)
        bulletins = selectors.visible_bulletins(request.user, cycle)
        manages = may_manage(request.user, cycle)
        if not selectors.may_open_list(request.user, cycle):
            raise Http404
        running = (
            Job.objects.filter(kind=JobKind.BULLETIN, cycle=cycle)
            .exclude(state__in=("done", "failed"))
            .order_by("-created_at")
            if manages
            else []
        )
        return render(
            request,
            "reports/bulletins/list.html",
            {
                "cycle": cycle,
                "bulletins": bulletins,
                "manages": manages and cycle.status in services.REPORTABLE,
                "quarters": list(cycle.quarters.order_by("number")),
                "running": running,
                "breadcrumbs": [*cycle_crumbs(cycle), (_("季度通报"), "")],
            },
        )

    def post(self, request, pk):
        cycle = visible_cycle(request.user, pk)
        if not may_manage(request.user, cycle):
            raise Http404
        try:
            services.start_generating(
                actor=request.user, cycle=cycle, quarter=int_or_none(request.POST.get("quarter"))
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        except PermissionDenied as exc:
            raise Http404 from exc
        else:
            messages.success(
                request, _("已开始生成季度通报，完成后出现在下面的列表中（通常几秒钟）。")
            )
        return redirect("bulletin-list", cycle.pk)


class BulletinDetailView(LoginRequiredMixin, View):
    def get(self, request, pk):
        bulletin, snapshot = readable(request.user, pk)
        cycle = bulletin.cycle
        context = document_context(bulletin, snapshot)
        context.update(
            cycle=cycle,
            manages=may_manage(request.user, cycle) and not bulletin.is_issued,
            breadcrumbs=[
                *cycle_crumbs(cycle),
                (_("季度通报"), reverse("bulletin-list", args=[cycle.pk])),
                (str(bulletin), ""),
            ],
        )
        return render(request, "reports/bulletins/detail.html", context)


class BulletinActionView(LoginRequiredMixin, View):
    """A change to a draft (`act` calls the service and words the success); whatever
    happens, back to the bulletin's page with a message. No right to it: 404."""

    def post(self, request, pk):
        bulletin, _snapshot = readable(request.user, pk)
        try:
            done = self.act(request, bulletin, int_or_none(request.POST.get("version")))
        except PermissionDenied as exc:
            raise Http404 from exc
        except StaleVersion:
            messages.error(request, _("通报已被他人修改，请查看最新内容后重试。"))
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            if done:
                messages.success(request, done)
        return redirect("bulletin-detail", bulletin.pk)


class BulletinRequirementsView(BulletinActionView):
    def act(self, request, bulletin, version):
        services.save_requirements(
            actor=request.user,
            bulletin=bulletin,
            version=version,
            text=request.POST.get("requirements", ""),
        )
        return _("下步工作要求已保存。")


class BulletinIssueView(BulletinActionView):
    def act(self, request, bulletin, version):
        if request.POST.get("confirmed") != "1":
            raise ValidationError(_("请勾选确认后再签发。"))
        issued = services.issue_bulletin(actor=request.user, bulletin=bulletin, version=version)
        return _("已签发，文号 %(number)s。") % {"number": issued.number}


def exported(request, bulletin, kind):
    security_event(
        "export",
        user=request.user,
        kind="bulletin",
        format=kind,
        cycle=bulletin.cycle_id,
        county=bulletin.cycle.county.code,
        bulletin=bulletin.pk,
        quarter=bulletin.quarter,
        number=bulletin.number or None,
    )


class BulletinWorkbookView(LoginRequiredMixin, View):
    def get(self, request, pk):
        bulletin, snapshot = readable(request.user, pk)
        workbook = write_workbook(bulletin, snapshot)
        exported(request, bulletin, "xlsx")
        return file_download(workbook, filename(bulletin, "xlsx"), XLSX)


class BulletinPdfView(LoginRequiredMixin, View):
    def get(self, request, pk):
        bulletin, snapshot = readable(request.user, pk)
        pdf = pdf_document(bulletin, snapshot)
        exported(request, bulletin, "pdf")
        return file_download(pdf, filename(bulletin, "pdf"), PDF_CONTENT_TYPE)
