"""The scale benchmark (`make bench SCALE=…`, docs/performance.md) runs end to end: the
tiny world built, every measurement taken, HTTP load included (5 users, 5 seconds), and
the last line of its output the JSON object of headline figures. Nothing is asserted
about time: this machine's figures are the benchmark's business, not the suite's.
"""

import json
import math
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

PROJECT = Path(__file__).resolve().parents[2]
HEADLINE = {
    "compute_s",
    "compute_floor_s",
    "compute_ratio",
    "incremental_s",
    "import_s",
    "import_floor_s",
    "import_ratio",
    "export_s",
    "export_floor_s",
    "export_ratio",
    "peak_rss_mb",
    "http_p50_ms",
    "http_p95_ms",
    "http_rps",
    "http_error_rate",
    "page_ms_max",
    "queries_per_page_max",
}
# A first run on a new machine also migrates the benchmark's template database.
TIMEOUT = 600


def bench_environment(results):
    """The harness's environment: a database of this xdist worker's own (never one of the
    suite's test databases) and this worker's own Redis databases (tests/settings.py)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    number = int(worker.removeprefix("gw")) if worker.startswith("gw") else 0
    database = urlsplit(os.environ["DATABASE_URL"])._replace(
        path=f"/sqsj_bench_test_{worker or 'main'}", query="", fragment=""
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("BENCH_", "PYTEST_", "DJANGO_SETTINGS_MODULE"))
    }
    env.update(
        DATABASE_URL=urlunsplit(database),
        BENCH_REDIS_URL=os.environ["CELERY_BROKER_URL"],
        BENCH_REDIS_DBS=f"{8 + number},{2 + number}",
        BENCH_HTTP_USERS="5",
        BENCH_HTTP_SECONDS="5",
        BENCH_RESULTS_DIR=str(results),
    )
    return env


@pytest.mark.postgres
@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="the benchmark needs PostgreSQL (set DATABASE_URL)",
)
@pytest.mark.skipif(
    not os.environ.get("CELERY_BROKER_URL", "").startswith("redis"),
    reason="the benchmark serves with Redis as broker and cache (set CELERY_BROKER_URL)",
)
def test_the_tiny_benchmark_runs_and_ends_with_its_figures_as_json(tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "bench.harness", "tiny"],
        cwd=PROJECT,
        env=bench_environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    figures = json.loads(run.stdout.strip().splitlines()[-1])
    assert figures.keys() >= HEADLINE
    assert (figures["scale"], figures["participants"]) == ("tiny", 20)
    for key in HEADLINE:
        value = figures[key]
        assert isinstance(value, int | float) and not isinstance(value, bool), key
        assert math.isfinite(value) and value >= 0, (key, value)

    (written,) = tmp_path.glob("tiny-*.json")
    record = json.loads(written.read_text())
    http = record["details"]["http"]
    # Under a loaded machine a request may time out; refusals are another matter: a
    # login, CSRF or scope mistake in the load client (or the product) shows here.
    assert not [outcome for outcome in http["errors"] if outcome.startswith("status:")], http
    assert http["requests"] > 0
    assert record["machine"]["postgresql"]["server_version"]
