"""Excel imports as jobs (SPEC §4, §5; DESIGN §5): upload, a preview, then the apply the
user confirms.

- `start_import` checks and stores the upload, records a preview job and queues it once
  the request commits; `confirm_import` queues the apply of a clean preview on the same
  stored file; `run_import` is their work (`running.run_job`). The import is one
  transaction, so a run whose worker vanished halfway simply runs again; its progress
  goes through `running.report_progress`.
- The stored file: under MEDIA_ROOT (outside the web root) at a random path; no view
  ever serves it. It is kept only while it may still be confirmed — a clean preview
  that would change something — and deleted as soon as a job using it ends any other
  way (a refused preview, a failed job, the apply). An unconfirmed preview's file goes
  once `CONFIRM_WITHIN` has passed (the sweeper, and whenever an import starts).
- The security log has a line when an import starts, when it is confirmed and when each
  job finishes (refused, checked, unchanged or applied).
"""

import hashlib
import os
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from assessment.models import Cycle
from assessment.services import may_manage
from core.security_log import security_event
from org.scope import Role, scope_of
from reports.excel.errors import CellError, ImportRejected
from reports.excel.importer import closed_reason, import_workbook
from reports.excel.layout import PARTIAL_SHEETS
from reports.excel.safety import ZIP_MAGIC, limits
from reports.jobs import running
from reports.models import FINISHED_STATES, IMPORT_KINDS, Job, JobKind, JobState

# A preview tells what the file would change *now*; confirmed much later, that is no
# longer what people checked.
CONFIRM_WITHIN = timedelta(hours=12)


# ----------------------------------------------------------------------- starting


def check_workbook_upload(upload):
    """The upload's name if it may be an .xlsx workbook we read; a ValidationError
    saying what is wrong otherwise. Only the size (the reader's own limit, checked
    before the file is stored), the name and the first bytes: the reader checks the
    content itself and reports it like any other fault."""
    name = os.path.basename(str(getattr(upload, "name", "") or "")).strip()
    max_bytes = limits().max_bytes
    if not upload.size:
        raise ValidationError(_("“%(name)s”是空文件，请选择填好的 Excel 文件。") % {"name": name})
    if upload.size > max_bytes:
        raise ValidationError(
            _("“%(name)s”有 %(size)s，超过 %(limit)s 的上限；请删去不需要的工作表或分批导入。")
            % {
                "name": name,
                "size": filesizeformat(upload.size),
                "limit": filesizeformat(max_bytes),
            }
        )
    upload.seek(0)
    head = upload.read(4)
    upload.seek(0)
    if not name.lower().endswith(".xlsx") or head != ZIP_MAGIC:
        raise ValidationError(
            _(
                "“%(name)s”不是 Excel 工作簿（.xlsx）。如果是旧版 .xls 或 WPS 格式，"
                "请在 Excel 中“另存为” .xlsx 后再上传。"
            )
            % {"name": name}
        )
    return name


def _sha256(chunks):
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()


def _administered_unit(actor):
    """The one unit the actor administers (None when there are several or none)."""
    units = {g.unit_id for g in scope_of(actor).grants if g.role == Role.ADMIN}
    return units.pop() if len(units) == 1 else None


def _partial_sheets(only):
    """The chosen sheets in workbook order; only those that may be imported alone."""
    chosen = set(only or ())
    unknown = chosen - set(PARTIAL_SHEETS)
    if unknown:
        raise ValidationError(
            _("不能单独导入这些工作表：%(sheets)s。") % {"sheets": "、".join(sorted(unknown))}
        )
    return [sheet for sheet in PARTIAL_SHEETS if sheet in chosen]


@transaction.atomic
def start_import(*, actor, upload, cycle=None, only=None):
    """Store the uploaded workbook and queue its preview (a dry run: what would change,
    or every fault). Without `cycle` it describes a whole cycle (its county's admins);
    with `cycle` and `only` some of SPEC §4's sheets go into that cycle (those who may
    manage it). The importer applies the same scope rules again when it runs."""
    if cycle is None:
        if only:
            raise ValueError("Choosing sheets needs a target cycle.")
        if not scope_of(actor).has_role(Role.ADMIN):
            raise PermissionDenied
        county_id, sheets = _administered_unit(actor), []
    else:
        if not may_manage(actor, cycle):
            raise PermissionDenied
        _check_writable(cycle)
        sheets = _partial_sheets(only)
        if not sheets:
            raise ValidationError(_("请至少选择一个要导入的工作表。"))
        county_id = cycle.county_id
    name = check_workbook_upload(upload)
    discard_expired_previews(timezone.now())
    job = Job(
        kind=JobKind.IMPORT_PREVIEW,
        county_id=county_id,
        cycle=cycle,
        requested_by=actor,
        options={"only": sheets, "cycle": cycle.pk if cycle else None},
        upload_name=name,
        upload_size=upload.size,
        upload_sha256=_sha256(upload.chunks()),
    )
    job.upload.save("import", upload, save=False)
    try:
        job.save()
    except Exception:
        job.upload.storage.delete(job.upload.name)
        raise
    transaction.on_commit(lambda: running.enqueue(job.pk))
    _log(
        "import_started",
        job,
        sheets=",".join(sheets) or "all",
        file=job.upload_name,
        bytes=job.upload_size,
    )
    return job


def _check_writable(cycle):
    """A published cycle refuses every write (DESIGN §4), an import included; checked
    when it is started and again when it is confirmed (and by the importer itself)."""
    if closed_reason(cycle):
        raise ValidationError(closed_reason(cycle))


def confirmable(job):
    """Whether the preview is one that may be confirmed at all (before time and file
    checks): finished, no faults, and something to change."""
    return (
        job.kind == JobKind.IMPORT_PREVIEW
        and job.state == JobState.DONE
        and not job.errors
        and changes_anything(job.result)
    )


@dataclass(frozen=True)
class Confirmation:
    """What a preview's page offers: the 确认导入 button, the apply it already led to,
    or a note that it is too late."""

    offered: bool = False
    apply: Job | None = None
    expired: bool = False


def confirmation(job):
    if not confirmable(job):
        return Confirmation()
    apply = job.applies.exclude(state=JobState.FAILED).order_by("-pk").first()
    if apply is not None:
        return Confirmation(apply=apply)
    if not job.upload or timezone.now() - job.finished_at > CONFIRM_WITHIN:
        return Confirmation(expired=True)
    return Confirmation(offered=True)


def changes_anything(result):
    return any(
        counts.get("created") or counts.get("changed") or counts.get("deleted")
        for counts in (result.get("changes") or {}).values()
    )


@transaction.atomic
def confirm_import(*, actor, job):
    """Queue the apply of a clean preview, on the very file that was checked. By the
    preview's requester or an admin of its county (`Job.objects.for_user`); refused
    once the preview is older than `CONFIRM_WITHIN`, the stored file is gone or
    changed, or the cycle has been published meanwhile. Confirming twice gives the same
    apply job."""
    preview = Job.objects.for_user(actor).select_for_update(of=("self",)).filter(pk=job.pk).first()
    if preview is None:
        raise PermissionDenied
    if not confirmable(preview):
        raise ValidationError(_("只有检查通过且有数据变动的导入才能确认。"))
    earlier = preview.applies.exclude(state=JobState.FAILED).first()
    if earlier is not None:
        return earlier
    if timezone.now() - preview.finished_at > CONFIRM_WITHIN:
        raise ValidationError(
            _("检查结果已超过 %(hours)d 小时，系统中的数据可能已有变化，请重新上传文件。")
            % {"hours": int(CONFIRM_WITHIN.total_seconds() // 3600)}
        )
    if not _stored_file_intact(preview):
        raise ValidationError(_("上传的文件已清理或已被改动，请重新上传。"))
    if preview.cycle_id is not None:
        _check_writable(preview.cycle)
    apply = Job.objects.create(
        kind=JobKind.IMPORT_APPLY,
        county_id=preview.county_id,
        cycle_id=preview.cycle_id,
        requested_by=actor,
        preview=preview,
        options=preview.options,
        upload=preview.upload.name,
        upload_name=preview.upload_name,
        upload_size=preview.upload_size,
        upload_sha256=preview.upload_sha256,
    )
    transaction.on_commit(lambda: running.enqueue(apply.pk))
    _log("import_confirmed", apply, preview=preview.pk)
    return apply


def _stored_file_intact(job):
    if not job.upload:
        return False
    try:
        with job.upload.storage.open(job.upload.name, "rb") as handle:
            return _sha256(iter(lambda: handle.read(1024 * 1024), b"")) == job.upload_sha256
    except FileNotFoundError:
        return False


# ------------------------------------------------------------------------ running


def run_import(job):
    """The work of an import job (`running.run_job`). A refused workbook ends the job as
    done with every fault in `result["errors"]`; an applied one moves the job to the
    cycle it made or changed."""
    running.report_progress(job.pk, 0, _("正在读取文件"))
    try:
        outcome = _import(job)
    except ImportRejected as exc:
        errors = [error.as_dict() for error in exc.errors]
        message = ngettext(
            "发现 %(n)d 处问题，未导入任何数据。",
            "发现 %(n)d 处问题，未导入任何数据。",
            len(errors),
        ) % {"n": len(errors)}
        _log_finished(job, "refused", errors=len(errors))
        return message, {"errors": errors}
    if outcome.applied and outcome.cycle_id:
        cycle = Cycle.objects.filter(pk=outcome.cycle_id).only("county_id").first()
        if cycle is not None:
            job.cycle_id, job.county_id = cycle.pk, cycle.county_id
    if not outcome.changed_anything:
        _log_finished(job, "unchanged")
    else:
        _log_finished(job, "applied" if outcome.applied else "checked")
    return _outcome_message(job, outcome), outcome.as_dict()


def _import(job):
    """The import the job asks for, as its requester (the importer checks their scope
    again: it may have changed since the upload)."""
    actor = job.requested_by
    target = None
    try:
        if job.options.get("cycle"):
            target = (
                Cycle.objects.for_user(actor)
                .select_related("county", "frozen_template")
                .filter(pk=job.options["cycle"])
                .first()
            )
            if target is None:
                raise PermissionDenied
        with job.upload.storage.open(job.upload.name, "rb") as source:
            return import_workbook(
                source,
                actor=actor,
                cycle=target,
                only=set(job.only) or None,
                dry_run=job.kind == JobKind.IMPORT_PREVIEW,
                progress=lambda percent, message: running.report_progress(job.pk, percent, message),
            )
    except PermissionDenied:
        refusal = CellError("文件", None, None, _("您无权向该考核周期导入数据。"))
        raise ImportRejected([refusal]) from None


def _log(event, job, **fields):
    """An import's line in the security log: its requester, job, cycle and county, and
    `fields`."""
    security_event(
        event,
        user=job.requested_by,
        job=job.pk,
        cycle=job.cycle_id,
        county=job.county.code if job.county_id else None,
        **fields,
    )


def _log_finished(job, outcome, **fields):
    # The preview's outcome is what a confirmation would do: checked (it would change
    # something), unchanged or refused; the apply's: applied, unchanged or refused.
    stage = "apply" if job.kind == JobKind.IMPORT_APPLY else "preview"
    _log("import_finished", job, stage=stage, outcome=outcome, **fields)


def _outcome_message(job, outcome):
    if job.kind == JobKind.IMPORT_APPLY:
        return _("导入完成。") if outcome.changed_anything else _("导入完成，数据没有变化。")
    if outcome.changed_anything:
        return _("检查通过，请核对将要发生的变化后确认导入。")
    return _("检查通过：文件中的数据与系统中的完全一致，无需导入。")


# ------------------------------------------------------------------- housekeeping


def discard_upload(name):
    """Delete a stored workbook and forget it on every job that used it."""
    if not name:
        return
    Job.objects.filter(upload=name).update(upload="")
    storage = Job.upload.field.storage
    # After the commit: a rolled-back change keeps its file.
    transaction.on_commit(lambda: storage.delete(name))


def drop_spent_upload(job):
    """Once an import job ended: its workbook goes unless it is a preview that may still
    be confirmed."""
    if not confirmable(job):
        discard_upload(job.upload.name)


def discard_expired_previews(now):
    """Delete the workbooks of previews no longer confirmable (the sweeper)."""
    in_use = Job.objects.exclude(state__in=FINISHED_STATES).exclude(upload="").values("upload")
    expired = (
        Job.objects.filter(kind=JobKind.IMPORT_PREVIEW, finished_at__lt=now - CONFIRM_WITHIN)
        .exclude(upload="")
        .exclude(upload__in=in_use)
        .values_list("upload", flat=True)
        .distinct()
    )
    for name in list(expired):
        discard_upload(name)


def register():
    for kind in IMPORT_KINDS:
        running.register_work(
            kind,
            run_import,
            failed=gettext_lazy(
                "处理时发生意外错误，未导入任何数据。请稍后重试；如仍失败，请联系系统管理员。"
            ),
            abandoned=gettext_lazy("任务中断（处理进程已停止），未导入任何数据。请重新上传。"),
            after_finish=drop_spent_upload,
        )
