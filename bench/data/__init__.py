"""The synthetic world of the scale benchmark (SPEC §6), built deterministically from one
seed into an empty, migrated database: `build(scale, load_users)`.

    counties × towns × communities, 3 grids each, a secretary (with a login) each,
    per county: an admin, 5 目标 and 5 组织 raters, a 60-leaf template, a cycle in 评分中
    over every secretary with all its inputs (see `bench.data.inputs`),
    and `load_users` county assessors for the HTTP load test.

Recomputation is switched off while building (every service write would otherwise
compute the half-built cycle again); the caller computes once the world stands.
"""

import random
import time
from collections import Counter
from dataclasses import dataclass

from django.db import connection, transaction

from assessment import services as cycles
from bench.data import shape
from bench.data.inputs import load_inputs
from bench.data.world import County, add_load_users, build_county


@dataclass
class World:
    scale: shape.Scale
    counties: list[County]
    # Clear codes of the ballot tokens not yet cast (the load test casts them).
    unused_tokens: list[str]
    rows: Counter
    seconds: float


def build(scale, load_users):
    started = time.perf_counter()
    rng = random.Random(shape.SEED)
    rows = Counter()
    counties, unused = [], []
    listeners = list(cycles.INPUTS_LISTENERS)
    cycles.INPUTS_LISTENERS.clear()
    try:
        for index in range(scale.counties):
            with transaction.atomic():
                county = build_county(index, scale, rng)
                unused += load_inputs(county, rng, rows)
            counties.append(county)
        add_load_users(counties, load_users)
    finally:
        cycles.INPUTS_LISTENERS.extend(listeners)
    # What autovacuum would do after a bulk load: give the planner real statistics.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    rows["participants"] = scale.participants
    return World(scale, counties, unused, rows, time.perf_counter() - started)
