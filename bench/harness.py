"""The scale benchmark (SPEC §6): `make bench SCALE=tiny|county|city|province`.

    DATABASE_URL=postgres://…/sqsj_bench python -m bench.harness county

Builds the synthetic world of the scale (`bench.data`) in a throw-away PostgreSQL
database (`bench.database`), measures in the same run what a county's staff wait for —
the recompute, one score changed, the Excel import and export, the main pages, HTTP under
load — each beside its floor where it has one (`bench.measure`), writes everything with
the machine to bench/results/<scale>-<date>.json and prints the headline figures as one
JSON object on its last line. docs/performance.md explains each figure.

Environment (all optional):
    BENCH_HTTP_SECONDS      load duration (default 60; tiny 5)
    BENCH_HTTP_USERS        virtual users (default 50; tiny 5)
    BENCH_GUNICORN_WORKERS  gunicorn workers (default 3, as docker-compose.yml)
    BENCH_CELERY_WORKER     0 to serve without a Celery worker (default 1)
    BENCH_REDIS_URL         Redis server (default: CELERY_BROKER_URL's, else 127.0.0.1:6379)
    BENCH_REDIS_DBS         broker and cache databases, emptied by each run (default 14,15)
    BENCH_RESULTS_DIR       where the JSON goes (default bench/results)
    BENCH_KEEP_DB           1 to keep the database afterwards (default: dropped)
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import django
from django.db import connections

from bench import database

ROOT = Path(__file__).resolve().parent.parent
HEADLINE = (
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
)
# bench.data.shape.SCALES, named here because the argument is read before Django is set
# up (and the shape module imports the product's models).
SCALE_NAMES = ("tiny", "county", "city", "province")


STARTED = time.monotonic()


def say(text):
    print(f"[bench +{time.monotonic() - STARTED:.0f}s] {text}", flush=True)


def load_options(scale_name):
    """The HTTP load's settings, from the environment (see the module)."""
    tiny = scale_name == "tiny"
    broker, cache = _redis_urls()
    return {
        "users": int(os.environ.get("BENCH_HTTP_USERS", 5 if tiny else 50)),
        "seconds": float(os.environ.get("BENCH_HTTP_SECONDS", 5 if tiny else 60)),
        "gunicorn_workers": int(os.environ.get("BENCH_GUNICORN_WORKERS", 3)),
        "celery_worker": os.environ.get("BENCH_CELERY_WORKER", "1") != "0",
        "broker_url": broker,
        "cache_url": cache,
    }


def _redis_urls():
    base = os.environ.get("BENCH_REDIS_URL") or os.environ.get("CELERY_BROKER_URL", "")
    if not base.startswith("redis"):
        base = "redis://127.0.0.1:6379"
    broker, cache = os.environ.get("BENCH_REDIS_DBS", "14,15").split(",")
    parts = urlsplit(base)
    return tuple(urlunsplit(parts._replace(path=f"/{db.strip()}")) for db in (broker, cache))


def _rounded(value):
    return round(value, 4) if isinstance(value, float) else value


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("scale", choices=SCALE_NAMES)
    scale_name = parser.parse_args(argv).scale

    url = database.bench_url()
    options = load_options(scale_name)
    # This process runs jobs in-process (no broker): what a write sets off is timed with it.
    for name in ("CELERY_BROKER_URL", "CACHE_URL"):
        os.environ.pop(name, None)
    os.environ.update(DATABASE_URL=url, DJANGO_SETTINGS_MODULE="bench.settings")
    child_env = dict(os.environ)
    say(f"database {database.name_of(url)} (created from a migrated template)")
    database.create(url)
    started = time.perf_counter()
    try:
        django.setup()
        # Imported once Django is set up: the measurements import the product's models.
        from bench.measure import suite

        scale, figures, details, host = suite.run(scale_name, options, child_env, say)
    finally:
        connections.close_all()
        if os.environ.get("BENCH_KEEP_DB") != "1":
            database.drop(url)

    headline = {"scale": scale.name, "participants": scale.participants}
    headline.update({key: _rounded(figures[key]) for key in HEADLINE})
    record = {
        **headline,
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "run_s": round(time.perf_counter() - started, 1),
        "details": details,
        "machine": host,
    }
    say(f"written to {write_record(scale.name, record)}")
    print(json.dumps(headline, ensure_ascii=False), flush=True)


def write_record(stem, record):
    """`record` as bench/results/<stem>-<date>.json (BENCH_RESULTS_DIR); its path."""
    folder = Path(os.environ.get("BENCH_RESULTS_DIR") or ROOT / "bench" / "results")
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / f"{stem}-{time.strftime('%Y-%m-%d')}.json"
    out.write_text(json.dumps(record, ensure_ascii=False, indent=2, default=str) + "\n")
    return out


if __name__ == "__main__":
    sys.exit(main())
