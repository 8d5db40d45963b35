"""Assessment cycles (考核周期): settings, quarters, lifecycle, participants (SPEC §2, §3).

A cycle belongs to one county. Its state changes only through the transitions in
`assessment.services` (each recorded as a `CycleTransition`); once published it is
read-only everywhere.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.numbers import plain_number
from org.models import OrgUnit, Secretary, User, audit_history
from org.scope import Role, county_q, scope_of

PERCENT = {"max_digits": 5, "decimal_places": 2}
POINTS = {"max_digits": 7, "decimal_places": 2}


def _percent(label, default):
    return models.DecimalField(
        label,
        **PERCENT,
        default=Decimal(default),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )


class CycleStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    OPEN = "open", _("进行中")
    SCORING = "scoring", _("评分中")
    REVIEW = "review", _("公示中")
    PUBLISHED = "published", _("已发布")
    ARCHIVED = "archived", _("已归档")


LOCKED_STATUSES = frozenset({CycleStatus.PUBLISHED, CycleStatus.ARCHIVED})


class RankingGroup(models.TextChoices):
    CYCLE = "cycle", _("全周期统一排名")
    TOWN = "town", _("按乡镇/街道分别排名")


class TargetEntry(models.TextChoices):
    COUNTY = "county", _("县级考核员直接评分（提级考核）")
    TOWN = "town", _("镇街考核员录入目标量评")


class CycleQuerySet(models.QuerySet):
    def for_user(self, user, roles=tuple(Role)):
        if scope_of(user).is_global:
            return self
        return self.filter(county_q(user, "county", roles))


class Cycle(models.Model):
    county = models.ForeignKey(
        OrgUnit, verbose_name=_("所属县/区"), on_delete=models.PROTECT, related_name="cycles"
    )
    name = models.CharField(_("名称"), max_length=100)
    year = models.PositiveIntegerField(
        _("年度"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=CycleStatus.choices, default=CycleStatus.DRAFT
    )
    template = models.ForeignKey(
        "indicators.IndicatorTemplate",
        verbose_name=_("指标体系"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cycles",
    )
    frozen_template = models.OneToOneField(
        "indicators.IndicatorTemplate",
        verbose_name=_("冻结的指标体系"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="frozen_for",
    )
    # 三评 weights (SPEC §3.2), percent.
    weight_self = _percent(_("自评权重"), 10)
    weight_target = _percent(_("目标量评权重"), 50)
    weight_org = _percent(_("组织考评权重"), 40)
    bonus_cap = models.DecimalField(_("加分上限"), **POINTS, default=Decimal(20))
    # Grades (SPEC §3.5).
    threshold_excellent = models.DecimalField(_("优秀线"), **POINTS, default=Decimal(90))
    threshold_qualified = models.DecimalField(_("合格线"), **POINTS, default=Decimal(70))
    threshold_basic = models.DecimalField(_("基本合格线"), **POINTS, default=Decimal(60))
    excellent_share = _percent(_("优秀比例"), 20)
    label_excellent = models.CharField(_("第一等次名称"), max_length=10, default="优秀")
    label_qualified = models.CharField(_("第二等次名称"), max_length=10, default="合格")
    label_basic = models.CharField(_("第三等次名称"), max_length=10, default="基本合格")
    label_failed = models.CharField(_("第四等次名称"), max_length=10, default="不合格")
    # Pay tiers (SPEC §3.5): 2:6:2 by default.
    tier_top_share = _percent(_("一档比例"), 20)
    tier_bottom_share = _percent(_("三档比例"), 20)
    coefficient_top = models.DecimalField(
        _("一档系数"), max_digits=5, decimal_places=3, default=Decimal("1.10")
    )
    coefficient_middle = models.DecimalField(
        _("二档系数"), max_digits=5, decimal_places=3, default=Decimal("1.00")
    )
    coefficient_bottom = models.DecimalField(
        _("三档系数"), max_digits=5, decimal_places=3, default=Decimal("0.90")
    )
    pay_base = models.DecimalField(
        _("绩效基数"), max_digits=12, decimal_places=2, default=Decimal(0)
    )
    # Raters: with at least this many on one leaf, drop one highest and one lowest.
    trim_threshold = models.PositiveSmallIntegerField(
        _("去极值人数"), default=5, validators=[MinValueValidator(3)]
    )
    ranking_group = models.CharField(
        _("排名范围"), max_length=8, choices=RankingGroup.choices, default=RankingGroup.CYCLE
    )
    consecutive_years = models.PositiveSmallIntegerField(
        _("连续年数"), default=2, validators=[MinValueValidator(1)]
    )
    target_entry = models.CharField(
        _("目标量评录入"), max_length=8, choices=TargetEntry.choices, default=TargetEntry.COUNTY
    )
    # When secretaries should have submitted their self-evaluations: a reminder goes to
    # those who have not, three days before (`scoring.notices`). Informative: the
    # self-evaluation closes when the cycle moves on to 评分中.
    self_evaluation_due = models.DateField(
        _("自评截止日期"),
        null=True,
        blank=True,
        help_text=_("截止前三天，系统提醒尚未提交自我检评的书记。"),
    )
    # Survey choice values (SPEC §3.4).
    value_satisfied = _percent(_("“满意”计分"), 100)
    value_basic = _percent(_("“基本满意”计分"), 60)
    value_unsatisfied = _percent(_("“不满意”计分"), 0)
    # Bumped by every write to a scoring input; results behind it are stale (DESIGN §3).
    inputs_version = models.PositiveIntegerField(default=0, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = audit_history(excluded_fields=["inputs_version"])
    objects = CycleQuerySet.as_manager()

    class Meta:
        verbose_name = _("考核周期")
        verbose_name_plural = _("考核周期")
        ordering = ["-year", "name"]

    def __str__(self):
        return self.name

    def audit_scope_path(self):
        return self.county.path

    @property
    def is_locked(self):
        return self.status in LOCKED_STATUSES

    @property
    def grade_labels(self):
        return (self.label_excellent, self.label_qualified, self.label_basic, self.label_failed)

    def clean(self):
        errors = {}
        total = (self.weight_self or 0) + (self.weight_target or 0) + (self.weight_org or 0)
        if total != 100:
            errors["weight_org"] = _("三评权重合计为 %(total)s，应为 100。") % {
                "total": plain_number(Decimal(total))
            }
        if not (self.threshold_excellent > self.threshold_qualified > self.threshold_basic >= 0):
            errors["threshold_basic"] = _("等次分数线应满足：优秀线 > 合格线 > 基本合格线 ≥ 0。")
        if (self.tier_top_share or 0) + (self.tier_bottom_share or 0) > 100:
            errors["tier_bottom_share"] = _("一档与三档比例之和不能超过 100%。")
        if not (self.coefficient_top >= self.coefficient_middle >= self.coefficient_bottom > 0):
            errors["coefficient_bottom"] = _("档次系数应满足：一档 ≥ 二档 ≥ 三档 > 0。")
        if self.bonus_cap is not None and self.bonus_cap < 0:
            errors["bonus_cap"] = _("加分上限不能为负数。")
        if self.pay_base is not None and self.pay_base < 0:
            errors["pay_base"] = _("绩效基数不能为负数。")
        if not (self.value_satisfied >= self.value_basic >= self.value_unsatisfied):
            errors["value_unsatisfied"] = _("测评计分应满足：满意 ≥ 基本满意 ≥ 不满意。")
        labels = [label.strip() for label in self.grade_labels]
        if any(not label for label in labels) or len(set(labels)) != 4:
            errors["label_failed"] = _("四个等次名称都要填写，且互不相同。")
        if self.county_id and self.county.kind != "county":
            errors["county"] = _("考核周期只能属于县/区。")
        if errors:
            raise ValidationError(errors)


class QuarterQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(cycle__in=Cycle.objects.for_user(user))


class Quarter(models.Model):
    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="quarters")
    number = models.PositiveSmallIntegerField(
        _("季度"), validators=[MinValueValidator(1), MaxValueValidator(4)]
    )
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))

    history = audit_history()
    objects = QuarterQuerySet.as_manager()

    class Meta:
        verbose_name = _("季度")
        verbose_name_plural = _("季度")
        ordering = ["cycle", "number"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "number"], name="quarter_unique_in_cycle")
        ]

    def __str__(self):
        return _("第 %(n)d 季度") % {"n": self.number}

    def audit_scope_path(self):
        return self.cycle.county.path


class CycleTransition(models.Model):
    """One change of a cycle's state: who, when, from, to, why (SPEC §2)."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(_("原状态"), max_length=16, choices=CycleStatus.choices)
    to_status = models.CharField(_("新状态"), max_length=16, choices=CycleStatus.choices)
    actor = models.ForeignKey(
        User, verbose_name=_("操作人"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("状态变更")
        verbose_name_plural = _("状态变更")
        ordering = ["cycle", "at", "pk"]

    def __str__(self):
        return f"{self.get_from_status_display()} → {self.get_to_status_display()}"


class ParticipantQuerySet(models.QuerySet):
    def for_user(self, user, roles=None):
        """Participants of cycles the user reads whose secretary the user reaches: a
        town assessor their town's, a secretary only themself."""
        scope = scope_of(user)
        if scope.is_global:
            return self
        return self.filter(
            cycle__in=Cycle.objects.for_user(user),
            secretary__in=Secretary.objects.for_user(user),
        )


class Participant(models.Model):
    """A secretary enrolled in a cycle (SPEC §2). Not graded (不定等次): scored and
    listed, but unranked, e.g. fewer than six months in post."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="participants")
    secretary = models.ForeignKey(
        Secretary, verbose_name=_("书记"), on_delete=models.PROTECT, related_name="participations"
    )
    community = models.ForeignKey(
        OrgUnit, verbose_name=_("社区"), on_delete=models.PROTECT, related_name="+"
    )
    is_graded = models.BooleanField(_("参加评定"), default=True)
    not_graded_reason = models.CharField(_("不参加评定的原因"), max_length=200, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    history = audit_history()
    objects = ParticipantQuerySet.as_manager()
    audit_name_related = ("secretary", "community")

    class Meta:
        verbose_name = _("参评书记")
        verbose_name_plural = _("参评书记")
        ordering = ["cycle", "community__path", "secretary__staff_no"]
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "secretary"], name="participant_unique_in_cycle"
            )
        ]

    def __str__(self):
        return f"{self.secretary.name}（{self.community.name}）"

    def audit_scope_path(self):
        return self.community.path

    def clean(self):
        if not self.is_graded and not self.not_graded_reason.strip():
            raise ValidationError({"not_graded_reason": _("不参加评定时请写明原因。")})


class InputChange(models.Model):
    """Whom one write to a cycle's scoring inputs touched (DESIGN §3), under the
    `inputs_version` it made: the recompute after it scores those participants again and
    re-ranks everyone else from their stored results. `participants` null: anything may
    have changed (settings, participants, an import), so everyone is scored again.
    Written by `services.mark_inputs_changed`, forgotten once a version covers it."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="+")
    inputs_version = models.PositiveIntegerField()
    participants = models.JSONField(null=True)

    class Meta:
        verbose_name = _("评分输入变更")
        verbose_name_plural = _("评分输入变更")
        indexes = [models.Index(fields=["cycle", "inputs_version"], name="input_change_version")]

    def __str__(self):
        return f"{self.cycle_id} · {self.inputs_version}"
