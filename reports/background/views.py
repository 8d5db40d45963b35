"""The 任务 page: one's jobs (an admin: their counties' too) with a progress bar that
follows them without reloading, the outcome, the error in Chinese; and a job's own page.
A job outside the reader's reach answers 404."""

import mimetypes

from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from core.pagination import paginate
from core.views import file_download
from reports.background import selectors
from reports.backups.services import may_back_up
from reports.models import IMPORT_KINDS, Job, JobKind, JobState


def _list_context(request):
    """A page of the jobs (SPEC §6); the polled table shows the same page."""
    job_filter = selectors.JobFilter.from_query(request.GET)
    page = paginate(request, selectors.visible_jobs(request.user, job_filter))
    rows = selectors.rows(page.object_list)
    return {
        "rows": rows,
        "page_obj": page,
        "running": selectors.any_running(rows),
        "filter": job_filter,
        "kinds": JobKind.choices,
        "states": JobState.choices,
        "query": request.GET.urlencode(),
    }


class JobListView(LoginRequiredMixin, View):
    def get(self, request):
        context = _list_context(request)
        context["breadcrumbs"] = [(_("后台任务"), "")]
        context["may_back_up"] = may_back_up(request.user)
        return render(request, "reports/background/list.html", context)


class JobRowsView(LoginRequiredMixin, View):
    """The list's table, polled by htmx while a job in it runs."""

    def get(self, request):
        return render(request, "reports/background/_rows.html", _list_context(request))


class JobPageView(LoginRequiredMixin, View):
    def get(self, request, pk):
        job = get_object_or_404(Job.objects.for_user(request.user), pk=pk)
        if job.kind in IMPORT_KINDS:
            return redirect("import-job", pk=job.pk)
        (row,) = selectors.rows([job])
        template = (
            "reports/background/_job.html"
            if request.headers.get("HX-Request")
            else "reports/background/detail.html"
        )
        return render(
            request,
            template,
            {
                "row": row,
                "job": job,
                "breadcrumbs": [(_("后台任务"), reverse("job-list")), (str(job), "")],
            },
        )


class JobOutputView(LoginRequiredMixin, View):
    """The file a job made (an export), to those who see the job."""

    def get(self, request, pk):
        job = get_object_or_404(Job.objects.for_user(request.user).exclude(output=""), pk=pk)
        name = job.output_name or f"job-{job.pk}"
        content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        return file_download(job.output.open("rb"), name, content_type)
