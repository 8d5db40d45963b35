"""The machine a run was measured on: figures mean little without it."""

import os
import platform
import statistics
import time
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
POSTGRES_SETTINGS = (
    "server_version",
    "shared_buffers",
    "work_mem",
    "fsync",
    "synchronous_commit",
    "full_page_writes",
    "autovacuum",
)


def _first(path, prefix):
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(prefix):
                return line.split(":", 1)[1].strip()
    except OSError:
        return None
    return None


def _commit():
    """The checked-out commit, read from .git (no git process is started)."""
    head = ROOT / ".git" / "HEAD"
    try:
        ref = head.read_text().strip()
        if not ref.startswith("ref: "):
            return ref
        name = ref.removeprefix("ref: ")
        loose = ROOT / ".git" / name
        if loose.exists():
            return loose.read_text().strip()
        for line in (ROOT / ".git" / "packed-refs").read_text().splitlines():
            if line.endswith(" " + name):
                return line.split()[0]
    except OSError:
        return None
    return None


def cpu_probe_s():
    """Seconds this machine takes for a fixed piece of pure Python (median of 3): the same
    2-core machine has measured 1.1 s one day and 1.8 s another, and every figure of a
    run moves with it — compare runs only beside this."""
    samples = []
    for _n in range(3):
        started = time.perf_counter()
        total = 0
        for number in range(5_000_000):
            total += number
        samples.append(time.perf_counter() - started)
    return round(statistics.median(samples), 3)


def describe():
    memory = _first("/proc/meminfo", "MemTotal")
    with connection.cursor() as cursor:
        postgres = {}
        for name in POSTGRES_SETTINGS:
            cursor.execute(f"SHOW {name}")
            postgres[name] = cursor.fetchone()[0]
    return {
        "cpu": _first("/proc/cpuinfo", "model name") or platform.processor(),
        "cores": os.cpu_count(),
        "ram_gb": round(int(memory.split()[0]) / 1024 / 1024, 1) if memory else None,
        "load_average": os.getloadavg(),
        "cpu_probe_s": cpu_probe_s(),
        "python": platform.python_version(),
        "postgresql": postgres,
        "commit": _commit(),
    }
