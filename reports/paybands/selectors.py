"""Reading the 分档定薪表 (SPEC §2 Pay band sheet, §3.5 Pay tiers).

The sheet is read, never computed here: tier, coefficient and pay are the engine's, as
stored on the results (`scoring.models.Result`). It reads the cycle's **published**
result version, so it is frozen with the published results and changes only when a new
version is published (after an appeal); a recompute that is not published leaves it
as it is. A draft (`draft=True`, the `export_pay_bands --draft` command) reads the
current version of a cycle not published yet.

A fixed number of queries whatever the number of participants (DESIGN §7).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import F

from assessment.models import CycleStatus
from reports.models import RewardStatus, SpecialReward
from scoring.models import Result, ResultVersion
from scoring.results.selectors import TIERS, tier_coefficients, visible_results
from scoring.services import current_results

ZERO = Decimal("0.00")
# The states in which a cycle has a published (frozen) sheet.
PUBLISHED_STATUSES = frozenset({CycleStatus.PUBLISHED, CycleStatus.ARCHIVED})


def published_version(cycle):
    """The result version the cycle's last publication pinned (None before any)."""
    return ResultVersion.objects.filter(cycle=cycle, is_published=True).order_by("-pk").first()


def sheet_version(cycle, *, draft=False):
    """The version the sheet reads: the published one; for a draft of a cycle not
    published yet, the current one."""
    if draft and cycle.status not in PUBLISHED_STATUSES:
        return current_results(cycle)
    return published_version(cycle)


@dataclass
class SheetRow:
    """One graded participant's line: the stored result and the approved rewards."""

    result: Result
    rewards: Decimal = ZERO

    @property
    def participant(self):
        return self.result.participant

    @property
    def town(self):
        return self.result.participant.community.parent

    @property
    def total(self):
        return (self.result.pay or ZERO) + self.rewards


@dataclass
class TierTotal:
    label: str
    coefficient: Decimal
    count: int = 0
    pay: Decimal = ZERO


@dataclass
class TownTotal:
    name: str
    path: str
    count: int = 0
    pay: Decimal = ZERO
    base: Decimal = ZERO  # 绩效基数 × count
    rewards: Decimal = ZERO  # approved lines only
    pending: int = 0

    @property
    def total(self):
        return self.pay + self.rewards


@dataclass
class PaySheet:
    cycle: object
    version: ResultVersion
    draft: bool
    published_at: datetime | None
    published_by: object
    rows: list = field(default_factory=list)  # SheetRow of the graded, in ranking order
    ungraded: list = field(default_factory=list)  # Result of the non-graded
    tiers: list = field(default_factory=list)  # TierTotal
    towns: list = field(default_factory=list)  # TownTotal
    rewards: list = field(default_factory=list)  # every SpecialReward line, oldest first

    @property
    def count(self):
        return len(self.rows)

    @property
    def pay_total(self):
        return sum((row.result.pay or ZERO for row in self.rows), ZERO)

    @property
    def pay_expected(self):
        """绩效基数 × 人数: what the pay would total if everyone had coefficient 1."""
        return self.cycle.pay_base * self.count

    @property
    def approved_rewards(self):
        return [line for line in self.rewards if line.status == RewardStatus.APPROVED]

    @property
    def rewards_total(self):
        return sum((line.amount for line in self.approved_rewards), ZERO)

    @property
    def pending_count(self):
        return sum(line.status == RewardStatus.PENDING for line in self.rewards)

    @property
    def rejected_count(self):
        return sum(line.status == RewardStatus.REJECTED for line in self.rewards)

    @property
    def grand_total(self):
        return self.pay_total + self.rewards_total


def _results(version, user):
    rows = visible_results(user, version) if user is not None else Result.objects.all()
    return (
        rows.filter(version=version)
        .select_related("participant__secretary", "participant__community__parent")
        .order_by(
            F("graded").desc(),
            "group",
            F("rank").asc(nulls_last=True),
            "participant__secretary__staff_no",
        )
    )


def reward_lines(cycle, user=None):
    """The cycle's 专项奖励 lines (those `user` reads), oldest first."""
    lines = SpecialReward.objects.for_user(user) if user is not None else SpecialReward.objects
    return list(
        lines.filter(participant__cycle=cycle)
        .select_related(
            "participant__secretary", "participant__community__parent", "added_by", "decided_by"
        )
        .order_by("added_at", "pk")
    )


def _publication(cycle):
    if cycle.status not in PUBLISHED_STATUSES:
        return None
    return (
        cycle.transitions.filter(to_status=CycleStatus.PUBLISHED)
        .select_related("actor")
        .order_by("at", "pk")
        .last()
    )


def pay_sheet(cycle, version, *, user=None, draft=False):
    """The sheet of `version` (see the module's docstring): the graded in ranking order
    with their approved rewards, the non-graded apart (no rank, tier or pay, SPEC §3.5),
    totals per tier and per town, and every reward line. With `user`, what they read."""
    results = list(_results(version, user))
    rewards = reward_lines(cycle, user)
    approved = defaultdict(lambda: ZERO)
    for line in rewards:
        if line.status == RewardStatus.APPROVED:
            approved[line.participant_id] += line.amount
    publication = None if draft else _publication(cycle)
    sheet = PaySheet(
        cycle=cycle,
        version=version,
        draft=draft,
        published_at=publication.at if publication else None,
        published_by=publication.actor if publication else None,
        rows=[SheetRow(r, approved[r.participant_id]) for r in results if r.graded],
        ungraded=[r for r in results if not r.graded],
        rewards=rewards,
    )
    coefficients = tier_coefficients(cycle)
    tiers = {
        label: TierTotal(label, coefficients[label])
        for label in (TIERS.top, TIERS.middle, TIERS.bottom)
    }
    towns = {}

    def town_of(community):
        town = community.parent
        key = town.path if town else ""
        if key not in towns:
            towns[key] = TownTotal(name=town.name if town else "", path=key)
        return towns[key]

    for row in sheet.rows:
        tier = tiers.get(row.result.tier)
        if tier is not None:
            tier.count += 1
            tier.pay += row.result.pay or ZERO
        town = town_of(row.participant.community)
        town.count += 1
        town.pay += row.result.pay or ZERO
        town.base += cycle.pay_base
    for line in rewards:
        town = town_of(line.participant.community)
        if line.status == RewardStatus.APPROVED:
            town.rewards += line.amount
        elif line.status == RewardStatus.PENDING:
            town.pending += 1
    sheet.tiers = list(tiers.values())
    sheet.towns = [towns[key] for key in sorted(towns)]
    return sheet
