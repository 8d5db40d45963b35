"""The engine's vocabulary: rounding, enums, and the frozen dataclasses of its inputs
and outputs (SPEC §3)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Context, Decimal
from enum import StrEnum
from typing import NamedTuple

ZERO = Decimal(0)
HUNDRED = Decimal(100)
CENT = Decimal("0.01")

# Means and rates divide; 60 digits keep every intermediate exact enough that the single
# round2 per leaf is the only rounding a user has to reproduce by hand (SPEC §3.2).
EXACT_CONTEXT = Context(prec=60)


# A participant's warnings naming the leaves without a value of a source (SPEC §3.2:
# they count as 0), each followed by the leaf codes joined with ", ".
MISSING_SELF = "自评不完整: "
MISSING_TARGET = "目标量评缺项: "
MISSING_ORG = "组织考评缺项: "


def round2(value: Decimal) -> Decimal:
    """SPEC §3: round to 2 decimals, half up."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def round_half_up(value: Decimal) -> int:
    """SPEC §3.5: round to a whole number, half up (tier sizes)."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


class Method(StrEnum):
    """SPEC §3.1: how a leaf's value is obtained."""

    RATING = "rating"
    TARGET = "target"
    BANDS = "bands"
    DEDUCTION = "deduction"
    SURVEY = "survey"


AUTOMATIC_METHODS = frozenset({Method.TARGET, Method.BANDS, Method.DEDUCTION, Method.SURVEY})


class Source(StrEnum):
    """SPEC §3.2: the 三评 sources."""

    SELF = "self"
    TARGET = "target"
    ORG = "org"


class RankingGroup(StrEnum):
    """SPEC §3.5: who is ranked together."""

    CYCLE = "cycle"
    TOWN = "town"


class Flag(StrEnum):
    """SPEC §3.5 (across years)."""

    REPEATED_EXCELLENT = "可定向考录事业编/推荐两代表一委员"
    REPEATED_FAILED = "末位处理"


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class IndicatorNode:
    """SPEC §3.1: a node of the indicator tree; leaves carry a method."""

    code: str
    parent_code: str | None
    points: Decimal
    method: Method | None = None
    metric_key: str | None = None
    target: Decimal | None = None
    bands: tuple[tuple[Decimal, Decimal], ...] = ()


@dataclass(frozen=True)
class GradeLabels:
    excellent: str = "优秀"
    qualified: str = "合格"
    basic: str = "基本合格"
    failed: str = "不合格"
    ungraded: str = "不定等次"


@dataclass(frozen=True)
class TierLabels:
    top: str = "一档"
    middle: str = "二档"
    bottom: str = "三档"


@dataclass(frozen=True)
class SurveyChoiceValues:
    """SPEC §3.4: values of the counted choices (不了解 is never counted)."""

    satisfied: Decimal = Decimal(100)
    basic: Decimal = Decimal(60)
    unsatisfied: Decimal = Decimal(0)


@dataclass(frozen=True)
class Settings:
    """A cycle's settings; weights and shares are percentages (SPEC §4: 10 means 10%)."""

    weight_self: Decimal = Decimal(10)
    weight_target: Decimal = Decimal(50)
    weight_org: Decimal = Decimal(40)
    bonus_cap: Decimal = Decimal(20)
    excellent_line: Decimal = Decimal(90)
    qualified_line: Decimal = Decimal(70)
    basic_line: Decimal = Decimal(60)
    excellent_share: Decimal = Decimal(20)
    top_share: Decimal = Decimal(20)
    bottom_share: Decimal = Decimal(20)
    top_coefficient: Decimal = Decimal("1.10")
    middle_coefficient: Decimal = Decimal("1.00")
    bottom_coefficient: Decimal = Decimal("0.90")
    pay_base: Decimal = Decimal(0)
    trim_min_raters: int = 5
    ranking_group: RankingGroup = RankingGroup.CYCLE
    grade_labels: GradeLabels = field(default_factory=GradeLabels)
    tier_labels: TierLabels = field(default_factory=TierLabels)
    survey_values: SurveyChoiceValues = field(default_factory=SurveyChoiceValues)
    consecutive_years: int = 2


@dataclass(frozen=True)
class ScoreEntry:
    """SPEC §3.2: one rater's value for one participant, leaf and source."""

    participant_id: str
    leaf_code: str
    source: Source
    rater: str
    value: Decimal
    note: str = ""


class RaterStats(NamedTuple):
    """SPEC §3.2: one source's raters on one participant and leaf, summed up — how many,
    the sum, the lowest and the highest value. That is all the trimmed mean needs:
    dropping one highest and one lowest leaves (sum − lowest − highest) / (n − 2).
    A named tuple rather than a dataclass: a city has hundreds of thousands of them."""

    n: int
    total: Decimal
    low: Decimal
    high: Decimal

    def merged(self, other: RaterStats) -> RaterStats:
        return RaterStats(
            self.n + other.n,
            self.total + other.total,
            min(self.low, other.low),
            max(self.high, other.high),
        )


class LeafScores(NamedTuple):
    """The entered values of one participant on one leaf, per source (None: nobody
    entered one) — what the database sums up for the engine (`scoring.inputs`)."""

    participant_id: str
    leaf_code: str
    self: RaterStats | None = None
    target: RaterStats | None = None
    org: RaterStats | None = None

    def of(self, source: Source) -> RaterStats | None:
        return getattr(self, source.value)


@dataclass(frozen=True)
class Metric:
    """SPEC §2: a number per community (e.g. 持证率)."""

    community: str
    key: str
    value: Decimal


@dataclass(frozen=True)
class EventType:
    """SPEC §2: points per occurrence (negative deducts), charged leaf, cap, veto flag."""

    code: str
    points: Decimal
    leaf_code: str | None = None
    cap: Decimal | None = None
    veto: bool = False


@dataclass(frozen=True)
class Event:
    """SPEC §2: only verified, non-exempt events count (SPEC §3.1, §3.3)."""

    participant_id: str
    type_code: str
    verified: bool = True
    exempt: bool = False
    on: date | None = None
    description: str = ""


@dataclass(frozen=True)
class SurveyCount:
    """SPEC §2: ballots of one respondent category in one community, as counts."""

    community: str
    category: str
    satisfied: int = 0
    basic: int = 0
    unsatisfied: int = 0
    unknown: int = 0


@dataclass(frozen=True)
class SurveyCategory:
    name: str
    weight: Decimal


@dataclass(frozen=True)
class Participant:
    """SPEC §2: a secretary enrolled in the cycle; previous_grades oldest first."""

    id: str
    staff_no: str
    community: str
    town: str
    graded: bool = True
    previous_grades: tuple[str, ...] = ()


@dataclass(frozen=True)
class GradeOverride:
    """SPEC §3.5: an assessor's grade with its reason, applied after the rules."""

    participant_id: str
    grade: str
    reason: str


@dataclass(frozen=True)
class CycleInputs:
    nodes: tuple[IndicatorNode, ...]
    participants: tuple[Participant, ...]
    settings: Settings = field(default_factory=Settings)
    # The raters' values one by one, or summed up per participant and leaf (`scores`);
    # the engine sums `entries` up itself, so either or both may be given.
    entries: tuple[ScoreEntry, ...] = ()
    scores: tuple[LeafScores, ...] = ()
    metrics: tuple[Metric, ...] = ()
    event_types: tuple[EventType, ...] = ()
    events: tuple[Event, ...] = ()
    survey_counts: tuple[SurveyCount, ...] = ()
    survey_categories: tuple[SurveyCategory, ...] = ()
    grade_overrides: tuple[GradeOverride, ...] = ()
    cutoff: date | None = None


# -------------------------------------------------------------------------- outputs


@dataclass(frozen=True)
class LeafValue:
    """One leaf's rounded values for the three sources (SPEC §3.2)."""

    code: str
    points: Decimal
    method: Method
    self_value: Decimal
    target_value: Decimal
    org_value: Decimal
    org_overridden: bool = False
    # What an automatic leaf was computed from (SPEC §3.1): the metric's actual value
    # (target/bands; None when missing), the satisfaction rate in percent (survey; None
    # without a counted ballot), or the points deducted before the floor at 0 (deduction).
    basis: Decimal | None = None


@dataclass(frozen=True)
class Scored:
    """One participant scored, before ranking (SPEC §3.1–§3.4): what `place` needs of
    each. `leaves` is empty for a participant carried over from stored results, whose
    scores did not change (an incremental recompute)."""

    participant: Participant
    leaves: tuple[LeafValue, ...]
    self_total: Decimal
    target_total: Decimal
    org_total: Decimal
    composite: Decimal
    bonus: Decimal
    final: Decimal
    veto_events: tuple[Event, ...]
    taken: Decimal
    warnings: tuple[str, ...]

    @property
    def veto(self) -> bool:
        return bool(self.veto_events)

    def order_key(self) -> tuple:
        """SPEC §3.5: not vetoed first, final desc, T desc, O desc, taken asc."""
        return (self.veto, -self.final, -self.target_total, -self.org_total, self.taken)


@dataclass(frozen=True)
class ParticipantResult:
    participant_id: str
    staff_no: str
    town: str
    graded: bool
    leaves: tuple[LeafValue, ...]
    self_total: Decimal
    target_total: Decimal
    org_total: Decimal
    composite: Decimal
    bonus: Decimal
    final: Decimal
    veto: bool
    veto_events: tuple[Event, ...]
    taken: Decimal
    rank: int | None
    grade: str
    rule_grade: str
    override_reason: str | None
    tier: str | None
    coefficient: Decimal | None
    pay: Decimal | None
    flags: tuple[Flag, ...]
    warnings: tuple[str, ...]
    provisional: bool

    def leaf(self, code: str) -> LeafValue:
        return next(leaf for leaf in self.leaves if leaf.code == code)


@dataclass(frozen=True)
class GroupResult:
    """SPEC §3.5: one ranking group (the whole cycle, or one town)."""

    key: str | None
    n: int
    quota: int
    top: int
    bottom: int
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class CycleResult:
    participants: tuple[ParticipantResult, ...]
    groups: tuple[GroupResult, ...]
    warnings: tuple[str, ...]
    provisional: bool

    @property
    def n(self) -> int:
        return sum(g.n for g in self.groups)

    @property
    def quota(self) -> int:
        return sum(g.quota for g in self.groups)

    @property
    def top(self) -> int:
        return sum(g.top for g in self.groups)

    @property
    def bottom(self) -> int:
        return sum(g.bottom for g in self.groups)

    def participant(self, participant_id: str) -> ParticipantResult:
        return next(p for p in self.participants if p.participant_id == participant_id)
