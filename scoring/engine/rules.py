"""Leaf rules: rater means, target, bands, deductions, bonus, satisfaction rate
(SPEC §3.1–§3.4). Each takes plain values and returns a Decimal."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from scoring.engine.types import (
    ZERO,
    Event,
    EventType,
    RaterStats,
    SurveyChoiceValues,
    SurveyCount,
)


def rater_mean(values: Iterable[Decimal], trim_min_raters: int) -> Decimal | None:
    """SPEC §3.2: mean of the raters' values; from ``trim_min_raters`` raters on, one
    highest and one lowest are dropped first. No values → None (the caller flags it)."""
    return trimmed_mean(summarise(values), trim_min_raters)


def summarise(values: Iterable[Decimal]) -> RaterStats | None:
    """The raters' values summed up for `trimmed_mean` (None: no values)."""
    ordered = sorted(values)
    if not ordered:
        return None
    return RaterStats(len(ordered), sum(ordered, ZERO), ordered[0], ordered[-1])


def trimmed_mean(stats: RaterStats | None, trim_min_raters: int) -> Decimal | None:
    """`rater_mean` from the summed-up values: with one highest and one lowest dropped,
    the rest sum to total − lowest − highest."""
    if stats is None or stats.n == 0:
        return None
    if stats.n >= trim_min_raters:
        if stats.n <= 2:
            raise ValueError("dropping the highest and the lowest needs three raters")
        return (stats.total - stats.low - stats.high) / (stats.n - 2)
    return stats.total / stats.n


def target_value(points: Decimal, target: Decimal, actual: Decimal) -> Decimal:
    """SPEC §3.1 ``target``: points × min(actual / target, 1)."""
    if target <= 0:
        raise ValueError("target must be > 0")
    # A negative metric would give negative points; a leaf never goes below 0.
    return points * max(ZERO, min(actual / target, Decimal(1)))


def bands_value(bands: Iterable[tuple[Decimal, Decimal]], actual: Decimal) -> Decimal:
    """SPEC §3.1 ``bands``: value of the highest threshold ≤ actual; none → 0."""
    reached = [(threshold, value) for threshold, value in bands if threshold <= actual]
    return max(reached)[1] if reached else ZERO


def deduction_total(events: Iterable[Event], types: Mapping[str, EventType]) -> Decimal:
    """SPEC §3.1 ``deduction``: Σ deductions of counted events, each type's cap limiting
    its own total."""
    per_type: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for event in events:
        per_type[event.type_code] += -types[event.type_code].points
    total = ZERO
    for code, amount in per_type.items():
        cap = types[code].cap
        total += min(amount, abs(cap)) if cap is not None else amount
    return total


def bonus_total(events: Iterable[Event], types: Mapping[str, EventType], cap: Decimal) -> Decimal:
    """SPEC §3.3: min(Σ points of counted bonus events, bonus cap); a type's own cap
    limits its own total first."""
    per_type: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for event in events:
        per_type[event.type_code] += types[event.type_code].points
    total = ZERO
    for code, amount in per_type.items():
        type_cap = types[code].cap
        total += min(amount, type_cap) if type_cap is not None else amount
    return min(total, cap)


@dataclass(frozen=True)
class SurveyRate:
    rate: Decimal
    counted: int


def satisfaction_rate(
    counts: Iterable[SurveyCount],
    weights: Mapping[str, Decimal],
    values: SurveyChoiceValues,
) -> SurveyRate:
    """SPEC §3.4: per category the mean of counted ballots (不了解 not counted), weighted
    over the categories with at least one counted ballot; none at all → rate 0."""
    sums: dict[str, Decimal] = defaultdict(lambda: ZERO)
    ballots: dict[str, int] = defaultdict(int)
    for c in counts:
        sums[c.category] += (
            c.satisfied * values.satisfied
            + c.basic * values.basic
            + c.unsatisfied * values.unsatisfied
        )
        ballots[c.category] += c.satisfied + c.basic + c.unsatisfied
    counted = {cat for cat, n in ballots.items() if n > 0}
    weight_sum = sum((weights.get(cat, ZERO) for cat in counted), ZERO)
    if not counted or weight_sum == 0:
        return SurveyRate(ZERO, sum(ballots.values()))
    weighted = sum((weights.get(cat, ZERO) * sums[cat] / ballots[cat] for cat in counted), ZERO)
    return SurveyRate(weighted / weight_sum, sum(ballots.values()))
