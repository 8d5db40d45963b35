"""The recompute (DESIGN §3): a whole `compute_cycle`, its floor, one score changed until
the results are current again, and the recompute's peak memory in a process of its own.
"""

import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.db import connection, transaction
from django.db.models import F

from assessment.models import Cycle, Participant
from bench.measure import median_of
from scoring.models import LeafResult, Result, ScoreEntry, Source
from scoring.services import compute_cycle, compute_until_current, enter_score, results_are_stale

ROOT = Path(__file__).resolve().parents[2]


def mark_changed(cycle_ids):
    """Make the current results stale the way any input write does, without the write
    (and without the listeners, which would recompute at once)."""
    Cycle.objects.filter(pk__in=cycle_ids).update(inputs_version=F("inputs_version") + 1)


def full_recompute(cycle_ids, repeat=3):
    """Median seconds of recomputing every cycle (one after another, as one worker
    would), each made stale first so `compute_cycle` really computes."""
    samples = []
    for _n in range(repeat):
        mark_changed(cycle_ids)
        started = time.perf_counter()
        for cycle_id in cycle_ids:
            version = compute_cycle(cycle_id)
            if version is None or results_are_stale(Cycle.objects.get(pk=cycle_id), version):
                raise RuntimeError(f"cycle {cycle_id} was not recomputed")
        samples.append(time.perf_counter() - started)
    return statistics.median(samples), samples


AGGREGATE = f"""
    SELECT e.participant_id, e.leaf_id, e.source,
           count(*), sum(e.value), min(e.value), max(e.value)
      FROM {ScoreEntry._meta.db_table} e
      JOIN {Participant._meta.db_table} p ON p.id = e.participant_id
     WHERE p.cycle_id = %s
     GROUP BY 1, 2, 3
"""


def written_rows(cycle_ids):
    """How many rows a recompute writes: a result per participant and a leaf result
    per participant and leaf (counted on the current versions)."""
    results = Result.objects.filter(version__cycle_id__in=cycle_ids, version__is_current=True)
    leaves = LeafResult.objects.filter(sheet__results__in=results)
    return results.count() + leaves.count()


def _floor_once(cycle_ids, rows):
    with transaction.atomic(), connection.cursor() as cursor:
        for cycle_id in cycle_ids:
            cursor.execute(AGGREGATE, [cycle_id])
            cursor.fetchall()
        cursor.execute(
            "CREATE TEMP TABLE bench_floor (result_id bigint, leaf_id bigint, "
            "self_value numeric(7, 2), target_value numeric(7, 2), org_value numeric(7, 2), "
            "org_overridden boolean, basis numeric(20, 4)) ON COMMIT DROP"
        )
        buffer = io.StringIO()
        for n in range(rows):
            buffer.write(f"{n}\t{n % 64}\t1.50\t1.25\t1.00\tf\t\\N\n")
        buffer.seek(0)
        cursor.cursor.copy_expert("COPY bench_floor FROM STDIN", buffer)


def floor(cycle_ids, repeat=3):
    """The least a recompute must do: read the score rows once, aggregated in SQL per
    participant × leaf × source (count, sum, min, max: what a trimmed mean needs), and
    write as many result rows as the recompute writes, with COPY, into a temp table."""
    rows = written_rows(cycle_ids)
    return median_of(lambda: _floor_once(cycle_ids, rows), repeat)


def incremental(county, repeat=3):
    """One 目标 score changed by a real rater through `enter_score`, until the cycle's
    results are current again: whatever the product does after the write (today the
    recompute job, run in-process here as without a broker), then — should the results
    still be stale — what a worker would do (`compute_until_current`)."""
    cycle = county.cycle
    rater = county.target_raters[0]
    entries = ScoreEntry.objects.filter(
        participant__cycle=cycle, source=Source.TARGET, rater=rater, level__isnull=True
    ).select_related("participant", "leaf")
    entry = entries.order_by("participant_id", "leaf__sort_key")[entries.count() // 2]
    participant, leaf = entry.participant, entry.leaf
    values = [entry.value, entry.value - 1 if entry.value >= 1 else entry.value + 1]
    samples = []
    for n in range(repeat):
        version = ScoreEntry.objects.get(pk=entry.pk).version
        started = time.perf_counter()
        enter_score(
            actor=rater,
            participant=participant,
            leaf=leaf,
            source=Source.TARGET,
            value=values[(n + 1) % 2],
            version=version,
        )
        if results_are_stale(Cycle.objects.get(pk=cycle.pk)):
            compute_until_current(cycle.pk)
        samples.append(time.perf_counter() - started)
        if results_are_stale(Cycle.objects.get(pk=cycle.pk)):
            raise RuntimeError("the results stayed stale after a score changed")
    return statistics.median(samples), samples


def peak_rss(cycle, env):
    """Peak resident memory (MB) and wall time of `manage.py compute_cycle` recomputing
    the cycle in a process of its own (its own rusage, from wait4)."""
    mark_changed([cycle.pk])
    with tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        child = subprocess.Popen(
            [sys.executable, "manage.py", "compute_cycle", str(cycle.pk)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )
        _pid, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        elapsed = time.perf_counter() - started
        if child.returncode:
            errors.seek(0)
            raise RuntimeError("compute_cycle failed:\n" + errors.read().decode(errors="replace"))
    # ru_maxrss is in kilobytes on Linux.
    return usage.ru_maxrss / 1024, elapsed
