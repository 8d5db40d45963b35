"""Democratic appraisal ballots (民主评议, SPEC §2, §1 评议人; DESIGN §4): issuing batches of
single-use tokens with their printable slips, opening a ballot with a token, casting it.

Anonymity is built into the writes here:
- clear tokens exist only in memory while the batch's slips PDF is made, in the request
  that creates the batch; the database keeps SHA-256 digests (`surveys.ballots.tokens`);
- a token is consumed with one `UPDATE … WHERE used_on IS NULL` (exactly once, however
  many submissions race), and the ballot is inserted in the same transaction;
- the ballot row carries only cycle, community, category, choice, comment and the day:
  nothing to join it to its token, and nothing here logs a token or a ballot.
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assessment.models import Cycle, CycleStatus, Participant
from assessment.services import mark_inputs_changed
from org.models import OrgUnit
from org.scope import Role, scope_of
from surveys.ballots import slips, tokens
from surveys.models import Ballot, BallotBatch, BallotToken, Choice

# Ballots are taken while data is being gathered and scored; from 公示 on, the results
# the secretaries see must not move any more.
ACCEPTING_STATUSES = frozenset({CycleStatus.OPEN, CycleStatus.SCORING})
ISSUER_ROLES = (Role.ADMIN, Role.COUNTY_ASSESSOR, Role.TOWN_ASSESSOR)
MAX_BATCH_SIZE = 2000
MAX_COMMENT_LENGTH = 500
QUESTION = gettext_lazy("您对本社区书记的工作是否满意？")


class TokenRefused(Exception):
    """A token that cannot open a ballot: `reason` is unknown, used or closed."""

    MESSAGES = {
        "unknown": gettext_lazy("评议码无效，请核对评议票上的二维码或评议码。"),
        "used": gettext_lazy("该评议票已使用，每张评议票只能提交一次。感谢您的参与！"),
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


@transaction.atomic
def issue_batch(*, actor, cycle, community, category, size, base_url):
    """Create a batch of `size` tokens for one community and respondent category and
    return `(batch, pdf)`: the slips (QR code + typed code each), made now because the
    clear tokens are never kept. A lost PDF cannot be printed again; issue a new batch.

    `base_url` (scheme and host the residents' phones reach) starts the printed links.
    """
    cycle = Cycle.objects.select_related("county").get(pk=cycle.pk)
    _check_issuable(actor, cycle, community, category, size)
    issued = [tokens.new_token() for _ in range(size)]
    batch = BallotBatch(
        cycle=cycle, community=community, category=category, size=size, created_by=actor
    )
    batch._history_user = actor
    batch.save()
    BallotToken.objects.bulk_create(
        BallotToken(batch=batch, digest=tokens.digest(token)) for token in issued
    )
    pdf = slips.slips_pdf(batch, issued, base_url)
    batch.slips_printed = True
    batch.save(update_fields=["slips_printed"])
    return batch, pdf


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
    """Consume the token and store one anonymous ballot (SPEC §2 民主评议, DESIGN §4).

    The token is taken by a single conditional UPDATE: of any number of concurrent
    submissions exactly one changes the row; the others are told it is used. The ballot
    gets only the day (`cast_on`), a random key, and no reference to the token.
    """
    opening = open_ballot(code)
    comment = _checked_answer(choice, comment)
    today = timezone.localdate()
    taken = BallotToken.objects.filter(digest=opening.digest, used_on__isnull=True).update(
        used_on=today
    )
    if taken != 1:
        raise TokenRefused("used")
    Ballot.objects.create(
        cycle=opening.cycle,
        community=opening.community,
        category=opening.category,
        choice=choice,
        comment=comment,
        cast_on=today,
    )
    mark_inputs_changed(opening.cycle)
