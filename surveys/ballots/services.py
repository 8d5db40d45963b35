"""Democratic appraisal ballots (民主评议, SPEC §1 评议人, §2; DESIGN §4, §5): issuing batches
of single-use tokens with their printable slips, voiding a batch, opening a ballot with a
token, casting it.

Anonymity is built into the writes here:
- clear tokens exist only inside the job that makes a batch's slips (`make_slips`) and in
  the PDF it stores, which its issuer downloads once (`take_slips`) and which is deleted
  then (or when the batch is voided); the database keeps SHA-256 digests
  (`surveys.ballots.tokens`), written in the same transaction that marks the PDF ready;
- a token is consumed with one `UPDATE … WHERE used_on IS NULL` (exactly once, however
  many submissions race), and the ballot is inserted into the pool in the same
  transaction, to be released apart from it (`surveys.ballots.pool`); voiding
  marks the unused tokens with an update of the same rows, so a token is either cast or
  void, never both;
- the ballot row carries only cycle, community, category, choice, comment and the day:
  nothing to join it to its token, and nothing here logs a token or a ballot.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assessment.models import Cycle, CycleStatus, Participant
from assessment.services import mark_inputs_changed
from core.security_log import security_event
from org.models import OrgUnit
from org.scope import Role, scope_of
from surveys.ballots import slips, tokens
from surveys.models import BallotBatch, BallotToken, Choice, PooledBallot, SlipsState

logger = logging.getLogger(__name__)

# Ballots are taken while data is being gathered and scored; from 公示 on, the results
# the secretaries see must not move any more.
ACCEPTING_STATUSES = frozenset({CycleStatus.OPEN, CycleStatus.SCORING})
ISSUER_ROLES = (Role.ADMIN, Role.COUNTY_ASSESSOR, Role.TOWN_ASSESSOR)
MAX_BATCH_SIZE = 2000
MAX_COMMENT_LENGTH = 500
MAX_VOID_REASON_LENGTH = 500
# A batch whose slips are still being made after this long has lost its job for good (a
# redelivered job would have finished long before: 2,000 slips take about two minutes).
ABANDONED_AFTER = timedelta(hours=1)
# Laying out the slips is most of the job; writing the PDF and storing it the rest.
LAYOUT_SHARE = 90
QUESTION = gettext_lazy("您对本社区书记的工作是否满意？")
# Who makes the slips of an issued batch (`make_slips`): the jobs app registers itself
# at start-up (DESIGN §2, §5); each listener takes the batch, inside the issuing
# transaction.
BATCH_ISSUED_LISTENERS = []


def on_batch_issued(listener):
    if listener not in BATCH_ISSUED_LISTENERS:
        BATCH_ISSUED_LISTENERS.append(listener)
    return listener


class TokenRefused(Exception):
    """A token that cannot open a ballot: `reason` is unknown, used, void (its batch was
    voided) or closed."""

    MESSAGES = {
        "unknown": gettext_lazy("评议码无效，请核对评议票上的二维码或评议码。"),
        "used": gettext_lazy("该评议票已使用，每张评议票只能提交一次。感谢您的参与！"),
        "void": gettext_lazy("这批评议票已作废，不能再提交评议。如有疑问，请联系所在社区。"),
        "closed": gettext_lazy("本次民主评议已结束，不再接收评议。感谢您的关注！"),
    }

    def __init__(self, reason):
        self.reason = reason
        self.message = str(self.MESSAGES[reason])
        super().__init__(self.message)


@dataclass(frozen=True)
class BallotOpening:
    """What a respondent is asked about: the community, its secretary, the cycle."""

    cycle: Cycle
    community: OrgUnit
    category: object
    secretary_names: tuple[str, ...]
    digest: str


def issuable_communities(user, cycle):
    """Communities of the cycle's participants for which `user` may issue batches: the
    county's managers all of them, a town assessor their own town's."""
    return (
        OrgUnit.objects.for_user(user, roles=ISSUER_ROLES)
        .filter(pk__in=Participant.objects.filter(cycle=cycle).values("community_id"))
        .order_by("path")
    )


def _check_issuable(actor, cycle, community, category, size):
    if not scope_of(actor).covers_path(community.path, ISSUER_ROLES):
        raise PermissionDenied
    if cycle.status not in ACCEPTING_STATUSES:
        raise ValidationError(
            _("考核周期“%(name)s”当前为“%(status)s”，只有进行中或评分中才能发放评议票。")
            % {"name": cycle.name, "status": cycle.get_status_display()}
        )
    if not Participant.objects.filter(cycle=cycle, community=community).exists():
        raise ValidationError(
            {"community": _("社区“%(name)s”没有参加本次考核。") % {"name": community.name}}
        )
    if category is None or category.template_id != cycle.frozen_template_id:
        raise ValidationError({"category": _("请选择本次考核指标体系中的评议人类别。")})
    if not isinstance(size, int) or not 1 <= size <= MAX_BATCH_SIZE:
        raise ValidationError(
            {"size": _("票数应为 1 到 %(max)d 之间的整数。") % {"max": MAX_BATCH_SIZE}}
        )


def check_issue(*, actor, cycle, community, category, size):
    """Refuse, as `issue_batch` would, a batch that may not be issued: what the confirm
    step checks before it shows what is about to be issued."""
    cycle = Cycle.objects.select_related("county").get(pk=cycle.pk)
    _check_issuable(actor, cycle, community, category, size)


@transaction.atomic
def issue_batch(*, actor, cycle, community, category, size, base_url, request_key=None):
    """Record a batch of `size` tokens for one community and respondent category, and
    ask for the job that makes its tokens and slips (`on_batch_issued`; DESIGN §5). Returns
    the batch; its page shows the job's progress and then offers the PDF.

    `request_key` is the one-time key of the confirmed form: the same key again (a double
    click, a resubmitted page) returns the batch it issued, and issues nothing.
    `base_url` (scheme and host the residents' phones reach) starts the printed links.
    """
    asked = (cycle.pk, community.pk, category.pk, size)
    if request_key is not None:
        earlier = _issued_for(actor, request_key, asked)
        if earlier is not None:
            return earlier
    cycle = Cycle.objects.select_related("county").get(pk=cycle.pk)
    _check_issuable(actor, cycle, community, category, size)
    fail_abandoned_slips()
    batch = BallotBatch(
        cycle=cycle,
        community=community,
        category=category,
        size=size,
        created_by=actor,
        request_key=request_key,
        slips_state=SlipsState.PENDING,
        slips_base_url=base_url[: BallotBatch._meta.get_field("slips_base_url").max_length],
    )
    batch._history_user = actor
    try:
        with transaction.atomic():
            batch.save()
    except IntegrityError:
        # The same key committed by a concurrent submission meanwhile.
        earlier = _issued_for(actor, request_key, asked) if request_key is not None else None
        if earlier is None:
            raise
        return earlier
    for listener in BATCH_ISSUED_LISTENERS:
        listener(batch)
    return batch


def _issued_for(actor, request_key, asked):
    """The batch this one-time key already issued, if it asked for the same thing; a key
    reused for another community, category or number is refused, not answered with a
    batch the user did not ask for."""
    batch = BallotBatch.objects.filter(request_key=request_key).first()
    if batch is None:
        return None
    if batch.created_by_id != actor.pk:
        raise PermissionDenied
    if (batch.cycle_id, batch.community_id, batch.category_id, batch.size) != asked:
        raise ValidationError(
            _("这张确认单已用于签发另一批评议票（社区、类别或张数不同），请返回重新填写并确认。")
        )
    return batch


def make_slips(batch_id, progress=None):
    """The slips job (DESIGN §5; idempotent, safe to run again): make the batch's tokens
    in memory, lay out their slips and store the PDF; then, in one transaction and only
    if the batch still waits for them (not voided, not done by an earlier run), store
    the tokens' digests and mark the PDF ready. A run that dies halfway leaves no token
    behind, so running it again simply starts over. Progress goes to the batch's row
    (the job is not inside a transaction: each update is seen by the polling page).
    `progress(percent)`, when given, hears the same progress. Returns the batch's slips
    state, or None when there was nothing to do."""
    batch = (
        BallotBatch.objects.select_related("cycle", "community", "category")
        .filter(pk=batch_id, slips_state=SlipsState.PENDING)
        .first()
    )
    if batch is None:
        return None
    pending = BallotBatch.objects.filter(pk=batch.pk, slips_state=SlipsState.PENDING)
    pending.update(slips_progress=0, slips_error="")
    issued = [tokens.new_token() for _ in range(batch.size)]

    def laid_out(count):
        percent = count * LAYOUT_SHARE // batch.size
        pending.update(slips_progress=percent)
        if progress is not None:
            progress(percent)

    try:
        pdf = slips.slips_pdf(batch, issued, batch.slips_base_url, progress=laid_out)
        batch.slips_file.save("slips.pdf", ContentFile(pdf), save=False)
    except Exception:
        logger.exception("Slips of ballot batch %s failed", batch.pk)
        pending.update(
            slips_state=SlipsState.FAILED,
            slips_error=_(
                "生成评议票 PDF 时发生意外错误，本批次没有发出任何评议码。"
                "请重新发放；如仍失败，请联系系统管理员。"
            ),
        )
        return SlipsState.FAILED
    stored, storage = batch.slips_file.name, batch.slips_file.storage
    try:
        kept = _keep_slips(batch.pk, issued, stored)
    except BaseException:
        storage.delete(stored)  # its tokens were never stored: the PDF opens nothing
        raise
    if not kept:
        storage.delete(stored)
        return None
    return SlipsState.READY


@transaction.atomic
def _keep_slips(batch_id, issued, stored):
    """Store the tokens and mark the slips ready, if the batch still waits for them."""
    batch = BallotBatch.objects.select_for_update().filter(pk=batch_id).first()
    if batch is None or batch.slips_state != SlipsState.PENDING or batch.is_voided:
        return False
    BallotToken.objects.bulk_create(
        BallotToken(batch=batch, digest=tokens.digest(token)) for token in issued
    )
    batch.slips_state, batch.slips_progress, batch.slips_file = SlipsState.READY, 100, stored
    batch._change_reason = _("评议票已生成")
    batch.save(update_fields=["slips_state", "slips_progress", "slips_file"])
    return True


def fail_abandoned_slips(batch=None):
    """Mark as failed the slips still being made `ABANDONED_AFTER` after their batch was
    issued (the job's worker is gone; no token was made): the whole table, or one batch.
    Cheap; runs when a batch is issued and when a batch's page is read."""
    cutoff = timezone.now() - ABANDONED_AFTER
    stuck = BallotBatch.objects.filter(slips_state=SlipsState.PENDING, created_at__lt=cutoff)
    if batch is not None:
        if batch.slips_state != SlipsState.PENDING or batch.created_at >= cutoff:
            return 0
        stuck = stuck.filter(pk=batch.pk)
    return stuck.update(
        slips_state=SlipsState.FAILED,
        slips_error=_("生成任务中断（处理进程已停止），本批次没有发出任何评议码。请重新发放。"),
    )


@transaction.atomic
def take_slips(*, actor, batch):
    """The batch's slips PDF for its issuer, once (DESIGN §4: clear tokens are not kept):
    returns `(batch, pdf bytes)` and deletes the stored file once this commits. Refused
    to anyone else, and when the slips are not ready, already taken, or voided."""
    locked = (
        BallotBatch.objects.select_for_update(of=("self",))
        .select_related("cycle", "community", "category")
        .get(pk=batch.pk)
    )
    if locked.created_by_id != actor.pk:
        raise PermissionDenied
    if locked.is_voided:
        raise ValidationError(_("批次 %(pk)d 已作废，评议票不能再下载。") % {"pk": locked.pk})
    if locked.slips_printed:
        raise ValidationError(
            _(
                "批次 %(pk)d 的评议票已经下载过。为保证匿名，系统不保存评议码，PDF 只能"
                "下载一次；如果遗失，请作废本批次后重新发放。"
            )
            % {"pk": locked.pk}
        )
    if locked.slips_state != SlipsState.READY or not locked.slips_file:
        raise ValidationError(
            _("批次 %(pk)d 的评议票还没有生成好（%(state)s），请稍候。")
            % {"pk": locked.pk, "state": locked.get_slips_state_display()}
        )
    stored = locked.slips_file.name
    storage = locked.slips_file.storage
    try:
        with storage.open(stored, "rb") as handle:
            pdf = handle.read()
    except FileNotFoundError:
        raise ValidationError(
            _("批次 %(pk)d 的评议票文件已不存在，请作废本批次后重新发放。") % {"pk": locked.pk}
        ) from None
    locked.slips_printed, locked.slips_file = True, ""
    locked._history_user = actor
    locked._change_reason = _("下载评议票")
    locked.save(update_fields=["slips_printed", "slips_file"])
    transaction.on_commit(lambda: storage.delete(stored))
    return locked, pdf


def may_void(user, batch):
    """Whether `user` may void the batch now: an issuer over its community, the batch
    not voided yet, its cycle not locked (the rules `void_batch` enforces)."""
    return (
        not batch.is_voided
        and not batch.cycle.is_locked
        and scope_of(user).covers_path(batch.community.path, ISSUER_ROLES)
    )


@dataclass(frozen=True)
class Voided:
    batch: BallotBatch
    unused: int
    used: int


@transaction.atomic
def void_batch(*, actor, batch, reason):
    """Void a batch (作废, SPEC §2: lost or leaked slips), audited with its reason: its
    unused tokens stop working at once and leave the return-rate base; used tokens and
    their ballots stay. By those who may issue batches for its community; refused in a
    locked cycle, twice, or without a reason. A stored, not yet downloaded PDF is deleted
    and a job still making it stores nothing. In the security log with its counts."""
    locked = (
        BallotBatch.objects.select_for_update(of=("self",))
        .select_related("cycle", "community", "category", "voided_by")
        .get(pk=batch.pk)
    )
    if not scope_of(actor).covers_path(locked.community.path, ISSUER_ROLES):
        raise PermissionDenied
    if locked.cycle.is_locked:
        raise ValidationError(
            _("考核周期“%(name)s”当前为“%(status)s”，评议票批次不能再作废。")
            % {"name": locked.cycle.name, "status": locked.cycle.get_status_display()}
        )
    if locked.is_voided:
        raise ValidationError(
            _("批次 %(pk)d 已于 %(at)s 由 %(who)s 作废，不能重复作废。")
            % {
                "pk": locked.pk,
                "at": timezone.localtime(locked.voided_at).strftime("%Y-%m-%d %H:%M"),
                "who": locked.voided_by or "—",
            }
        )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写作废原因，例如“评议票遗失”。")})
    if len(reason) > MAX_VOID_REASON_LENGTH:
        raise ValidationError(
            {
                "reason": _("作废原因最多 %(max)d 字，现有 %(n)d 字。")
                % {"max": MAX_VOID_REASON_LENGTH, "n": len(reason)}
            }
        )
    unused = BallotToken.objects.filter(batch=locked, used_on__isnull=True).update(voided=True)
    used = BallotToken.objects.filter(batch=locked, used_on__isnull=False).count()
    stored = locked.slips_file.name
    storage = locked.slips_file.storage
    locked.voided_at, locked.voided_by, locked.void_reason = timezone.now(), actor, reason
    locked.slips_file = ""
    if locked.slips_state == SlipsState.PENDING:
        locked.slips_state = SlipsState.FAILED
        locked.slips_error = _("批次在评议票生成前已作废，没有发出任何评议码。")
    locked._history_user = actor
    locked._change_reason = (_("作废：%(reason)s") % {"reason": reason})[:100]
    locked.save()
    if stored:
        transaction.on_commit(lambda: storage.delete(stored))
    security_event(
        "ballot_batch_voided",
        user=actor,
        batch=locked.pk,
        cycle=locked.cycle_id,
        community=locked.community.code,
        unused=unused,
        used=used,
        reason=reason,
    )
    return Voided(locked, unused, used)


def open_ballot(code):
    """The ballot a token opens (SPEC §1 评议人), or TokenRefused: unknown, used, or the
    cycle no longer takes ballots."""
    token = tokens.decode(code)
    if token is None:
        raise TokenRefused("unknown")
    digest = tokens.digest(token)
    row = (
        BallotToken.objects.select_related("batch__cycle", "batch__community", "batch__category")
        .filter(digest=digest)
        .first()
    )
    if row is None:
        raise TokenRefused("unknown")
    if row.used_on is not None:
        raise TokenRefused("used")
    batch = row.batch
    if row.voided or batch.is_voided:
        raise TokenRefused("void")
    if batch.cycle.status not in ACCEPTING_STATUSES:
        raise TokenRefused("closed")
    names = Participant.objects.filter(cycle=batch.cycle, community=batch.community).values_list(
        "secretary__name", flat=True
    )
    return BallotOpening(
        cycle=batch.cycle,
        community=batch.community,
        category=batch.category,
        secretary_names=tuple(names),
        digest=digest,
    )


def _checked_answer(choice, comment):
    if choice not in Choice.values:
        raise ValidationError({"choice": _("请选择一项评价：满意、基本满意、不满意或不了解。")})
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT_LENGTH:
        raise ValidationError(
            {
                "comment": _("意见建议最多 %(max)d 字，现有 %(n)d 字。")
                % {"max": MAX_COMMENT_LENGTH, "n": len(comment)}
            }
        )
    return comment


@transaction.atomic
def cast_ballot(*, code, choice, comment=""):
    """Consume the token and store one anonymous ballot (SPEC §2 民主评议, §3.4; DESIGN §4).

    The token is taken by a single conditional UPDATE: of any number of concurrent
    submissions exactly one changes the row; the others are told it is used (or void,
    when voiding its batch took the row first). The ballot goes to the pool
    (`PooledBallot`, released by `surveys.ballots.pool`) with only the day (`cast_on`), a
    random key, and no reference to the token. The cycle's row, locked by the change
    mark, is read again last: a cycle that stopped taking ballots meanwhile (开始公示,
    which releases its pool) refuses this one rather than leave it alone in the pool.
    """
    opening = open_ballot(code)
    comment = _checked_answer(choice, comment)
    today = timezone.localdate()
    taken = BallotToken.objects.filter(
        digest=opening.digest, used_on__isnull=True, voided=False
    ).update(used_on=today)
    if taken != 1:
        voided = BallotToken.objects.filter(digest=opening.digest, voided=True).exists()
        raise TokenRefused("void" if voided else "used")
    mark_inputs_changed(opening.cycle, communities=[opening.community.pk])
    status = Cycle.objects.filter(pk=opening.cycle.pk).values_list("status", flat=True).get()
    if status not in ACCEPTING_STATUSES:
        raise TokenRefused("closed")
    PooledBallot.objects.create(
        cycle=opening.cycle,
        community=opening.community,
        category=opening.category,
        choice=choice,
        comment=comment,
        cast_on=today,
    )
