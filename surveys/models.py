"""Democratic appraisal (民主评议, SPEC §2, §3.4; DESIGN §4).

Per cycle, community and respondent category (the cycle's frozen `SurveyCategory` rows
with their weights), batches of single-use ballot tokens are issued and printed as
slips. A resident opens the ballot with a token, without an account. Anonymity:

- a token is 128 bits of randomness; only its SHA-256 is stored (`BallotToken.digest`);
- a token is consumed with `UPDATE … WHERE used_on IS NULL` (exactly once);
- a `Ballot` row has no link to its token or batch (no foreign key), its only date is the
  day, and its primary key is random (a UUID), so neither the order of rows nor a
  timestamp ties a ballot to the moment a token was used.

Paper ballots are entered as counts (`PaperTally`), keyed twice by two people when the
cycle's survey settings ask for it; they count once two keyings agree.
"""

import uuid

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from assessment.models import Cycle
from org.models import OrgUnit, User, audit_history


class Choice(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    BASIC = "basic", _("基本满意")
    UNSATISFIED = "unsatisfied", _("不满意")
    UNKNOWN = "unknown", _("不了解")


class CommunityCycleQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(
            cycle__in=Cycle.objects.for_user(user),
            community__in=OrgUnit.objects.for_user(user),
        )


class CycleQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(cycle__in=Cycle.objects.for_user(user))


class SurveySettings(models.Model):
    """A cycle's survey rules beyond the categories and weights of its template."""

    cycle = models.OneToOneField(
        Cycle, verbose_name=_("考核周期"), on_delete=models.CASCADE, related_name="survey_settings"
    )
    # A category's results and comments are shown only from this many counted ballots.
    min_group_size = models.PositiveSmallIntegerField(
        _("结果显示最少票数"), default=5, validators=[MinValueValidator(1)]
    )
    double_entry = models.BooleanField(_("纸质票双人录入"), default=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    history = audit_history()
    objects = CycleQuerySet.as_manager()

    class Meta:
        verbose_name = _("测评设置")
        verbose_name_plural = _("测评设置")

    def __str__(self):
        return str(self.cycle)

    def audit_scope_path(self):
        return self.cycle.county.path


class BallotBatch(models.Model):
    """N single-use tokens for one community and category of a cycle."""

    cycle = models.ForeignKey(
        Cycle, verbose_name=_("考核周期"), on_delete=models.CASCADE, related_name="ballot_batches"
    )
    community = models.ForeignKey(
        OrgUnit, verbose_name=_("社区"), on_delete=models.PROTECT, related_name="+"
    )
    category = models.ForeignKey(
        "indicators.SurveyCategory",
        verbose_name=_("评议人类别"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    size = models.PositiveIntegerField(_("票数"), validators=[MinValueValidator(1)])
    created_by = models.ForeignKey(
        User, verbose_name=_("创建人"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    # The printable slips carry the tokens in clear; they exist only until printed once.
    slips_printed = models.BooleanField(_("已打印"), default=False)

    history = audit_history()
    objects = CommunityCycleQuerySet.as_manager()

    class Meta:
        verbose_name = _("评议票批次")
        verbose_name_plural = _("评议票批次")
        ordering = ["cycle", "community__path", "category", "pk"]

    def __str__(self):
        return f"{self.community.name} · {self.category.name} · {self.size}"

    def audit_scope_path(self):
        return self.community.path


class BallotToken(models.Model):
    batch = models.ForeignKey(BallotBatch, on_delete=models.CASCADE, related_name="tokens")
    digest = models.CharField(max_length=64, unique=True)
    # The day the token was used (never finer: DESIGN §4); NULL while unused.
    used_on = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = _("评议票")
        verbose_name_plural = _("评议票")

    def __str__(self):
        return self.digest[:8]


class BallotQuerySet(CommunityCycleQuerySet):
    pass


class Ballot(models.Model):
    """One anonymous answer. Deliberately no link to a token or batch, no time finer than
    the day, and a random key (see the module docstring)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="+")
    community = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+")
    category = models.ForeignKey(
        "indicators.SurveyCategory", on_delete=models.PROTECT, related_name="+"
    )
    choice = models.CharField(_("评价"), max_length=16, choices=Choice.choices)
    comment = models.TextField(_("意见建议"), blank=True)
    cast_on = models.DateField(_("日期"))

    objects = BallotQuerySet.as_manager()

    class Meta:
        verbose_name = _("评议结果")
        verbose_name_plural = _("评议结果")
        indexes = [models.Index(fields=["cycle", "community", "category"], name="ballot_group")]

    def __str__(self):
        return self.get_choice_display()


class PaperTally(models.Model):
    """One person's keying of the paper ballots of one community and category."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="+")
    community = models.ForeignKey(
        OrgUnit, verbose_name=_("社区"), on_delete=models.PROTECT, related_name="+"
    )
    category = models.ForeignKey(
        "indicators.SurveyCategory",
        verbose_name=_("评议人类别"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    keyed_by = models.ForeignKey(
        User, verbose_name=_("录入人"), on_delete=models.PROTECT, related_name="+"
    )
    satisfied = models.PositiveIntegerField(_("满意"), default=0)
    basic = models.PositiveIntegerField(_("基本满意"), default=0)
    unsatisfied = models.PositiveIntegerField(_("不满意"), default=0)
    unknown = models.PositiveIntegerField(_("不了解"), default=0)
    updated_at = models.DateTimeField(_("录入时间"), auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    history = audit_history()
    objects = CommunityCycleQuerySet.as_manager()

    class Meta:
        verbose_name = _("纸质票计数")
        verbose_name_plural = _("纸质票计数")
        ordering = ["cycle", "community__path", "category", "updated_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "community", "category", "keyed_by"],
                name="paper_tally_one_per_keyer",
            )
        ]

    def __str__(self):
        return f"{self.community.name} · {self.category.name}"

    def audit_scope_path(self):
        return self.community.path

    @property
    def counts(self):
        return (self.satisfied, self.basic, self.unsatisfied, self.unknown)
