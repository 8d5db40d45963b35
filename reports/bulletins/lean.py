"""Which town scores markedly more leniently or harshly than the rest (the bulletin's
三、各镇街情况): what 提级考核 exists to catch.

The measure, per participant, is what the town's own assessment says beyond the
county's: 目标量评 minus 组织考评 (both on the indicator tree's 100 points). A town whose
secretaries really do better scores higher in both, so the gap stays; a lenient town's
目标量评 runs ahead of the county's 组织考评. When 组织考评 is not in yet for most
participants (early quarters), the measure falls back to 目标量评 alone, and the bulletin
says so.

The statistic: for each town, the difference between its mean measure and the mean of
every other participant of the county, in standard errors of that difference (pooled
standard deviation × √(1/n_town + 1/n_rest)) — a two-sample t statistic. A town with at
least `MIN_TOWN` participants and |z| ≥ `THRESHOLD` is flagged 偏宽 (above) or 偏严
(below). Pure: numbers in, verdicts out.
"""

import math
from dataclasses import dataclass

THRESHOLD = 2.0
MIN_TOWN = 3

LENIENT = "偏宽"
HARSH = "偏严"


@dataclass(frozen=True)
class Lean:
    town: str
    n: int
    mean: float
    rest_mean: float
    z: float | None  # None: too few to judge
    verdict: str  # LENIENT, HARSH or ""


def _mean(values):
    return sum(values) / len(values)


def _sum_squares(values, mean):
    return sum((v - mean) ** 2 for v in values)


def town_leans(values_by_town, threshold=THRESHOLD, min_town=MIN_TOWN):
    """[Lean] per town, in the order given, for {town: [measure per participant]}."""
    leans = []
    for town, values in values_by_town.items():
        rest = [v for other, vs in values_by_town.items() if other != town for v in vs]
        if not values:
            continue
        mean = _mean(values)
        if len(values) < min_town or len(rest) < 2:
            rest_mean = _mean(rest) if rest else mean
            leans.append(Lean(town, len(values), mean, rest_mean, None, ""))
            continue
        rest_mean = _mean(rest)
        freedom = len(values) + len(rest) - 2
        pooled = math.sqrt((_sum_squares(values, mean) + _sum_squares(rest, rest_mean)) / freedom)
        gap = mean - rest_mean
        if pooled == 0:
            z = 0.0 if gap == 0 else math.copysign(math.inf, gap)
        else:
            z = gap / (pooled * math.sqrt(1 / len(values) + 1 / len(rest)))
        verdict = ""
        if abs(z) >= threshold:
            verdict = LENIENT if z > 0 else HARSH
        leans.append(Lean(town, len(values), mean, rest_mean, z, verdict))
    return leans
