"""Where the web processes' CPU goes under load, per route (bench only).

`RequestCpuMiddleware` (outermost in `bench/settings.py`) writes, for every request a
gunicorn worker serves, the wall-clock time, the route's name and the CPU the worker's
thread spent on it — every middleware, the view, the rendering, the database driver —
to `$BENCH_CPU_LOG.<pid>`. Without the variable it does nothing. `per_route` reads the
files back for a window of time: what each kind of request costs, unlike the latencies,
which under saturation are mostly waiting.
"""

import os
import time
from pathlib import Path


class RequestCpuMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.log = os.environ.get("BENCH_CPU_LOG")

    def __call__(self, request):
        if not self.log:
            return self.get_response(request)
        started = time.thread_time()
        response = self.get_response(request)
        used = time.thread_time() - started
        match = request.resolver_match
        name = match.view_name if match else "-"
        with open(f"{self.log}.{os.getpid()}", "a") as log:
            log.write(f"{time.time():.3f}\t{name}\t{used * 1000:.2f}\n")
        return response


def per_route(log, since, until):
    """{route: {"requests", "cpu_s", "cpu_ms_mean"}} of the requests logged at `log`
    (every process's file) between the wall-clock times `since` and `until`, the
    costliest route first."""
    found = {}
    for path in Path(log).parent.glob(Path(log).name + ".*"):
        for line in path.read_text().splitlines():
            at, name, ms = line.split("\t")
            if not since <= float(at) <= until:
                continue
            entry = found.setdefault(name, [0, 0.0])
            entry[0] += 1
            entry[1] += float(ms)
    ordered = sorted(found.items(), key=lambda item: -item[1][1])
    return {
        name: {
            "requests": n,
            "cpu_s": round(total / 1000, 2),
            "cpu_ms_mean": round(total / n, 1),
        }
        for name, (n, total) in ordered
    }
