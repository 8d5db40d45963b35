"""Metric values and the records counted metrics come from (SPEC §2 Metric):
metric values per community and cycle (entered, imported, or counted), 民情日记 (the
secretary's diary of residents' concerns) and 网格事件 (grid events with their status).
Counted metrics: `evidence.records.counters`.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from assessment.models import Cycle
from org.models import OrgUnit, User, audit_history


class CommunityScopedQuerySet(models.QuerySet):
    def for_user(self, user):
        """Rows of the communities the user reaches (a secretary: their own community)."""
        return self.filter(community__in=OrgUnit.objects.for_user(user))


class MetricValueSource(models.TextChoices):
    ENTERED = "entered", _("录入")
    IMPORTED = "imported", _("导入")


class MetricValueQuerySet(CommunityScopedQuerySet):
    def for_user(self, user):
        return super().for_user(user).filter(cycle__in=Cycle.objects.for_user(user))


class MetricValue(models.Model):
    """The actual value (实际值) of one metric (`key` of the cycle's frozen template) for
    one community in one cycle."""

    cycle = models.ForeignKey(
        Cycle, verbose_name=_("考核周期"), on_delete=models.CASCADE, related_name="metric_values"
    )
    community = models.ForeignKey(
        OrgUnit, verbose_name=_("社区"), on_delete=models.PROTECT, related_name="+"
    )
    key = models.CharField(_("数据项"), max_length=50)
    value = models.DecimalField(_("实际值"), max_digits=14, decimal_places=4)
    source = models.CharField(
        _("来源"),
        max_length=16,
        choices=MetricValueSource.choices,
        default=MetricValueSource.ENTERED,
    )
    note = models.CharField(_("备注"), max_length=200, blank=True)
    entered_by = models.ForeignKey(
        User, verbose_name=_("录入人"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    history = audit_history(table_name="assessment_historicalmetricvalue")
    objects = MetricValueQuerySet.as_manager()

    class Meta:
        # The table keeps the name it had before the model moved here (DESIGN §2).
        db_table = "assessment_metricvalue"
        verbose_name = _("指标数据")
        verbose_name_plural = _("指标数据")
        ordering = ["cycle", "community__path", "key"]
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "community", "key"], name="metric_value_unique"
            )
        ]

    def __str__(self):
        return f"{self.key}={self.value}"

    def audit_scope_path(self):
        return self.community.path


class DiaryCategory(models.TextChoices):
    DISPUTE = "dispute", _("矛盾纠纷")
    LIVELIHOOD = "livelihood", _("民生诉求")
    ENVIRONMENT = "environment", _("环境卫生")
    SAFETY = "safety", _("安全隐患")
    SUGGESTION = "suggestion", _("意见建议")
    OTHER = "other", _("其他")


class DiaryEntry(models.Model):
    """民情日记: a concern the secretary heard from residents, and its follow-up."""

    community = models.ForeignKey(
        OrgUnit, verbose_name=_("社区"), on_delete=models.PROTECT, related_name="diary_entries"
    )
    recorded_on = models.DateField(_("日期"))
    category = models.CharField(_("类别"), max_length=16, choices=DiaryCategory.choices)
    content = models.TextField(_("民情内容"))
    follow_up = models.TextField(_("跟进情况"), blank=True)
    resolved = models.BooleanField(_("已解决"), default=False)
    resolved_on = models.DateField(_("解决日期"), null=True, blank=True)
    author = models.ForeignKey(
        User, verbose_name=_("记录人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    history = audit_history(table_name="assessment_historicaldiaryentry")
    objects = CommunityScopedQuerySet.as_manager()

    class Meta:
        # The table keeps the name it had before the model moved here (DESIGN §2).
        db_table = "assessment_diaryentry"
        verbose_name = _("民情日记")
        verbose_name_plural = _("民情日记")
        ordering = ["-recorded_on", "-pk"]
        indexes = [models.Index(fields=["community", "recorded_on"], name="diary_community_date")]

    def __str__(self):
        return f"{self.recorded_on:%Y-%m-%d} {self.get_category_display()}"

    def audit_scope_path(self):
        return self.community.path


class GridEventStatus(models.TextChoices):
    REPORTED = "reported", _("已上报")
    HANDLING = "handling", _("处理中")
    RESOLVED = "resolved", _("已办结")


class GridEvent(models.Model):
    """网格事件: something reported in a grid of the community, handled to resolution."""

    community = models.ForeignKey(
        OrgUnit, verbose_name=_("社区"), on_delete=models.PROTECT, related_name="grid_events"
    )
    grid = models.ForeignKey(
        OrgUnit,
        verbose_name=_("网格"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reported_on = models.DateField(_("上报日期"))
    category = models.CharField(_("类别"), max_length=16, choices=DiaryCategory.choices)
    description = models.TextField(_("事件描述"))
    status = models.CharField(
        _("状态"), max_length=16, choices=GridEventStatus.choices, default=GridEventStatus.REPORTED
    )
    handling_note = models.TextField(_("处理情况"), blank=True)
    resolved_on = models.DateField(_("办结日期"), null=True, blank=True)
    reported_by = models.ForeignKey(
        User, verbose_name=_("上报人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    history = audit_history(table_name="assessment_historicalgridevent")
    objects = CommunityScopedQuerySet.as_manager()

    class Meta:
        # The table keeps the name it had before the model moved here (DESIGN §2).
        db_table = "assessment_gridevent"
        verbose_name = _("网格事件")
        verbose_name_plural = _("网格事件")
        ordering = ["-reported_on", "-pk"]
        indexes = [
            models.Index(fields=["community", "status", "resolved_on"], name="grid_event_counted")
        ]

    def __str__(self):
        return f"{self.reported_on:%Y-%m-%d} {self.get_category_display()}"

    def audit_scope_path(self):
        return self.community.path
