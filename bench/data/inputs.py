"""A county's scoring inputs, bulk-loaded against its cycle's frozen template (SPEC §3):
score entries (every leaf 自评; every rating leaf 5 目标 and 5 组织 raters; a few 组织
overrides of automatic leaves, with their note), ~20 events per community, a value of
every 数据项 per community, double-keyed paper counts per survey category, and one batch
of online ballot tokens per community (some cast, the rest left for the load test).

Values are drawn from one seeded generator: a participant has a quality (55–95 % of the
points) and each rater scatters around it, so ranks, ties, quotas and the trimmed mean
all have work to do.
"""

import hashlib
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from assessment.models import Participant
from bench.data import shape
from bench.data.rows import copy_lines, copy_rows
from evidence.models import Event, EventStatus, MetricValue
from indicators.models import (
    BarsLevel,
    EventType,
    IndicatorNode,
    MetricDefinition,
    SurveyCategory,
)
from scoring.models import ScoreEntry, SelfEvaluation, SelfEvaluationStatus
from surveys.ballots import tokens
from surveys.models import Ballot, BallotBatch, BallotToken, Choice, PaperTally

SCORE_FIELDS = (
    "participant",
    "leaf",
    "source",
    "rater",
    "value",
    "level",
    "note",
    "version",
    "updated_at",
)
# Share of (participant, automatic leaf) pairs an org rater overrides, with a note.
OVERRIDE_SHARE = 0.01
OVERRIDE_NOTE = "核查台账后调整"


@dataclass(frozen=True)
class Leaf:
    pk: int
    cents: int  # points × 100
    method: str
    metric_key: str
    target: Decimal | None
    levels: tuple  # (level pk, value in cents), best first; empty without anchors


def leaves_of(cycle):
    levels = {}
    for node_id, pk, value in (
        BarsLevel.objects.filter(node__template_id=cycle.frozen_template_id)
        .order_by("node_id", "-value")
        .values_list("node_id", "pk", "value")
    ):
        levels.setdefault(node_id, []).append((pk, int(value * 100)))
    return [
        Leaf(pk, int(points * 100), method, key, target, tuple(levels.get(pk, ())))
        for pk, points, method, key, target in IndicatorNode.objects.filter(
            template_id=cycle.frozen_template_id, children__isnull=True
        )
        .order_by("sort_key")
        .values_list("pk", "points", "method", "metric_key", "target_value")
    ]


def _cents(cents):
    return f"{cents // 100}.{cents % 100:02d}"


def _value(leaf, share):
    """(value, level) as COPY text for a rater aiming at `share` of the points; on a
    leaf with anchors the nearest level's value, else `\\N` (no level)."""
    share = min(1.0, max(0.0, share))
    if leaf.levels:
        # Anchors go best first at 100 %, 70 %, 40 %, 0 %: the nearest one.
        index = 0 if share >= 0.85 else 1 if share >= 0.55 else 2 if share >= 0.2 else 3
        pk, cents = leaf.levels[min(index, len(leaf.levels) - 1)]
        return _cents(cents), str(pk)
    return _cents(round(leaf.cents * share)), "\\N"


def _score_lines(participants, leaves, target_raters, org_raters, rng):
    stamp = shape.STAMP.isoformat()
    for pid, user_id in participants:
        quality = 0.55 + 0.4 * rng.random()
        for leaf in leaves:
            value, level = _value(leaf, quality + 0.1)
            yield f"{pid}\t{leaf.pk}\tself\t{user_id}\t{value}\t{level}\t\t1\t{stamp}\n"
            if leaf.method == "rating":
                for source, raters in (("target", target_raters), ("org", org_raters)):
                    for rater in raters:
                        value, level = _value(leaf, quality + rng.uniform(-0.15, 0.15))
                        yield f"{pid}\t{leaf.pk}\t{source}\t{rater}\t{value}\t{level}\t\t1\t{stamp}\n"
            elif rng.random() < OVERRIDE_SHARE:
                value, _level = _value(leaf, quality)
                yield (
                    f"{pid}\t{leaf.pk}\torg\t{org_raters[0]}\t{value}\t\\N\t"
                    f"{OVERRIDE_NOTE}\t1\t{stamp}\n"
                )


def _day(rng):
    return date(shape.YEAR, 1, 1) + timedelta(days=rng.randint(0, 360))


def _events(participants, types, names, reporter, verifier, rng):
    for pid, _user in participants:
        planned = [
            rng.choice(shape.DEDUCTION_TYPES)
            if rng.random() < 0.9
            else rng.choice(shape.BONUS_TYPES)
            for _n in range(shape.EVENTS_PER_COMMUNITY + rng.randint(-4, 4))
        ]
        if rng.random() < 1 / 150:
            planned.append(rng.choice(shape.VETO_TYPES))
        for n, code in enumerate(planned, start=1):
            roll = rng.random()
            status = (
                EventStatus.VERIFIED
                if roll < 0.7 or code in shape.VETO_TYPES
                else EventStatus.REPORTED
                if roll < 0.9
                else EventStatus.REJECTED
            )
            checked = status != EventStatus.REPORTED
            yield (
                pid,
                types[code],
                _day(rng),
                f"{names[code]}（第 {n} 项）",
                "reported",
                status.value,
                reporter,
                shape.STAMP,
                verifier if checked else None,
                shape.STAMP if checked else None,
                "",
                False,
                "",
                1,
            )


EVENT_FIELDS = (
    "participant",
    "event_type",
    "occurred_on",
    "description",
    "origin",
    "status",
    "reported_by",
    "reported_at",
    "verified_by",
    "verified_at",
    "verification_note",
    "exempt",
    "exemption_reason",
    "version",
)


def _metric_value(leaf, percent, rng):
    """A community's actual value: around the target (65–110 %; a percentage at most
    100) for a target leaf, across the bands (0–40) for a bands leaf."""
    if leaf.method == "bands":
        return Decimal(rng.randint(0, 40))
    value = (leaf.target * Decimal(rng.randint(650, 1100)) / 1000).quantize(Decimal("0.1"))
    return min(value, Decimal(100)) if percent else value


def _counts(rng):
    return (rng.randint(10, 30), rng.randint(2, 10), rng.randint(0, 4), rng.randint(0, 3))


CHOICES = [Choice.SATISFIED] * 14 + [Choice.BASIC] * 4 + [Choice.UNSATISFIED, Choice.UNKNOWN]


def _ballots(cycle, admin, communities, category, rng, rows):
    """One batch of tokens per community (made as the demo makes them: slips printed,
    clear tokens kept nowhere but here); returns the clear codes of the unused ones."""
    batches = BallotBatch.objects.bulk_create(
        (
            BallotBatch(
                cycle=cycle,
                community_id=community,
                category=category,
                size=shape.BALLOTS_PER_BATCH,
                created_by=admin,
                slips_progress=100,
                slips_printed=True,
            )
            for community in communities
        ),
        batch_size=5000,
    )
    cast_on = date(shape.YEAR, 11, 15)
    unused, token_rows, ballot_rows = [], [], []
    for batch in batches:
        for n in range(shape.BALLOTS_PER_BATCH):
            token = rng.randbytes(tokens.TOKEN_BYTES)
            cast = n < shape.CAST_PER_BATCH
            token_rows.append(
                (batch.pk, hashlib.sha256(token).hexdigest(), cast_on if cast else None)
            )
            if cast:
                ballot_rows.append(
                    (
                        uuid.UUID(int=rng.getrandbits(128), version=4),
                        cycle.pk,
                        batch.community_id,
                        category.pk,
                        rng.choice(CHOICES).value,
                        "",
                        cast_on,
                    )
                )
            else:
                unused.append(tokens.encode(token))
    rows["ballot tokens"] += copy_rows(
        BallotToken, ("batch", "digest", "used_on", "voided"), ((*r, False) for r in token_rows)
    )
    rows["ballots"] += copy_rows(
        Ballot,
        ("id", "cycle", "community", "category", "choice", "comment", "cast_on"),
        ballot_rows,
    )
    return unused


def load_inputs(county, rng, rows):
    """Every input of `county.cycle` (see the module); adds to the `rows` counters and
    returns the clear codes of the ballot tokens left unused."""
    cycle = county.cycle
    leaves = leaves_of(cycle)
    participants = list(
        Participant.objects.filter(cycle=cycle)
        .order_by("pk")
        .values_list("pk", "secretary__user_id", "community_id")
    )
    pairs = [(pid, user) for pid, user, _c in participants]
    communities = [community for _p, _u, community in participants]
    rows["score entries"] += copy_lines(
        ScoreEntry,
        SCORE_FIELDS,
        _score_lines(
            pairs,
            leaves,
            [u.pk for u in county.target_raters],
            [u.pk for u in county.org_raters],
            rng,
        ),
    )
    SelfEvaluation.objects.bulk_create(
        (
            SelfEvaluation(
                participant_id=pid, status=SelfEvaluationStatus.SUBMITTED, submitted_at=shape.STAMP
            )
            for pid, _user in pairs
        ),
        batch_size=5000,
    )
    types = dict(
        EventType.objects.filter(template_id=cycle.frozen_template_id).values_list("code", "pk")
    )
    names = dict(
        EventType.objects.filter(template_id=cycle.frozen_template_id).values_list("code", "name")
    )
    rows["events"] += copy_rows(
        Event,
        EVENT_FIELDS,
        _events(pairs, types, names, county.org_raters[0].pk, county.admin.pk, rng),
    )
    metric_leaves = [leaf for leaf in leaves if leaf.metric_key]
    percent = {
        d.key
        for d in MetricDefinition.objects.filter(template_id=cycle.frozen_template_id)
        if d.is_percent
    }
    rows["metric values"] += copy_rows(
        MetricValue,
        (
            "cycle",
            "community",
            "key",
            "value",
            "source",
            "note",
            "entered_by",
            "updated_at",
            "version",
        ),
        (
            (
                cycle.pk,
                community,
                leaf.metric_key,
                _metric_value(leaf, leaf.metric_key in percent, rng),
                "entered",
                "",
            )
            + (county.admin.pk, shape.STAMP, 1)
            for community in communities
            for leaf in metric_leaves
        ),
    )
    categories = list(SurveyCategory.objects.filter(template_id=cycle.frozen_template_id))
    keyers = [county.org_raters[0].pk, county.org_raters[1].pk]
    rows["paper counts"] += copy_rows(
        PaperTally,
        (
            "cycle",
            "community",
            "category",
            "keyed_by",
            "satisfied",
            "basic",
            "unsatisfied",
            "unknown",
            "updated_at",
            "version",
        ),
        (
            (cycle.pk, community, category.pk, keyer, *counts, shape.STAMP, 1)
            for community in communities
            for category in categories
            for counts in [_counts(rng)]
            for keyer in keyers
        ),
    )
    return _ballots(cycle, county.admin, communities, categories[0], rng, rows)
