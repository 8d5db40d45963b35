"""Excel interchange in the browser (SPEC §4): upload a workbook, read its check report
or the preview of what it changes, confirm; follow the job; download the empty
template and a cycle's results.

Every rule is in `reports.jobs.imports` / `reports.services`; jobs and cycles are looked up
inside the user's scope (`for_user`), so anything outside it answers 404.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView, TemplateView

from assessment.models import Cycle
from assessment.selectors import managed_cycle
from core.views import BreadcrumbsMixin, file_download
from org.access import RoleRequiredMixin
from org.scope import Role, scope_of
from reports import selectors, services
from reports.forms import ImportForm, PartialImportForm
from reports.jobs import imports
from reports.jobs.running import job_progress
from reports.models import IMPORT_KINDS, Job
from scoring.access import COUNTY_STAFF, reads_whole_county

# Who imports: admins (a whole cycle) and county assessors (parts of their cycles).
IMPORTERS = (Role.ADMIN, Role.COUNTY_ASSESSOR)
STAFF = (Role.ADMIN, Role.COUNTY_ASSESSOR, Role.TOWN_ASSESSOR, Role.OBSERVER)


def visible_job(user, pk):
    return get_object_or_404(
        Job.objects.for_user(user)
        .filter(kind__in=IMPORT_KINDS)
        .select_related("requested_by", "cycle", "county", "preview"),
        pk=pk,
    )


def attachment(file, name):
    """A workbook as a download."""
    return file_download(file, name, services.XLSX)


def imports_crumbs(*rest):
    return [(_("数据导入"), reverse("import-list")), *rest]


def job_context(job):
    """What the job page and its polled status fragment show."""
    percent, message = job_progress(job)
    context = {
        "job": job,
        "percent": percent,
        "progress_message": message,
        "retry_url": (
            reverse("cycle-import", args=[job.options["cycle"]])
            if job.options.get("cycle")
            else reverse("import-start")
        ),
    }
    if job.is_finished:
        context.update(
            errors=selectors.error_rows(job),
            changes=selectors.change_rows(job),
            warnings=job.result.get("warnings") or [],
            confirmation=imports.confirmation(job),
        )
    return context


class ImportListView(RoleRequiredMixin, BreadcrumbsMixin, TemplateView):
    """数据导入: the latest import jobs (one's own, and the county's for its admins)."""

    roles = IMPORTERS
    template_name = "reports/import_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            jobs=selectors.recent_imports(self.request.user),
            imports_whole=scope_of(self.request.user).has_role(Role.ADMIN),
        )
        return context

    def get_breadcrumbs(self):
        return [(_("数据导入"), None)]


class ImportStartView(RoleRequiredMixin, BreadcrumbsMixin, FormView):
    """导入整个考核周期: a county's admins upload one workbook holding a whole cycle."""

    roles = (Role.ADMIN,)
    template_name = "reports/import_start.html"
    form_class = ImportForm

    def form_valid(self, form):
        try:
            job = imports.start_import(actor=self.request.user, upload=form.cleaned_data["file"])
        except ValidationError as exc:
            form.add_error("file", exc)
            return self.form_invalid(form)
        return redirect("import-job", pk=job.pk)

    def get_breadcrumbs(self):
        return imports_crumbs((_("导入整个考核周期"), None))


class CycleImportView(RoleRequiredMixin, BreadcrumbsMixin, FormView):
    """导入部分数据: only some sheets (评分, 指标数据, 事项, 测评) into an existing cycle,
    by those who manage it; checked and confirmed like a whole cycle."""

    roles = IMPORTERS
    template_name = "reports/cycle_import.html"
    form_class = PartialImportForm

    def get(self, request, *args, **kwargs):
        self.cycle = managed_cycle(request.user, kwargs["pk"])
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.cycle = managed_cycle(request.user, kwargs["pk"])
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            cycle=self.cycle,
            jobs=selectors.recent_imports(self.request.user, cycle=self.cycle),
        )
        return context

    def form_valid(self, form):
        try:
            job = imports.start_import(
                actor=self.request.user,
                upload=form.cleaned_data["file"],
                cycle=self.cycle,
                only=form.cleaned_data["only"],
            )
        except ValidationError as exc:
            form.add_error("file", exc)
            return self.form_invalid(form)
        return redirect("import-job", pk=job.pk)

    def get_breadcrumbs(self):
        return [
            (_("考核周期"), reverse("cycle-list")),
            (self.cycle.name, reverse("cycle-detail", args=[self.cycle.pk])),
            (_("导入部分数据"), None),
        ]


class JobDetailView(RoleRequiredMixin, BreadcrumbsMixin, TemplateView):
    """One import: its progress while it runs, then every fault, or the preview with
    the 确认导入 button, or what was imported."""

    roles = IMPORTERS
    template_name = "reports/job_detail.html"

    def get_context_data(self, **kwargs):
        self.job = visible_job(self.request.user, self.kwargs["pk"])
        context = super().get_context_data(**kwargs)
        context.update(job_context(self.job))
        return context

    def get_breadcrumbs(self):
        return imports_crumbs((str(self.job), None))


class JobStatusView(RoleRequiredMixin, View):
    """The job page's status part, polled by htmx every second until the job ends."""

    roles = IMPORTERS

    def get(self, request, pk):
        job = visible_job(request.user, pk)
        return render(request, "reports/_job_status.html", job_context(job))


class ConfirmImportView(RoleRequiredMixin, View):
    """确认导入: apply a clean preview (its requester or an admin of its county)."""

    roles = IMPORTERS
    http_method_names = ["post"]

    def post(self, request, pk):
        preview = visible_job(request.user, pk)
        try:
            apply = imports.confirm_import(actor=request.user, job=preview)
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("import-job", pk=preview.pk)
        return redirect("import-job", pk=apply.pk)


class TemplateDownloadView(RoleRequiredMixin, View):
    """下载导入模板: the empty workbook with headers, input hints and drop-down lists."""

    roles = STAFF

    def get(self, request):
        return attachment(*services.template_workbook())


class ResultsExportView(RoleRequiredMixin, View):
    """导出排名 (Excel): the cycle's current results, recomputed first if 待更新;
    `?by_town=1` adds a sheet per town."""

    roles = COUNTY_STAFF

    def get(self, request, pk):
        cycle = get_object_or_404(
            Cycle.objects.for_user(request.user).select_related("county"), pk=pk
        )
        if not reads_whole_county(request.user, cycle):
            raise Http404
        by_town = request.GET.get("by_town") == "1"
        if services.exports_in_background(cycle):
            job = services.start_results_export(actor=request.user, cycle=cycle, by_town=by_town)
            return redirect("job-detail", pk=job.pk)
        try:
            workbook = services.results_workbook(cycle, user=request.user, by_town=by_town)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("ranking", pk=cycle.pk)
        return attachment(*workbook)
