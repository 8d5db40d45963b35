"""Ballot slips as jobs (SPEC §2 民主评议, §5): issuing a batch asks for the job that makes
its tokens and slips PDF (`surveys.ballots.services.make_slips`). The batch's page shows
the same progress and, once ready, offers the PDF to its issuer once; the job only says
how it went (the clear tokens never leave the batch's PDF)."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from reports.jobs import running
from reports.models import Job, JobKind
from surveys.ballots.services import make_slips
from surveys.models import BallotBatch, SlipsState


def start_slips(batch):
    """The slips job of a batch just issued (listener of `on_batch_issued`, inside the
    issuing transaction: the batch and its job commit together)."""
    return running.start_job(
        kind=JobKind.BALLOT_SLIPS,
        requested_by=batch.created_by,
        county=batch.cycle.county,
        cycle=batch.cycle,
        options={"batch": batch.pk},
    )


def run_slips(job):
    """The work of a slips job; progress goes to the job's row as it goes."""
    batch_id = job.options["batch"]

    def progress(percent):
        Job.objects.filter(pk=job.pk).update(progress=percent)

    state = make_slips(batch_id, progress=progress)
    if state == SlipsState.FAILED:
        error = BallotBatch.objects.filter(pk=batch_id).values_list("slips_error", flat=True)
        raise ValidationError(error.first() or _("生成评议票 PDF 失败。"))
    if state == SlipsState.READY:
        return _("评议票已生成，请到批次页面下载 PDF。"), {"batch": batch_id}
    return _("这批评议票已作废或已生成，无需再做。"), {"batch": batch_id}


def register():
    running.register_work(
        JobKind.BALLOT_SLIPS,
        run_slips,
        failed=gettext_lazy(
            "生成评议票 PDF 时发生意外错误，本批次没有发出任何评议码。请重新发放；"
            "如仍失败，请联系系统管理员。"
        ),
        abandoned=gettext_lazy(
            "生成任务中断（处理进程已停止），本批次没有发出任何评议码。请重新发放。"
        ),
    )
