"""Jobs (SPEC §5, DESIGN §5): the one record of slow work — Excel imports (a preview,
then the apply the user confirms), recomputes, exports, bulletins, pay-band sheets,
ballot slips, backups. Celery is only transport: the row says what was asked, by whom
(nobody: the schedule or the system), how far it got and how it ended.

A job is not audited with django-simple-history: the row itself is the who/when record
of an import, and what an import changes is audited on the imported rows. Its own
updates are machine-made progress that an audit trail would only bloat.
"""

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assessment.models import Cycle
from org.models import OrgUnit, User
from org.scope import Role, scope_of


def output_path(instance, filename):
    """`outputs/<year>/<random hex>`: what a job made, served only through its job's
    page to those who see the job."""
    return f"outputs/{timezone.localdate():%Y}/{uuid.uuid4().hex}"


def upload_path(instance, filename):
    """`imports/<year>/<random hex>`: no original name, nothing guessable; MEDIA_ROOT is
    outside the web root and only the job's own code reads the file back."""
    return f"imports/{timezone.localdate():%Y}/{uuid.uuid4().hex}"


class JobKind(models.TextChoices):
    IMPORT_PREVIEW = "import_preview", _("导入检查")
    IMPORT_APPLY = "import_apply", _("正式导入")
    BULLETIN = "bulletin", _("生成季度通报")
    RESULTS_EXPORT = "results_export", _("导出考核结果")
    PAY_BANDS = "pay_bands", _("生成分档定薪表")
    RECOMPUTE = "recompute", _("计算考核结果")
    BALLOT_SLIPS = "ballot_slips", _("生成评议票")
    BACKUP = "backup", _("备份数据")


IMPORT_KINDS = frozenset({JobKind.IMPORT_PREVIEW, JobKind.IMPORT_APPLY})


class JobState(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("处理中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


FINISHED_STATES = frozenset({JobState.DONE, JobState.FAILED})


class JobQuerySet(models.QuerySet):
    def for_user(self, user):
        """One's own jobs, and the jobs of the counties one administers (DESIGN §4)."""
        scope = scope_of(user)
        if scope.is_global:
            return self
        if not user.is_authenticated:
            return self.none()
        return self.filter(Q(requested_by=user) | scope.path_q("county__path", {Role.ADMIN}))


class Job(models.Model):
    kind = models.CharField(_("类型"), max_length=32, choices=JobKind.choices)
    # Whose job it is for scoping. A whole-cycle import names its county inside the file:
    # until the import has run, it is the requester's only administered unit (none when
    # they administer several), then the imported cycle's county.
    county = models.ForeignKey(
        OrgUnit,
        verbose_name=_("所属县/区"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The cycle the job is about: the target of a partial import, or the cycle a
    # whole-cycle import created or updated (known once it is applied).
    cycle = models.ForeignKey(
        Cycle,
        verbose_name=_("考核周期"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # None: started by the schedule (a quarter's bulletin), not by a person.
    requested_by = models.ForeignKey(
        User,
        verbose_name=_("发起人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The preview an apply job confirms.
    preview = models.ForeignKey(
        "self",
        verbose_name=_("导入检查"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="applies",
    )
    state = models.CharField(
        _("状态"), max_length=16, choices=JobState.choices, default=JobState.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("进度"), default=0)
    message = models.CharField(_("说明"), max_length=500, blank=True)
    # The uploaded workbook; a preview and its apply share one stored file, which is
    # deleted once it can no longer be used (`reports.jobs.imports`).
    upload = models.FileField(_("文件"), upload_to=upload_path, max_length=200, blank=True)
    upload_name = models.CharField(_("文件名"), max_length=255, blank=True)
    upload_size = models.PositiveBigIntegerField(_("大小（字节）"), default=0)
    upload_sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    # What was asked: {"only": [sheet, …], "cycle": target cycle id or null}.
    options = models.JSONField(_("选项"), default=dict, blank=True)
    # A file the job made (an export), and the name it is downloaded under.
    output = models.FileField(_("结果文件"), upload_to=output_path, max_length=200, blank=True)
    output_name = models.CharField(_("结果文件名"), max_length=255, blank=True)
    # How it ended: {"errors": [CellError.as_dict(), …]} or ImportOutcome.as_dict().
    result = models.JSONField(_("结果"), default=dict, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    # When it was last handed to a worker (created, or re-queued by the sweeper).
    queued_at = models.DateTimeField(_("排队时间"), default=timezone.now)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = JobQuerySet.as_manager()

    class Meta:
        verbose_name = _("后台任务")
        verbose_name_plural = _("后台任务")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["state", "created_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="job_progress_percent"),
            # Changes arriving while a recompute waits share it (`reports.jobs.recompute`).
            models.UniqueConstraint(
                fields=["cycle"],
                condition=Q(kind="recompute", state="queued"),
                name="one_waiting_recompute_per_cycle",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def is_finished(self):
        return self.state in FINISHED_STATES

    @property
    def only(self):
        """The sheets of a partial import (empty: the whole cycle)."""
        return list(self.options.get("only") or [])

    @property
    def errors(self):
        return list(self.result.get("errors") or [])
