"""Metric values and the records counted metrics come from (SPEC §2 Metric):
metric values per community and cycle (entered, imported, or counted), 民情日记 (the
secretary's diary of residents' concerns), 网格事件 (grid events with their status) and
核查 (spot checks of those records, SPEC §2 Record checks).
Counted metrics: `evidence.records.counters`.
"""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from assessment.models import Cycle
from org.models import OrgUnit, User, audit_history
from org.scope import SUBTREE_ROLES


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
    # Who marked it 已办结 (cleared on reopening): a record closed by its own reporter is
    # flagged in the lists (核查, SPEC §2 Record checks).
    resolved_by = models.ForeignKey(
        User,
        verbose_name=_("办结人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
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

    @property
    def closed_by_reporter(self):
        """本人报告本人办结: resolved by the person who reported it."""
        return self.resolved_by_id is not None and self.resolved_by_id == self.reported_by_id


# --------------------------------------------------------------------- 核查 (spot checks)


class SpotCheckKinds(models.TextChoices):
    ALL = "all", _("民情日记和网格事件")
    DIARY = "diary", _("仅民情日记")
    GRID_EVENTS = "grid_events", _("仅网格事件")


class SpotCheckQuerySet(models.QuerySet):
    def for_user(self, user):
        """Checks of the communities the user reaches, in the cycles they reach. A
        secretary sees their community's checks only once every record is marked: who is
        being checked stays unknown until the results are in (SPEC §2 Record checks)."""
        staff_units = OrgUnit.objects.for_user(user, roles=SUBTREE_ROLES)
        return self.filter(
            community__in=OrgUnit.objects.for_user(user),
            cycle__in=Cycle.objects.for_user(user),
        ).filter(models.Q(community__in=staff_units) | models.Q(finished_at__isnull=False))


class SpotCheck(models.Model):
    """核查: a random sample of one community's 民情日记 and 网格事件 of a period, drawn by
    a town or county assessor. The sample is reproducible: `population` holds the
    records it was drawn from, in order, and `seed` the random generator's seed, so that
    `random.Random(seed).sample(population, size)` gives the items again."""

    cycle = models.ForeignKey(
        Cycle, verbose_name=_("考核周期"), on_delete=models.CASCADE, related_name="spot_checks"
    )
    community = models.ForeignKey(
        OrgUnit, verbose_name=_("社区"), on_delete=models.PROTECT, related_name="+"
    )
    period_start = models.DateField(_("核查起始日"))
    period_end = models.DateField(_("核查截止日"))
    kinds = models.CharField(
        _("核查记录"), max_length=16, choices=SpotCheckKinds.choices, default=SpotCheckKinds.ALL
    )
    share = models.PositiveSmallIntegerField(
        _("抽查比例（%）"), validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    minimum = models.PositiveSmallIntegerField(_("最少抽查条数"), validators=[MinValueValidator(1)])
    population = models.JSONField(_("抽样范围"), default=list)
    seed = models.BigIntegerField(_("随机种子"))
    deduction_type = models.ForeignKey(
        "indicators.EventType",
        verbose_name=_("不实记录计入事项类型"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    drawn_by = models.ForeignKey(
        User, verbose_name=_("抽取人"), on_delete=models.PROTECT, related_name="+"
    )
    drawn_at = models.DateTimeField(_("抽取时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("核查完成时间"), null=True, blank=True)

    history = audit_history()
    objects = SpotCheckQuerySet.as_manager()

    class Meta:
        verbose_name = _("记录核查")
        verbose_name_plural = _("记录核查")
        ordering = ["-drawn_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period_start__lte=models.F("period_end")),
                name="spot_check_period_in_order",
            )
        ]

    def __str__(self):
        return f"{self.community.name} {self.period_start:%Y-%m-%d}—{self.period_end:%Y-%m-%d}"

    def audit_scope_path(self):
        return self.community.path


class SpotCheckVerdict(models.TextChoices):
    PENDING = "pending", _("待核查")
    CONFIRMED = "confirmed", _("属实")
    REFUTED = "refuted", _("不实")


class SpotCheckItemQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(spot_check__in=SpotCheck.objects.for_user(user))


class SpotCheckItem(models.Model):
    """One sampled record (a 民情日记 or a 网格事件) and what the check found. A 不实
    record stops counting in the counted metrics (`evidence.records.counters`)."""

    spot_check = models.ForeignKey(
        SpotCheck, verbose_name=_("记录核查"), on_delete=models.CASCADE, related_name="items"
    )
    position = models.PositiveSmallIntegerField(_("序号"))
    diary_entry = models.ForeignKey(
        DiaryEntry,
        verbose_name=_("民情日记"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="spot_check_items",
    )
    grid_event = models.ForeignKey(
        GridEvent,
        verbose_name=_("网格事件"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="spot_check_items",
    )
    verdict = models.CharField(
        _("核查结果"),
        max_length=16,
        choices=SpotCheckVerdict.choices,
        default=SpotCheckVerdict.PENDING,
    )
    note = models.TextField(_("核查说明"), blank=True)
    checked_by = models.ForeignKey(
        User,
        verbose_name=_("核查人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    checked_at = models.DateTimeField(_("核查时间"), null=True, blank=True)
    # The deduction event reported for a 不实 record (待核实 until someone else verifies).
    deduction_event = models.ForeignKey(
        "evidence.Event",
        verbose_name=_("扣分事项"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    version = models.PositiveIntegerField(default=1, editable=False)

    history = audit_history()
    objects = SpotCheckItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("核查记录")
        verbose_name_plural = _("核查记录")
        ordering = ["spot_check", "position"]
        indexes = [models.Index(fields=["verdict"], name="spot_check_item_verdict")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(diary_entry__isnull=False, grid_event__isnull=True)
                | models.Q(diary_entry__isnull=True, grid_event__isnull=False),
                name="spot_check_item_one_record",
            ),
            models.UniqueConstraint(
                fields=["spot_check", "position"], name="spot_check_item_position_unique"
            ),
        ]

    def __str__(self):
        return f"{self.spot_check_id}#{self.position}"

    def audit_scope_path(self):
        return self.spot_check.community.path

    @property
    def record(self):
        return self.diary_entry or self.grid_event
