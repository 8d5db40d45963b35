"""The 分档定薪表 as files: its workbook and its PDF in 公文 style, each `(bytes, name,
content type)` — made in the request for a county of ordinary size, by a job (DESIGN §5)
above `reports.services.EXPORT_IN_REQUEST` participants (`run_pay_bands_job`)."""

import io

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.translation import gettext as _

from assessment.models import Cycle
from core.security_log import security_event
from reports.models import Job, output_path
from reports.official import PDF_CONTENT_TYPE, official_date, render_pdf
from reports.paybands.selectors import PUBLISHED_STATUSES, pay_sheet, sheet_version
from reports.paybands.workbook import pay_bands_filename, write_pay_bands
from reports.services import XLSX
from scoring.access import reads_whole_county

FORMATS = ("xlsx", "pdf")


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


def document(sheet, kind, *, user, job=None):
    """(bytes, file name, content type) of the sheet as `kind` (xlsx or pdf), made for
    `user` (in the security log, with the `job` making it)."""
    if kind == "pdf":
        made = (
            render_pdf("reports/paybands/pdf.html", pdf_context(sheet)),
            pay_bands_filename(sheet.cycle, "pdf"),
            PDF_CONTENT_TYPE,
        )
    else:
        buffer = io.BytesIO()
        write_pay_bands(sheet, buffer)
        made = buffer.getvalue(), pay_bands_filename(sheet.cycle, "xlsx"), XLSX
    security_event(
        "export",
        user=user,
        kind="pay_bands",
        format=kind,
        cycle=sheet.cycle.pk,
        county=sheet.cycle.county.code,
        draft=sheet.draft,
        rows=sheet.count,
        job=job.pk if job else None,
    )
    return made


def run_pay_bands_job(job):
    """The job's work: the published sheet as its requester reads it now (scope checked
    again), stored on the job for its page to offer."""
    cycle = Cycle.objects.select_related("county").get(pk=job.options["cycle"])
    user = job.requested_by
    if user is None or not reads_whole_county(user, cycle):
        raise ValidationError(_("您已不能查看该考核周期的分档定薪表。"))
    version = sheet_version(cycle) if cycle.status in PUBLISHED_STATUSES else None
    if version is None:
        raise ValidationError(_("结果发布后才能下载分档定薪表。"))
    kind = job.options["format"] if job.options.get("format") in FORMATS else "xlsx"
    data, name, _content_type = document(
        pay_sheet(cycle, version, user=user), kind, user=user, job=job
    )
    stored = Job.output.field.storage.save(output_path(job, name), ContentFile(data))
    Job.objects.filter(pk=job.pk).update(output=stored, output_name=name)
    return _("分档定薪表已生成，可以下载。"), {"output": name}
