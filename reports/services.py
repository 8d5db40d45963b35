"""Workbooks to download (SPEC §4): a cycle's results and the empty import template. A
large county's results are exported by a job (DESIGN §5), the file kept on the job."""

import io

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from assessment.models import Cycle
from core.security_log import security_event
from reports.excel.export import results_filename, write_results
from reports.excel.template import TEMPLATE_FILENAME, write_template
from reports.jobs.running import start_job
from reports.models import Job, JobKind, output_path
from scoring.access import reads_whole_county
from scoring.services import compute_until_current

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RECOMPUTE_ATTEMPTS = 3
# A cycle with more participants than this exports through a job, not in the request.
EXPORT_IN_REQUEST = 300


def bring_results_up_to_date(cycle):
    """Recompute when inputs changed since the current results (DESIGN §3), so the
    export never shows 待更新 numbers."""
    compute_until_current(cycle.pk, attempts=RECOMPUTE_ATTEMPTS)


def results_workbook(cycle, *, user, by_town=False, job=None):
    """(file, name) of the cycle's current results as `user` reaches them: 排名 and 明细,
    and a sheet per town when asked (in the security log, with the `job` making it). A
    ValidationError when there are no results."""
    bring_results_up_to_date(cycle)
    buffer = io.BytesIO()
    rows = write_results(cycle, buffer, by_town=by_town, user=user)
    buffer.seek(0)
    security_event(
        "export",
        user=user,
        kind="results",
        format="xlsx",
        cycle=cycle.pk,
        county=cycle.county.code,
        by_town=by_town,
        rows=rows,
        job=job.pk if job else None,
    )
    return buffer, results_filename(cycle, by_town=by_town)


def template_workbook():
    """(file, name) of the empty import template."""
    buffer = io.BytesIO()
    write_template(buffer)
    buffer.seek(0)
    return buffer, TEMPLATE_FILENAME


def exports_in_background(cycle):
    return cycle.participants.count() > EXPORT_IN_REQUEST


def start_results_export(*, actor, cycle, by_town=False):
    """The job that writes the results workbook (its page offers the file)."""
    return start_job(
        kind=JobKind.RESULTS_EXPORT,
        requested_by=actor,
        county=cycle.county,
        cycle=cycle,
        options={"cycle": cycle.pk, "by_town": bool(by_town)},
    )


def run_results_export(job):
    """The job's work: the workbook as its requester reaches the results now (their
    scope is checked again), stored on the job."""
    cycle = Cycle.objects.select_related("county").get(pk=job.options["cycle"])
    if job.requested_by is None or not reads_whole_county(job.requested_by, cycle):
        raise ValidationError(_("您已不能导出该考核周期的结果。"))
    file, name = results_workbook(
        cycle, user=job.requested_by, by_town=job.options["by_town"], job=job
    )
    storage = Job.output.field.storage
    stored = storage.save(output_path(job, name), ContentFile(file.getvalue()))
    Job.objects.filter(pk=job.pk).update(output=stored, output_name=name)
    return _("已导出，可以下载。"), {"output": name}
