"""Score entries (评分, SPEC §2): one rater's value for one participant, leaf and source.

Sources are the 三评: 自评 self, 目标 target (目标量评), 组织 org (组织考评). Entries point
at the leaves of the cycle's frozen template, so later template edits never move them.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from assessment.models import Cycle, Participant
from indicators.models import BarsLevel, IndicatorNode
from org.models import User, audit_history


class Source(models.TextChoices):
    SELF = "self", _("自评")
    TARGET = "target", _("目标量评")
    ORG = "org", _("组织考评")


# Cycle states in which a secretary sees their own results and assessors' scores.
VISIBLE_TO_SECRETARY = ("review", "published", "archived")


def _own_hidden_before_review(qs, user, *hidden):
    """Rows of participants the user reaches, except — on the user's own participation as
    a secretary — those matching `hidden` (all, without it) before the cycle's 公示."""
    conditions = models.Q(participant__secretary__user=user) & ~models.Q(
        participant__cycle__status__in=VISIBLE_TO_SECRETARY
    )
    for condition in hidden:
        conditions &= condition
    return qs.filter(participant__in=Participant.objects.for_user(user)).exclude(conditions)


class ScoreEntryQuerySet(models.QuerySet):
    def for_user(self, user):
        """Entries of participants the user reaches. On one's own participation (as a
        secretary) the assessors' entries only from 公示 on, like the results."""
        return _own_hidden_before_review(self, user, ~models.Q(source=Source.SELF))


class ScoreEntry(models.Model):
    participant = models.ForeignKey(
        Participant, verbose_name=_("参评书记"), on_delete=models.CASCADE, related_name="scores"
    )
    leaf = models.ForeignKey(
        IndicatorNode, verbose_name=_("指标"), on_delete=models.PROTECT, related_name="scores"
    )
    source = models.CharField(_("来源"), max_length=8, choices=Source.choices)
    rater = models.ForeignKey(
        User, verbose_name=_("评分人"), on_delete=models.PROTECT, related_name="scores_given"
    )
    value = models.DecimalField(_("分数"), max_digits=7, decimal_places=2)
    level = models.ForeignKey(
        BarsLevel,
        verbose_name=_("行为锚定等级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.TextField(_("备注"), blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    history = audit_history()
    objects = ScoreEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("评分")
        verbose_name_plural = _("评分")
        ordering = ["participant", "leaf__sort_key", "source", "rater"]
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "leaf", "source", "rater"], name="score_entry_unique"
            )
        ]

    def __str__(self):
        return f"{self.participant} · {self.leaf.code} · {self.get_source_display()} · {self.value}"

    # The audit trail names an entry from batched lookups (`org.audit`), not row by row.
    audit_repr_fields = ("participant", "leaf", "source", "value")

    def audit_scope_path(self):
        return self.participant.community.path


# ---------------------------------------------------------------- self-evaluation


class SelfEvaluationStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交")
    RETURNED = "returned", _("已退回")


class ParticipantChildQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(participant__in=Participant.objects.for_user(user))


class SelfEvaluation(models.Model):
    """The secretary's 自我检评 as a whole: a draft until submitted, then locked until an
    assessor returns it with a reason (the values are the 自评 score entries)."""

    participant = models.OneToOneField(
        Participant, on_delete=models.CASCADE, related_name="self_evaluation"
    )
    status = models.CharField(
        _("状态"),
        max_length=12,
        choices=SelfEvaluationStatus.choices,
        default=SelfEvaluationStatus.DRAFT,
    )
    summary = models.TextField(_("总体说明"), blank=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    returned_at = models.DateTimeField(_("退回时间"), null=True, blank=True)
    returned_by = models.ForeignKey(
        User,
        verbose_name=_("退回人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    returned_reason = models.TextField(_("退回原因"), blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    history = audit_history()
    objects = ParticipantChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("自我检评")
        verbose_name_plural = _("自我检评")

    def __str__(self):
        return f"{self.participant} · {self.get_status_display()}"

    def audit_scope_path(self):
        return self.participant.community.path

    @property
    def is_locked(self):
        return self.status == SelfEvaluationStatus.SUBMITTED


# ------------------------------------------------------------ critical incidents


class CriticalIncident(models.Model):
    """关键事件 (SPEC §2): a free-text description of behaviour, shown beside scores."""

    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="critical_incidents"
    )
    occurred_on = models.DateField(_("发生日期"), null=True, blank=True)
    text = models.TextField(_("事件经过"))
    author = models.ForeignKey(
        User, verbose_name=_("记录人"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    history = audit_history()
    objects = ParticipantChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("关键事件")
        verbose_name_plural = _("关键事件")
        ordering = ["participant", "-occurred_on", "-created_at"]

    def __str__(self):
        return self.text[:30]

    def audit_scope_path(self):
        return self.participant.community.path


# ------------------------------------------------------------------ grade override


class GradeOverride(models.Model):
    """An assessor's grade for one participant with its reason (SPEC §3.5), applied by
    the engine after the rules; deleting it restores the rule grade."""

    participant = models.OneToOneField(
        Participant, on_delete=models.CASCADE, related_name="grade_override"
    )
    grade = models.CharField(_("调整后等次"), max_length=10)
    reason = models.TextField(_("调整理由"))
    actor = models.ForeignKey(
        User, verbose_name=_("调整人"), on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("调整时间"), auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    history = audit_history()
    objects = ParticipantChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("等次调整")
        verbose_name_plural = _("等次调整")

    def __str__(self):
        return f"{self.participant} → {self.grade}"

    def audit_scope_path(self):
        return self.participant.community.path


# ------------------------------------------------------------------------ results


class ResultVersionQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(cycle__in=Cycle.objects.for_user(user))

    def current(self):
        return self.filter(is_current=True)


class ResultVersion(models.Model):
    """One complete computation of a cycle (DESIGN §3). Readers use the cycle's current
    version; a new one is swapped in only if the inputs did not change meanwhile."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="result_versions")
    inputs_version = models.PositiveIntegerField(_("输入版本"))
    is_current = models.BooleanField(default=False)
    is_published = models.BooleanField(_("已随发布锁定"), default=False)
    computed_at = models.DateTimeField(_("计算时间"), auto_now_add=True)
    duration_ms = models.PositiveIntegerField(default=0)
    n = models.PositiveIntegerField(_("参加排名人数"), default=0)
    quota = models.PositiveIntegerField(_("优秀名额"), default=0)
    top = models.PositiveIntegerField(_("一档人数"), default=0)
    bottom = models.PositiveIntegerField(_("三档人数"), default=0)
    groups = models.JSONField(default=list)
    warnings = models.JSONField(default=list)

    objects = ResultVersionQuerySet.as_manager()

    class Meta:
        verbose_name = _("计算结果版本")
        verbose_name_plural = _("计算结果版本")
        ordering = ["cycle", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["cycle"],
                condition=models.Q(is_current=True),
                name="one_current_result_version",
            )
        ]

    def __str__(self):
        return f"{self.cycle} · #{self.pk}"

    def is_stale_for(self, cycle):
        return self.inputs_version != cycle.inputs_version


class ResultQuerySet(models.QuerySet):
    def for_user(self, user):
        """Results of participants the user reaches; one's own results (as a secretary)
        only once the cycle is 公示中 or later (issue 5: visibility)."""
        return _own_hidden_before_review(self, user)

    def current(self):
        return self.filter(version__is_current=True)


class ResultSheet(models.Model):
    """One computation of one participant's leaf values (DESIGN §3). A result version
    shares the sheet of every participant whose inputs did not change since the version
    before it, so one changed score writes one participant's leaves, not the cycle's.
    Written and deleted only by `scoring.services`."""

    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )

    class Meta:
        verbose_name = _("得分明细")
        verbose_name_plural = _("得分明细")

    def __str__(self):
        return f"{self.participant_id} · #{self.pk}"


class Result(models.Model):
    """One participant's outcome in one result version (SPEC §3.2–§3.5)."""

    version = models.ForeignKey(ResultVersion, on_delete=models.CASCADE, related_name="results")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="results")
    # The participant's leaf values: this version's own computation, or an earlier
    # version's when nothing of the participant changed since (deleted with the last
    # result that uses it, by `scoring.services`).
    sheet = models.ForeignKey(
        ResultSheet, on_delete=models.DO_NOTHING, related_name="results", db_constraint=False
    )
    group = models.CharField(_("排名范围"), max_length=64, blank=True)
    graded = models.BooleanField(_("参加评定"))
    self_total = models.DecimalField(_("自评"), max_digits=7, decimal_places=2)
    target_total = models.DecimalField(_("目标量评"), max_digits=7, decimal_places=2)
    org_total = models.DecimalField(_("组织考评"), max_digits=7, decimal_places=2)
    composite = models.DecimalField(_("综合得分"), max_digits=7, decimal_places=2)
    bonus = models.DecimalField(_("加分"), max_digits=7, decimal_places=2)
    final = models.DecimalField(_("最终得分"), max_digits=7, decimal_places=2)
    taken = models.DecimalField(_("实扣分"), max_digits=7, decimal_places=2)
    veto = models.BooleanField(_("一票否决"))
    veto_reasons = models.JSONField(default=list)
    rank = models.PositiveIntegerField(_("排名"), null=True)
    grade = models.CharField(_("等次"), max_length=10)
    rule_grade = models.CharField(_("按规则等次"), max_length=10)
    override_reason = models.TextField(_("等次调整理由"), blank=True)
    tier = models.CharField(_("档次"), max_length=10, blank=True)
    coefficient = models.DecimalField(_("系数"), max_digits=5, decimal_places=3, null=True)
    pay = models.DecimalField(_("绩效报酬"), max_digits=12, decimal_places=2, null=True)
    flags = models.JSONField(default=list)
    warnings = models.JSONField(default=list)

    objects = ResultQuerySet.as_manager()

    class Meta:
        verbose_name = _("考核结果")
        verbose_name_plural = _("考核结果")
        ordering = ["version", "rank", "participant"]
        constraints = [
            models.UniqueConstraint(fields=["version", "participant"], name="result_unique")
        ]

    def __str__(self):
        return f"{self.participant} · {self.final}"

    @property
    def leaves(self):
        """This result's leaf values (its sheet's)."""
        return LeafResult.objects.filter(sheet_id=self.sheet_id)


class LeafResult(models.Model):
    """One leaf's rounded S/T/O values on one participant's sheet (SPEC §3.2)."""

    # Derived rows, tens of thousands per full computation, written and deleted only by
    # `scoring.services` (COPY in, plain DELETE out, inside the version's transaction):
    # no database foreign-key checks — they were most of a city's commit — and no index
    # of its own on `sheet` (the unique index below starts with it).
    sheet = models.ForeignKey(
        ResultSheet,
        on_delete=models.CASCADE,
        related_name="leaves",
        db_constraint=False,
        db_index=False,
    )
    leaf = models.ForeignKey(
        IndicatorNode, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    self_value = models.DecimalField(_("自评"), max_digits=7, decimal_places=2)
    target_value = models.DecimalField(_("目标量评"), max_digits=7, decimal_places=2)
    org_value = models.DecimalField(_("组织考评"), max_digits=7, decimal_places=2)
    org_overridden = models.BooleanField(default=False)
    # The engine's `LeafValue.basis`, to 4 decimals: metric actual, survey rate (%), or
    # points deducted — shown beside an automatic leaf's value as 计分依据.
    basis = models.DecimalField(_("计分依据"), max_digits=20, decimal_places=4, null=True)

    class Meta:
        verbose_name = _("指标得分")
        verbose_name_plural = _("指标得分")
        ordering = ["sheet", "leaf__sort_key"]
        constraints = [models.UniqueConstraint(fields=["sheet", "leaf"], name="leaf_result_unique")]

    def __str__(self):
        return f"{self.sheet_id} · {self.leaf_id}"
