"""Scale-out simulation (SPEC §6, issue 16): recompute throughput against the number of
Celery workers, the jobs partitioned by county (reports/jobs/queues.py).

    make bench-scaleout SCALE=province WORKERS=1,2,3,4

Builds the scale's synthetic world (`bench.data`: a province is 8 counties of 2,500) in
its own throw-away database, computes every cycle once, then for each queue layout and
each N: makes every cycle's results stale, starts N `celery worker` processes (one task
at a time each) — under `kind` all taking the one recompute queue, under `kind:S` each
taking some of the S county shards (worker i the shards i, i + N, …) — queues one
recompute per cycle and times until every cycle's results are current. Throughput is participants recomputed per second. One machine here,
so N beyond its cores shows where one machine saturates; docs/performance.md turns the
figures into a prediction for k machines.

Environment: DATABASE_URL (a name starting with `sqsj_bench`; default
`sqsj_bench_scaleout` on the local server), BENCH_REDIS_URL / BENCH_SCALEOUT_REDIS_DB
(default 13, emptied), BENCH_KEEP_DB=1 to keep the database.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import django
from django.db import connections

from bench import database
from bench.harness import write_record

ROOT = Path(__file__).resolve().parent.parent
STARTED = time.monotonic()


def say(text):
    print(f"[scale-out +{time.monotonic() - STARTED:.0f}s] {text}", flush=True)


def _broker():
    base = os.environ.get("BENCH_REDIS_URL") or "redis://127.0.0.1:6379"
    db = os.environ.get("BENCH_SCALEOUT_REDIS_DB", "13")
    return urlunsplit(urlsplit(base)._replace(path=f"/{db}"))


def _url():
    url = os.environ.get("DATABASE_URL", "")
    if not urlsplit(url).path.lstrip("/").startswith(database.PREFIX):
        url = f"{database.DEFAULT_URL}_scaleout"
    return database.bench_url(url)


def _start_workers(n, shards, env):
    """N worker processes: all on the recompute queue, or (`shards`) worker i on the
    shards i, i + n, …"""
    workers = []
    for i in range(n):
        queues = ",".join(f"jobs.recompute.{s}" for s in range(shards) if s % n == i)
        if not shards:
            queues = "jobs.recompute"
        workers.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "config",
                    "worker",
                    "--pool",
                    "solo",
                    "--loglevel",
                    "WARNING",
                    "-Q",
                    queues,
                    "-n",
                    f"scaleout{i}@%h",
                ],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
    return workers


def _wait_ready(app, n, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if len(app.control.ping(timeout=1) or []) >= n:
            return
    raise RuntimeError(f"{n} workers did not answer within {seconds} s")


def _stop(workers):
    for worker in workers:
        worker.terminate()
    for worker in workers:
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            worker.kill()


def run_one(layout, n, cycle_ids, participants, env):
    """Seconds for N workers to bring every cycle's results current."""
    import redis
    from django.conf import settings
    from django.db.models import F

    from assessment.models import Cycle
    from config.celery import app
    from reports.jobs import queues
    from reports.jobs.recompute import schedule_recompute
    from scoring.services import results_are_stale

    settings.JOB_QUEUES = layout
    shards = queues.layout(layout)[1]
    if shards and n > shards:
        return None  # more workers than shards: the extra ones would have nothing
    redis.Redis.from_url(_broker()).flushdb()
    workers = _start_workers(n, shards, env)
    try:
        _wait_ready(app, n)
        # Stale without a change record: a full recompute of each cycle.
        Cycle.objects.filter(pk__in=cycle_ids).update(inputs_version=F("inputs_version") + 1)
        started = time.perf_counter()
        for cycle_id in cycle_ids:
            if schedule_recompute(cycle_id) is None:
                raise RuntimeError(f"cycle {cycle_id} already had a recompute waiting")
        while any(results_are_stale(Cycle.objects.get(pk=pk)) for pk in cycle_ids):
            time.sleep(0.2)
            if time.perf_counter() - started > 3600:
                raise RuntimeError("the recomputes did not finish within an hour")
        seconds = time.perf_counter() - started
    finally:
        _stop(workers)
    return {
        "layout": layout,
        "workers": n,
        "seconds": round(seconds, 2),
        "participants_per_s": round(participants / seconds, 1),
        "cycles_per_min": round(len(cycle_ids) * 60 / seconds, 2),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("scale")
    parser.add_argument("--workers", default="1,2,3,4")
    parser.add_argument("--layouts", default="kind,kind:4")
    args = parser.parse_args(argv)
    counts = [int(n) for n in args.workers.split(",")]
    layouts = args.layouts.split(",")

    url = _url()
    broker = _broker()
    os.environ.update(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="bench.settings",
        CELERY_BROKER_URL=broker,
        CACHE_URL=broker,
    )
    say(f"database {database.name_of(url)}")
    database.create(url)
    try:
        django.setup()
        from bench.data import build
        from bench.data.shape import SCALES
        from bench.measure import machine
        from scoring.services import compute_cycle

        scale = SCALES[args.scale]
        say(f"building {scale.name}: {scale.participants} participants, {scale.counties} counties")
        world = build(scale, 0)
        cycle_ids = [county.cycle.pk for county in world.counties]
        for cycle_id in cycle_ids:
            compute_cycle(cycle_id)
        connections.close_all()
        env = dict(os.environ)
        runs = []
        for layout in layouts:
            for n in counts:
                say(f"JOB_QUEUES={layout}: {n} worker(s)")
                run = run_one(layout, n, cycle_ids, scale.participants, env)
                if run is not None:
                    runs.append(run)
                    say(json.dumps(runs[-1]))
        host = machine.describe()
    finally:
        connections.close_all()
        if os.environ.get("BENCH_KEEP_DB") != "1":
            database.drop(url)
    record = {
        "scale": scale.name,
        "participants": scale.participants,
        "counties": scale.counties,
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "runs": runs,
        "machine": host,
    }
    say(f"written to {write_record(f'scaleout-{scale.name}', record)}")
    print(json.dumps({"scale": scale.name, "runs": runs}, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    sys.exit(main())
