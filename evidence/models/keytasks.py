"""Key tasks (重点工作 / 挂图作战, SPEC §2): a county assigns a task to communities with a
deadline and planned progress per quarter; communities report actual progress. Behind
plan → 滞后; past the deadline and unfinished → 约谈. Completion on time or late may raise
events of the configured types. Rules: `evidence.keytasks`.
"""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from assessment.models import Cycle
from org.models import OrgUnit, User, audit_history

PERCENT_VALIDATORS = [MinValueValidator(0), MaxValueValidator(100)]


def _plan(label):
    return models.PositiveSmallIntegerField(label, default=0, validators=PERCENT_VALIDATORS)


class KeyTaskQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(cycle__in=Cycle.objects.for_user(user))


class KeyTask(models.Model):
    cycle = models.ForeignKey(
        Cycle, verbose_name=_("考核周期"), on_delete=models.CASCADE, related_name="key_tasks"
    )
    title = models.CharField(_("任务名称"), max_length=200)
    description = models.TextField(_("任务要求"), blank=True)
    deadline = models.DateField(_("完成时限"))
    on_time_type = models.ForeignKey(
        "indicators.EventType",
        verbose_name=_("按期完成计入事项类型"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    late_type = models.ForeignKey(
        "indicators.EventType",
        verbose_name=_("逾期完成计入事项类型"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_by = models.ForeignKey(
        User, verbose_name=_("创建人"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    history = audit_history(table_name="assessment_historicalkeytask")
    objects = KeyTaskQuerySet.as_manager()

    class Meta:
        # The table keeps the name it had before the model moved here (DESIGN §2).
        db_table = "assessment_keytask"
        verbose_name = _("重点工作")
        verbose_name_plural = _("重点工作")
        ordering = ["cycle", "deadline", "pk"]

    def __str__(self):
        return self.title

    def audit_scope_path(self):
        return self.cycle.county.path


class AssignmentQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(
            task__cycle__in=Cycle.objects.for_user(user),
            community__in=OrgUnit.objects.for_user(user),
        )


class KeyTaskAssignment(models.Model):
    """One community's part of a key task: planned cumulative progress (%) at the end of
    each quarter, the latest reported progress, and when it was completed."""

    task = models.ForeignKey(
        KeyTask, verbose_name=_("重点工作"), on_delete=models.CASCADE, related_name="assignments"
    )
    community = models.ForeignKey(
        OrgUnit, verbose_name=_("社区"), on_delete=models.PROTECT, related_name="+"
    )
    plan_q1 = _plan(_("一季度计划进度"))
    plan_q2 = _plan(_("二季度计划进度"))
    plan_q3 = _plan(_("三季度计划进度"))
    plan_q4 = _plan(_("四季度计划进度"))
    progress = models.PositiveSmallIntegerField(
        _("实际进度"), default=0, validators=PERCENT_VALIDATORS
    )
    completed_on = models.DateField(_("完成日期"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    history = audit_history(table_name="assessment_historicalkeytaskassignment")
    objects = AssignmentQuerySet.as_manager()

    class Meta:
        # The table keeps the name it had before the model moved here (DESIGN §2).
        db_table = "assessment_keytaskassignment"
        verbose_name = _("重点工作分解")
        verbose_name_plural = _("重点工作分解")
        ordering = ["task", "community__path"]
        constraints = [
            models.UniqueConstraint(fields=["task", "community"], name="assignment_unique")
        ]

    def __str__(self):
        return f"{self.task.title} · {self.community.name}"

    def audit_scope_path(self):
        return self.community.path

    @property
    def plans(self):
        return (self.plan_q1, self.plan_q2, self.plan_q3, self.plan_q4)


class ProgressReportQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(assignment__in=KeyTaskAssignment.objects.for_user(user))


class ProgressReport(models.Model):
    """A community's report of its cumulative progress (%) on one assignment."""

    assignment = models.ForeignKey(
        KeyTaskAssignment,
        verbose_name=_("重点工作分解"),
        on_delete=models.CASCADE,
        related_name="reports",
    )
    reported_on = models.DateField(_("报告日期"))
    progress = models.PositiveSmallIntegerField(_("累计进度"), validators=PERCENT_VALIDATORS)
    note = models.TextField(_("进展情况"), blank=True)
    reported_by = models.ForeignKey(
        User, verbose_name=_("报告人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = audit_history(table_name="assessment_historicalprogressreport")
    objects = ProgressReportQuerySet.as_manager()

    class Meta:
        # The table keeps the name it had before the model moved here (DESIGN §2).
        db_table = "assessment_progressreport"
        verbose_name = _("进度报告")
        verbose_name_plural = _("进度报告")
        ordering = ["assignment", "reported_on", "pk"]

    def __str__(self):
        return f"{self.reported_on:%Y-%m-%d} {self.progress}%"

    def audit_scope_path(self):
        return self.assignment.community.path
