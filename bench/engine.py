"""Engine benchmark: does computing a cycle grow linearly with its size?

A synthetic cycle shaped like SPEC §6 (60 leaves of mixed methods, 3 target and 3 org
raters per rating leaf, a self-evaluation, events and survey counts per community),
computed for a county (300 participants) and a city (3,000). The figure that matters is
the ratio city / county against the ×10 in size: near 10 means linear; sorting for
ranks adds a little.
"""

import random
import statistics
import time
from decimal import Decimal as D

from scoring.engine import (
    CycleInputs,
    Event,
    EventType,
    IndicatorNode,
    Method,
    Metric,
    Participant,
    ScoreEntry,
    Source,
    SurveyCategory,
    SurveyCount,
    compute,
)

SIZES = {"county": 300, "city": 3000}
REPEAT = 3


def tree():
    """4 dimensions of 25 points × 15 leaves (ten of 1.5, five of 2): rating, target,
    bands, deduction, survey."""
    nodes, leaves = [], []
    methods = [Method.RATING] * 11 + [Method.TARGET, Method.BANDS, Method.DEDUCTION, Method.SURVEY]
    for d in range(1, 5):
        nodes.append(IndicatorNode(code=str(d), parent_code=None, points=D(25)))
        for i, method in enumerate(methods, start=1):
            points = D("1.5") if i <= 10 else D(2)
            leaf = IndicatorNode(
                code=f"{d}.{i}",
                parent_code=str(d),
                points=points,
                method=method,
                metric_key="m" if method in (Method.TARGET, Method.BANDS) else None,
                target=D(100) if method == Method.TARGET else None,
                bands=((D(0), D(0)), (D(50), points / 2), (D(80), points))
                if method == Method.BANDS
                else (),
            )
            nodes.append(leaf)
            leaves.append(leaf)
    return tuple(nodes), leaves


def inputs(n, rng):
    nodes, leaves = tree()
    participants = tuple(
        Participant(id=f"p{i}", staff_no=f"S{i:05d}", community=f"c{i}", town=f"t{i % 40}")
        for i in range(n)
    )
    entries = []
    for p in participants:
        for leaf in leaves:
            entries.append(ScoreEntry(p.id, leaf.code, Source.SELF, p.id, leaf.points))
            if leaf.method == Method.RATING:
                for source in (Source.TARGET, Source.ORG):
                    for rater in range(3):
                        value = (leaf.points * D(rng.randint(60, 100)) / 100).quantize(D("0.01"))
                        entries.append(ScoreEntry(p.id, leaf.code, source, f"r{rater}", value))
    deduction_leaf = next(leaf.code for leaf in leaves if leaf.method == Method.DEDUCTION)
    event_types = (
        EventType("minus", D(-1), leaf_code=deduction_leaf, cap=D(1)),
        EventType("plus", D(5)),
        EventType("veto", D(0), veto=True),
    )
    events = tuple(
        Event(
            p.id, rng.choice(["minus", "plus", "plus", "veto" if rng.random() < 0.01 else "plus"])
        )
        for p in participants
        if rng.random() < 0.5
    )
    return CycleInputs(
        nodes=nodes,
        participants=participants,
        entries=tuple(entries),
        metrics=tuple(Metric(p.community, "m", D(rng.randint(0, 120))) for p in participants),
        event_types=event_types,
        events=events,
        survey_counts=tuple(
            SurveyCount(
                p.community, "居民代表", rng.randint(5, 30), rng.randint(0, 10), rng.randint(0, 3)
            )
            for p in participants
        ),
        survey_categories=(SurveyCategory("居民代表", D(60)), SurveyCategory("物业", D(20))),
    )


def run():
    rng = random.Random(2026)
    timings, entries = {}, {}
    for label, n in SIZES.items():
        cycle = inputs(n, rng)
        entries[label] = len(cycle.entries)
        samples = []
        for _ in range(REPEAT):
            start = time.perf_counter()
            result = compute(cycle)
            samples.append(time.perf_counter() - start)
        assert len(result.participants) == n
        timings[label] = statistics.median(samples) * 1000
    ratio = timings["city"] / timings["county"]
    return "\n".join(
        [
            f"Engine benchmark, median of {REPEAT} runs (ms)",
            f"county: {SIZES['county']} participants, {entries['county']} score entries; "
            f"city: {SIZES['city']} participants, {entries['city']} entries (x10)",
            "",
            f"{'case':<34}{'county':>10}{'city':>10}{'city/county':>14}",
            f"{'compute(whole cycle)':<34}{timings['county']:>10.1f}{timings['city']:>10.1f}{ratio:>14.2f}",
        ]
    )
