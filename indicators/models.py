"""Indicator templates (指标体系): a versioned tree of indicators with their methods,
behaviour anchors, event types, metric definitions and survey categories (SPEC §2, §3.1).

A template belongs to one county. Opening a cycle freezes a deep copy of the template
(`is_frozen`); a template some cycle was opened from is `released`, and editing it then
creates the next edition instead (`services.editable_edition`).
"""

import uuid
from decimal import Decimal

from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from indicators.validation import Method
from org.models import OrgUnit, audit_history
from org.scope import Role, county_q, scope_of

POINTS = {"max_digits": 7, "decimal_places": 2}


class TemplateQuerySet(models.QuerySet):
    def for_user(self, user, roles=tuple(Role)):
        """Templates of the county each grant lies in (everyone there reads the
        indicators they are assessed by), and of counties below a grant."""
        if scope_of(user).is_global:
            return self
        return self.filter(county_q(user, "county", roles))

    def editable(self):
        return self.filter(is_frozen=False)


class IndicatorTemplate(models.Model):
    county = models.ForeignKey(
        OrgUnit, verbose_name=_("所属县/区"), on_delete=models.PROTECT, related_name="templates"
    )
    name = models.CharField(_("名称"), max_length=100)
    description = models.TextField(_("说明"), blank=True)
    lineage = models.UUIDField(default=uuid.uuid4, editable=False, db_index=True)
    edition = models.PositiveIntegerField(_("版本号"), default=1)
    released = models.BooleanField(_("已用于考核周期"), default=False)
    is_frozen = models.BooleanField(_("周期冻结副本"), default=False)
    based_on = models.ForeignKey(
        "self",
        verbose_name=_("来源"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="derived",
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = audit_history()
    objects = TemplateQuerySet.as_manager()

    class Meta:
        verbose_name = _("指标体系")
        verbose_name_plural = _("指标体系")
        ordering = ["county__code", "name", "-edition"]

    def __str__(self):
        return f"{self.name}（第 {self.edition} 版）"

    def audit_scope_path(self):
        return self.county.path


class NodeQuerySet(models.QuerySet):
    def for_user(self, user, roles=tuple(Role)):
        return self.filter(template__in=IndicatorTemplate.objects.for_user(user, roles))


class IndicatorNode(models.Model):
    """One indicator. Top-level nodes are dimensions (一级指标) and may carry a range;
    leaves carry a method and its parameters."""

    class Methods(models.TextChoices):
        RATING = Method.RATING, _("评分")
        TARGET = Method.TARGET, _("目标")
        BANDS = Method.BANDS, _("分档")
        DEDUCTION = Method.DEDUCTION, _("扣分")
        SURVEY = Method.SURVEY, _("测评")

    template = models.ForeignKey(
        IndicatorTemplate,
        verbose_name=_("指标体系"),
        on_delete=models.CASCADE,
        related_name="nodes",
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    code = models.CharField(_("编码"), max_length=32)
    name = models.CharField(_("名称"), max_length=100)
    points = models.DecimalField(_("分值"), **POINTS, validators=[MinValueValidator(0)])
    description = models.TextField(_("评分标准"), blank=True)
    position = models.PositiveIntegerField(default=0)
    # Zero-padded positions from the root ("001.002"): sorting by it lists the tree in
    # reading order (1, 1.1, 1.2, …, 1.10, 2), which sorting codes as text would not.
    sort_key = models.CharField(max_length=64, editable=False, default="", db_index=True)
    range_min = models.DecimalField(_("分值下限"), **POINTS, null=True, blank=True)
    range_max = models.DecimalField(_("分值上限"), **POINTS, null=True, blank=True)
    method = models.CharField(_("方法"), max_length=16, choices=Methods.choices, blank=True)
    metric_key = models.CharField(_("数据项"), max_length=50, blank=True)
    target_value = models.DecimalField(
        _("目标值"), max_digits=14, decimal_places=4, null=True, blank=True
    )
    # Ordered [threshold, value] pairs, decimals kept as text: [["0", "0"], ["60", "2"]].
    bands = models.JSONField(_("分档"), default=list, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    history = audit_history()
    objects = NodeQuerySet.as_manager()

    class Meta:
        verbose_name = _("指标")
        verbose_name_plural = _("指标")
        ordering = ["template", "sort_key"]
        constraints = [
            models.UniqueConstraint(
                fields=["template", "code"], name="node_code_unique_in_template"
            )
        ]

    def __str__(self):
        return f"{self.code} {self.name}"

    def audit_scope_path(self):
        return self.template.county.path

    @property
    def band_pairs(self):
        return tuple((Decimal(t), Decimal(v)) for t, v in self.bands)

    @property
    def is_automatic(self):
        return self.method in Method.AUTOMATIC


class BarsLevel(models.Model):
    """A behaviour anchor (行为锚定) of a `rating` leaf: a rater picks a level."""

    node = models.ForeignKey(IndicatorNode, on_delete=models.CASCADE, related_name="bars_levels")
    position = models.PositiveIntegerField(default=0)
    label = models.CharField(_("等级"), max_length=50)
    description = models.TextField(_("行为描述"), blank=True)
    value = models.DecimalField(_("分值"), **POINTS)

    history = audit_history()

    class Meta:
        verbose_name = _("行为锚定等级")
        verbose_name_plural = _("行为锚定等级")
        ordering = ["node", "position"]

    def __str__(self):
        return f"{self.label}（{self.value}）"

    def audit_scope_path(self):
        return self.node.template.county.path


# Units that make a 数据项 a percentage: its values lie between 0 and 100.
PERCENT_UNITS = frozenset({"%", "％"})


class MetricDefinition(models.Model):
    """数据项: a number per community per cycle that target/bands leaves read."""

    class Source(models.TextChoices):
        ENTERED = "entered", _("录入")
        IMPORTED = "imported", _("导入")
        COUNTED = "counted", _("按记录统计")

    template = models.ForeignKey(
        IndicatorTemplate,
        verbose_name=_("指标体系"),
        on_delete=models.CASCADE,
        related_name="metrics",
    )
    key = models.CharField(
        _("数据项"),
        max_length=50,
        validators=[
            RegexValidator(
                r"^[a-z][a-z0-9_]*$", _("数据项代码用小写字母、数字和下划线，以字母开头。")
            )
        ],
    )
    name = models.CharField(_("名称"), max_length=100)
    unit = models.CharField(_("单位"), max_length=20, blank=True)
    source = models.CharField(
        _("取得方式"), max_length=16, choices=Source.choices, default=Source.ENTERED
    )
    version = models.PositiveIntegerField(default=1, editable=False)

    history = audit_history()

    class Meta:
        verbose_name = _("数据项")
        verbose_name_plural = _("数据项")
        ordering = ["template", "key"]
        constraints = [
            models.UniqueConstraint(
                fields=["template", "key"], name="metric_key_unique_in_template"
            )
        ]

    def __str__(self):
        return f"{self.name}（{self.key}）"

    @property
    def is_percent(self):
        return self.unit.strip() in PERCENT_UNITS

    def audit_scope_path(self):
        return self.template.county.path


class EventType(models.Model):
    """事项类型: points per occurrence (negative deducts), the deduction leaf it is
    charged to, an optional cap per cycle, and the veto flag (SPEC §2, §3.3)."""

    template = models.ForeignKey(
        IndicatorTemplate,
        verbose_name=_("指标体系"),
        on_delete=models.CASCADE,
        related_name="event_types",
    )
    code = models.CharField(_("编码"), max_length=32)
    name = models.CharField(_("名称"), max_length=100)
    points = models.DecimalField(_("分值"), **POINTS)
    leaf = models.ForeignKey(
        IndicatorNode,
        verbose_name=_("计入指标"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="event_types",
    )
    cap = models.DecimalField(_("每周期上限"), **POINTS, null=True, blank=True)
    is_veto = models.BooleanField(_("一票否决"), default=False)
    version = models.PositiveIntegerField(default=1, editable=False)

    history = audit_history()

    class Meta:
        verbose_name = _("事项类型")
        verbose_name_plural = _("事项类型")
        ordering = ["template", "code"]
        constraints = [
            models.UniqueConstraint(fields=["template", "code"], name="event_type_code_unique")
        ]

    def __str__(self):
        return f"{self.name}（{self.code}）"

    def audit_scope_path(self):
        return self.template.county.path


class SurveyCategory(models.Model):
    """A respondent category of democratic appraisal with its weight (SPEC §3.4)."""

    template = models.ForeignKey(
        IndicatorTemplate,
        verbose_name=_("指标体系"),
        on_delete=models.CASCADE,
        related_name="survey_categories",
    )
    name = models.CharField(_("类别"), max_length=50)
    weight = models.DecimalField(_("权重"), **POINTS, validators=[MinValueValidator(0)])
    version = models.PositiveIntegerField(default=1, editable=False)

    history = audit_history()

    class Meta:
        verbose_name = _("测评类别")
        verbose_name_plural = _("测评类别")
        ordering = ["template", "-weight", "name"]
        constraints = [
            models.UniqueConstraint(fields=["template", "name"], name="survey_category_unique")
        ]

    def __str__(self):
        return f"{self.name}（{self.weight}）"

    def audit_scope_path(self):
        return self.template.county.path
