"""Scoring benchmark: compute_cycle (DESIGN §3) from the database for a county and a city.

Runs after the foundation benchmark, on the same org trees (32 vs 3,000 communities with
a secretary each): a cycle with the seed template, every participant enrolled, 自评 on
every leaf and 目标/组织 on every rating leaf, then the whole recompute — load inputs
(a fixed number of queries), run the engine, bulk-insert the result version and swap it
in. The work grows with the participants, so the ratio to look at is the time per
participant, city / county: it should stay near 1 (linear), not grow.
"""

import statistics
import time
from decimal import Decimal

from django.db import connection

from assessment import services as cycles
from indicators.starter import SEED_TEMPLATE, install_starter_templates
from org.models import OrgUnit
from scoring import engine
from scoring.inputs import load_inputs
from scoring.models import ScoreEntry, Source
from scoring.services import compute_cycle, current_results

REPEAT = 3


def build_cycle(label):
    root = OrgUnit.objects.get(code=label.upper())
    made = install_starter_templates(actor=None, county=root)
    template = next(t for t in made if t.name == SEED_TEMPLATE["name"])
    cycle = cycles.create_cycle(
        actor=None, county=root, name=f"{label} 2026", year=2026, template=template
    )
    cycles.enrol_county(actor=None, cycle=cycle)
    cycle = cycles.transition(actor=None, cycle=cycle, name="open", version=cycle.version)
    leaves = list(cycle.frozen_template.nodes.filter(children__isnull=True))
    rater = cycle.participants.first().secretary.user
    entries = []
    for i, participant in enumerate(cycle.participants.all()):
        for leaf in leaves:
            share = Decimal(60 + (i * 7 + leaf.pk) % 41) / 100
            value = (leaf.points * share).quantize(Decimal("0.01"))
            sources = [Source.SELF]
            if leaf.method == "rating":
                sources += [Source.TARGET, Source.ORG]
            entries.extend(
                ScoreEntry(participant=participant, leaf=leaf, source=s, rater=rater, value=value)
                for s in sources
            )
    ScoreEntry.objects.bulk_create(entries, batch_size=5000)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return cycle, len(entries)


def measure(cycle):
    """Each round marks the inputs changed (with the recompute listener off, so nothing
    computes behind the timer) and then times the parts and the whole."""
    listeners = list(cycles.INPUTS_LISTENERS)
    cycles.INPUTS_LISTENERS.clear()
    try:
        return _measure(cycle)
    finally:
        cycles.INPUTS_LISTENERS.extend(listeners)


def _measure(cycle):
    loads, engines, totals = [], [], []
    for _ in range(REPEAT):
        start = time.perf_counter()
        inputs = load_inputs(cycle)
        loads.append(time.perf_counter() - start)
        start = time.perf_counter()
        engine.compute(inputs)
        engines.append(time.perf_counter() - start)
        cycles.mark_inputs_changed(cycle)
        before = current_results(cycle)
        start = time.perf_counter()
        version = compute_cycle(cycle.pk)
        totals.append(time.perf_counter() - start)
        assert version is not None and version != before, "nothing was computed"
    return {
        "load inputs": statistics.median(loads) * 1000,
        "engine": statistics.median(engines) * 1000,
        "compute_cycle (all)": statistics.median(totals) * 1000,
    }


def run():
    sizes, results = {}, {}
    for label in ("county", "city"):
        cycle, n_entries = build_cycle(label)
        sizes[label] = (cycle.participants.count(), n_entries)
        for step, ms in measure(cycle).items():
            results.setdefault(step, {})[label] = ms
    county_n, city_n = sizes["county"][0], sizes["city"][0]
    lines = [
        f"Scoring benchmark on {connection.vendor}, median of {REPEAT} runs (ms)",
        f"county: {county_n} participants, {sizes['county'][1]} score entries; "
        f"city: {city_n} participants, {sizes['city'][1]} score entries (x{city_n / county_n:.0f})",
        "",
        f"{'step':<22}{'county':>10}{'city':>10}{'per participant city/county':>30}",
    ]
    for step, by_size in results.items():
        ratio = (by_size["city"] / city_n) / (by_size["county"] / county_n)
        lines.append(f"{step:<22}{by_size['county']:>10.1f}{by_size['city']:>10.1f}{ratio:>30.2f}")
    return "\n".join(lines)
