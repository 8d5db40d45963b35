"""Democratic appraisal (民主评议, SPEC §2, §3.4; DESIGN §4).

Per cycle, community and respondent category (the cycle's frozen `SurveyCategory` rows
with their weights), batches of single-use ballot tokens are issued and printed as
slips. A resident opens the ballot with a token, without an account. Anonymity:

- a token is 128 bits of randomness; only its SHA-256 is stored (`BallotToken.digest`);
- a token is consumed with `UPDATE … WHERE used_on IS NULL` (exactly once);
- a `Ballot` row has no link to its token or batch (no foreign key), its only date is the
  day, and its primary key is random (a UUID), so neither the order of rows nor a
  timestamp ties a ballot to the moment a token was used;
- nor does the database's own bookkeeping: a ballot is cast into `PooledBallot` (in the
  token's transaction, so nothing is lost if anything fails), and each day's pool moves
  to `Ballot` in another transaction, ordered by content, the pool then rewritten
  (`surveys.ballots.pool`): transaction ids, physical order and dead rows tie a released
  ballot to nothing finer than its community, category and day.

A batch whose slips are lost or leaked is voided (作废, SPEC §2): its unused tokens stop
working and leave the return-rate base; tokens already used keep counting.

Paper ballots are entered as counts (`PaperTally`), keyed twice by two people when the
cycle's survey settings ask for it; they count once two keyings agree.
"""

import uuid

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
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


def slips_path(instance, filename):
    """`ballot-slips/<year>/<random hex>.pdf`: nothing guessable; MEDIA_ROOT is outside
    the web root and only the batch's download view reads the file back."""
    return f"ballot-slips/{timezone.localdate():%Y}/{uuid.uuid4().hex}.pdf"


class SlipsState(models.TextChoices):
    """Where a batch's printable slips are (DESIGN §5: made by a job)."""

    PENDING = "pending", _("生成中")
    READY = "ready", _("已生成")
    FAILED = "failed", _("生成失败")


class BallotBatch(models.Model):
    """N single-use tokens for one community and category of a cycle.

    `issue_batch` records the batch; a job then makes its tokens and their slips PDF
    together (`make_slips`), so clear tokens exist only inside that job and in the PDF,
    which is kept until its issuer downloads it once. A batch made any other way (the
    demo) comes with its tokens: its slips count as made (READY), hence the default.
    A voided batch (作废: lost or leaked slips) keeps its used tokens and their ballots;
    its unused tokens are marked void and open nothing.
    """

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
    # The one-time key of the confirmed issuing form: a repeated submission (a double
    # click, a reload) finds this batch instead of issuing another.
    request_key = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    # The printable slips carry the tokens in clear: the PDF is kept only until its
    # issuer has downloaded it once (then `slips_printed`, and the file is deleted).
    slips_state = models.CharField(
        _("评议票 PDF"), max_length=16, choices=SlipsState.choices, default=SlipsState.READY
    )
    slips_progress = models.PositiveSmallIntegerField(_("生成进度"), default=0)
    slips_error = models.CharField(_("生成失败原因"), max_length=500, blank=True)
    slips_file = models.FileField(
        _("评议票文件"), upload_to=slips_path, max_length=200, blank=True, editable=False
    )
    # Scheme and host the residents' phones reach, for the slips' links.
    slips_base_url = models.CharField(_("评议票网址"), max_length=200, blank=True)
    slips_printed = models.BooleanField(_("已下载"), default=False)
    voided_at = models.DateTimeField(_("作废时间"), null=True, blank=True)
    voided_by = models.ForeignKey(
        User,
        verbose_name=_("作废人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    void_reason = models.CharField(_("作废原因"), max_length=500, blank=True)

    history = audit_history()
    objects = CommunityCycleQuerySet.as_manager()

    class Meta:
        verbose_name = _("评议票批次")
        verbose_name_plural = _("评议票批次")
        ordering = ["cycle", "community__path", "category", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(slips_progress__lte=100), name="ballot_batch_progress_percent"
            ),
            models.CheckConstraint(
                condition=Q(voided_at__isnull=True) | ~Q(void_reason=""),
                name="ballot_batch_void_has_reason",
            ),
        ]

    def __str__(self):
        return f"{self.community.name} · {self.category.name} · {self.size}"

    def audit_scope_path(self):
        return self.community.path

    @property
    def is_voided(self):
        return self.voided_at is not None


class BallotToken(models.Model):
    batch = models.ForeignKey(BallotBatch, on_delete=models.CASCADE, related_name="tokens")
    digest = models.CharField(max_length=64, unique=True)
    # The day the token was used (never finer: DESIGN §4); NULL while unused.
    used_on = models.DateField(null=True, blank=True)
    # Set on the unused tokens of a voided batch, on the token's own row, so voiding and
    # casting (both `UPDATE … WHERE used_on IS NULL` on this row) cannot both win.
    voided = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("评议票")
        verbose_name_plural = _("评议票")
        constraints = [
            models.CheckConstraint(
                condition=Q(voided=False) | Q(used_on__isnull=True),
                name="ballot_token_void_unused",
            )
        ]

    def __str__(self):
        return self.digest[:8]


class BallotQuerySet(CommunityCycleQuerySet):
    pass


class BallotAnswer(models.Model):
    """What one resident answered: no link to a token or batch, no time finer than the
    day, a random key (see the module docstring)."""

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
        abstract = True

    def __str__(self):
        return self.get_choice_display()


class PooledBallot(BallotAnswer):
    """A ballot cast today, kept apart until its day is over (SPEC §3.4: linked to its
    token by nothing). Casting writes it in the transaction that consumes the token, so
    the two rows share that transaction's id; `surveys.ballots.pool.release_ballots` moves
    a whole day of them into `Ballot` in one other transaction, in an order that follows
    their content only, and then rewrites this table so not even the bytes of released
    rows stay. Counted like any ballot meanwhile."""

    class Meta:
        verbose_name = _("当日评议票")
        verbose_name_plural = _("当日评议票")
        indexes = [
            models.Index(fields=["cycle", "community", "category"], name="pooled_ballot_group")
        ]


class Ballot(BallotAnswer):
    """One anonymous answer, released from the pool after the day it was cast."""

    class Meta:
        verbose_name = _("评议结果")
        verbose_name_plural = _("评议结果")
        indexes = [models.Index(fields=["cycle", "community", "category"], name="ballot_group")]


# Where cast ballots are, to count them: released, and cast today.
BALLOT_TABLES = (Ballot, PooledBallot)


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
