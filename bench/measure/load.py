"""HTTP under load: the product served as deployed (gunicorn, a Celery worker, Redis,
the benchmark's PostgreSQL database) on a loopback port, and a crowd of users working
through it.

Each virtual user is a county assessor who logs in through the login form (CSRF
included), then — until the time is up, thinking 1–3 s (seeded) between actions — reads
score-grid pages, autosaves grid cells (`score-cell`, the htmx endpoint, with the CSRF
header the page carries), opens the ranking, participants' result pages and score
cards, lists results, participants and score entries through the API, and now and then
hands a resident's ballot over: the public ballot page opened with an unused token and
the answer cast (`/b/<code>/`, `/b/cast/`).

Counted as an error: a timeout, a broken connection, or any status from 400 on except
409 and 412 (an optimistic-locking conflict is a correct answer under concurrency; the
grid answers its conflicts with 200 today, the API with 412). Everyone logs in first;
the figures cover the working time after that (logins are reported apart). The client is plain asyncio (HTTP/1.1, one connection
per request, as gunicorn's sync workers close every connection): no dependency.
"""

import asyncio
import math
import os
import random
import re
import resource
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import redis
from django.urls import reverse

from assessment.models import Participant
from bench import cpu
from bench.data import shape
from indicators.models import IndicatorNode
from reports.models import Job, JobKind, JobState
from scoring.grid import ROWS_PER_PAGE
from scoring.models import ScoreEntry
from surveys.models import PooledBallot

ROOT = Path(__file__).resolve().parents[2]
EXPECTED_CONFLICTS = frozenset({409, 412})
REQUEST_TIMEOUT = 30
THINK_SECONDS = (1.0, 3.0)
# The mix: (kind, weight).
MIX = (
    ("autosave", 25),
    ("ballot", 10),
    ("grid", 25),
    ("ranking", 8),
    ("participant", 12),
    ("card", 10),
    ("api", 10),
)
CSRF_HEADER = re.compile(r'"X-CSRFToken": "([^"]+)"')
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass
class Target:
    """What the users of one county work on."""

    cycle: int
    participants: list
    leaves: list  # (pk, points in cents) of the rating leaves without anchors
    dimensions: list
    grid_pages: int


@dataclass
class Tally:
    samples: list = field(default_factory=list)  # (kind, ms, outcome)
    logins: list = field(default_factory=list)


def targets(world):
    found = []
    for county in world.counties:
        cycle = county.cycle
        nodes = IndicatorNode.objects.filter(template_id=cycle.frozen_template_id)
        participants = list(
            Participant.objects.filter(cycle=cycle).order_by("pk").values_list("pk", flat=True)
        )
        found.append(
            Target(
                cycle=cycle.pk,
                participants=participants,
                leaves=[
                    (pk, int(points * 100))
                    for pk, points in nodes.filter(
                        children__isnull=True, method="rating", bars_levels__isnull=True
                    ).values_list("pk", "points")
                ],
                dimensions=list(
                    nodes.filter(parent__isnull=True)
                    .order_by("sort_key")
                    .values_list("pk", flat=True)
                ),
                grid_pages=max(1, math.ceil(len(participants) / ROWS_PER_PAGE)),
            )
        )
    return found


class Session:
    """One browser: a cookie jar, the CSRF token of the last page, one connection per
    request."""

    def __init__(self, port):
        self.port = port
        self.cookies = {}
        self.csrf = ""

    async def request(self, method, path, form=None, headers=()):
        body = urlencode(form).encode() if form is not None else b""
        lines = [
            f"{method} {path} HTTP/1.1",
            f"Host: 127.0.0.1:{self.port}",
            "Connection: close",
            "Accept-Encoding: identity",
            "Accept-Language: zh-hans",
        ]
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        if form is not None:
            lines += [
                "Content-Type: application/x-www-form-urlencoded",
                f"Content-Length: {len(body)}",
            ]
        lines += [f"{name}: {value}" for name, value in headers]
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        try:
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
            await writer.drain()
            raw = await reader.read()
        finally:
            writer.close()
        status, text = self._parse(raw)
        token = CSRF_HEADER.search(text)
        if token:
            self.csrf = token.group(1)
        return status, text

    def _parse(self, raw):
        head, _sep, body = raw.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        chunked = False
        for line in lines[1:]:
            name, _colon, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "set-cookie":
                self._keep(value)
            elif name == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
        if chunked:
            body = _unchunk(body)
        return status, body.decode("utf-8", errors="replace")

    def _keep(self, header):
        cookie = SimpleCookie()
        cookie.load(header)
        for name, morsel in cookie.items():
            if morsel["max-age"] == "0" or not morsel.value:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = morsel.value


def _unchunk(body):
    out, rest = b"", body
    while rest:
        size_line, _sep, rest = rest.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out, rest = out + rest[:size], rest[size + 2 :]
    return out


class User:
    """One virtual user: a county assessor working on one county's cycle."""

    def __init__(self, username, target, port, tally, tokens, seed):
        self.username = username
        self.target = target
        self.session = Session(port)
        self.port = port
        self.tally = tally
        self.tokens = tokens
        self.rng = random.Random(seed)
        # Cells this user has saved: each at most once, so the user's own entry is always
        # new (no version needed, no conflict with itself).
        self.saved = set()

    async def timed(self, kind, method, path, form=None, headers=(), session=None):
        started = time.perf_counter()
        try:
            status, text = await asyncio.wait_for(
                (session or self.session).request(method, path, form, headers), REQUEST_TIMEOUT
            )
        except TimeoutError:
            self.tally.samples.append((kind, (time.perf_counter() - started) * 1000, "timeout"))
            return None, ""
        except (OSError, ValueError, IndexError) as exc:
            self.tally.samples.append(
                (kind, (time.perf_counter() - started) * 1000, f"error:{type(exc).__name__}")
            )
            return None, ""
        ms = (time.perf_counter() - started) * 1000
        bad = status >= 400 and status not in EXPECTED_CONFLICTS
        self.tally.samples.append((kind, ms, f"status:{status}" if bad else "ok"))
        return status, text

    async def login(self):
        path = reverse("login")
        started = time.perf_counter()
        _status, page = await self.session.request("GET", path)
        token = CSRF_FIELD.search(page)
        status, _text = await self.session.request(
            "POST",
            path,
            {
                "username": self.username,
                "password": shape.PASSWORD,
                "csrfmiddlewaretoken": token.group(1) if token else "",
                "next": "",
            },
        )
        self.tally.logins.append(((time.perf_counter() - started) * 1000, status))
        if status != 302:
            raise RuntimeError(f"{self.username} could not log in (status {status})")
        # Logging in rotates the CSRF token: the landing page carries the new one.
        await self.session.request("GET", reverse("home"))

    async def run(self, number, deadline):
        """Act until the deadline: the first action is kind `number` of the mix (so even a
        short run with few users touches every kind), then drawn by weight."""
        kinds = [kind for kind, _w in MIX]
        weights = [weight for _k, weight in MIX]
        kind = kinds[number % len(kinds)]
        while time.monotonic() < deadline:
            await getattr(self, kind)()
            await asyncio.sleep(self.rng.uniform(*THINK_SECONDS))
            kind = self.rng.choices(kinds, weights)[0]

    def some_participant(self):
        return self.rng.choice(self.target.participants)

    async def grid(self):
        query = urlencode(
            {
                "source": self.rng.choice(("target", "org")),
                "dimension": self.rng.choice(self.target.dimensions),
                "page": self.rng.randint(1, self.target.grid_pages),
            }
        )
        await self.timed(
            "grid", "GET", f"{reverse('score-grid', args=[self.target.cycle])}?{query}"
        )

    async def autosave(self):
        cell = None
        while cell is None or cell in self.saved:
            cell = (self.some_participant(), self.rng.choice(self.target.leaves))
        self.saved.add(cell)
        participant, (leaf, cents) = cell
        value = self.rng.randint(cents // 2, cents)
        await self.timed(
            "autosave",
            "POST",
            reverse("score-cell", args=[participant]),
            {
                "leaf": leaf,
                "source": self.rng.choice(("target", "org")),
                "value": f"{value // 100}.{value % 100:02d}",
            },
            headers=(("HX-Request", "true"), ("X-CSRFToken", self.session.csrf)),
        )

    async def ranking(self):
        await self.timed("ranking", "GET", reverse("ranking", args=[self.target.cycle]))

    async def participant(self):
        path = reverse("result-detail", args=[self.some_participant()])
        await self.timed("participant", "GET", path)

    async def card(self):
        await self.timed("card", "GET", reverse("result-card", args=[self.some_participant()]))

    async def api(self):
        cycle = self.target.cycle
        path = self.rng.choice(
            (
                f"/api/v1/results/?cycle={cycle}",
                f"/api/v1/participants/?cycle={cycle}",
                f"/api/v1/score-entries/?participant={self.some_participant()}",
            )
        )
        await self.timed("api", "GET", path, headers=(("Accept", "application/json"),))

    async def ballot(self):
        if not self.tokens:
            return await self.grid()
        code = self.tokens.pop()
        resident = Session(self.port)
        status, page = await self.timed(
            "ballot page", "GET", reverse("ballot", args=[code]), session=resident
        )
        token = CSRF_FIELD.search(page)
        if status != 200 or not token:
            return None
        return await self.timed(
            "ballot cast",
            "POST",
            reverse("ballot-cast"),
            {
                "csrfmiddlewaretoken": token.group(1),
                "code": code,
                "choice": self.rng.choice(("satisfied", "satisfied", "basic", "unsatisfied")),
                "comment": "",
            },
            session=resident,
        )


def _percentile(values, share):
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(math.ceil(share * len(ordered))) - 1)]


def summary(tally, seconds):
    """The figures, overall and per kind of request. A request that timed out counts
    in the percentiles with the time it was given up after (so a saturated server does
    not look faster by losing its slowest answers); a broken connection does not."""
    samples = tally.samples
    errors = [s for s in samples if s[2] != "ok"]
    timed = [ms for _k, ms, outcome in samples if not outcome.startswith("error")]
    per_kind = {}
    for kind in sorted({k for k, _ms, _o in samples}):
        mine = [s for s in samples if s[0] == kind]
        per_kind[kind] = {
            "requests": len(mine),
            "errors": sum(1 for s in mine if s[2] != "ok"),
            "p50_ms": _percentile([s[1] for s in mine], 0.5),
            "p95_ms": _percentile([s[1] for s in mine], 0.95),
            "max_ms": max(s[1] for s in mine),
        }
    outcomes = {}
    for _k, _ms, outcome in errors:
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return {
        "http_p50_ms": _percentile(timed, 0.5),
        "http_p95_ms": _percentile(timed, 0.95),
        "http_rps": len(samples) / seconds,
        "http_error_rate": len(errors) / len(samples) if samples else 1.0,
        "requests": len(samples),
        "errors": outcomes,
        "per_kind": per_kind,
        "login_ms_median": statistics.median(ms for ms, _s in tally.logins) if tally.logins else 0,
    }


async def _crowd(users, seconds, meter):
    """Everyone logs in (arriving a tenth of a second apart), then works for `seconds`:
    the figures cover that window only. Returns its length (the last requests may end
    after the deadline)."""

    async def arrive(n, user):
        await asyncio.sleep(n * 0.1)
        await user.login()

    await asyncio.gather(*(arrive(n, user) for n, user in enumerate(users)))
    meter.start()
    started = time.monotonic()
    deadline = started + seconds
    await asyncio.gather(*(user.run(n, deadline) for n, user in enumerate(users)))
    meter.stop()
    return time.monotonic() - started


class CpuMeter:
    """CPU seconds each part of the system used over the working window, read from
    /proc: the web server's and the worker's process groups, PostgreSQL's processes,
    this client, every other process by name (`other`, the largest few), and the whole
    machine (busy = neither idle nor waiting for disk). On a 2-core machine the sum says
    how close to saturation the load ran.

    A process's figure includes its children that exited and were waited for: a
    PostgreSQL parallel worker or a backend that ends within the window counts under
    `postgres` through the postmaster, a forked job under its worker."""

    def __init__(self, groups):
        self.groups = groups  # {name: process group id}
        self.before = self.used = self.started_at = self.stopped_at = None

    def _read(self):
        tick = os.sysconf("SC_CLK_TCK")
        found = dict.fromkeys(self.groups, 0.0) | {"postgres": 0.0}
        other = {}
        me = os.getpid()
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or int(entry) == me:
                continue
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            command = stat[stat.index("(") + 1 : stat.rindex(")")]
            fields = stat[stat.rindex(")") + 2 :].split()
            # utime, stime, then the waited-for children's cutime and cstime.
            seconds = sum(int(n) for n in fields[11:15]) / tick
            group = int(fields[2])
            name = next((n for n, g in self.groups.items() if g == group), None)
            if name is None and command == "postgres":
                name = "postgres"
            if name is None:
                other[command] = other.get(command, 0.0) + seconds
            else:
                found[name] += seconds
        usage = resource.getrusage(resource.RUSAGE_SELF)
        found["client"] = usage.ru_utime + usage.ru_stime
        counters = [int(n) for n in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
        found["machine_busy"] = (sum(counters) - counters[3] - counters[4]) / tick
        return found, other

    def start(self):
        self.started_at = time.time()
        self.before = self._read()

    def stop(self):
        self.stopped_at = time.time()
        (after, other_after), (before, other_before) = self._read(), self.before
        self.used = {name: round(after[name] - before[name], 2) for name in after}
        spent = {
            name: round(seconds - other_before.get(name, 0.0), 2)
            for name, seconds in other_after.items()
        }
        self.used["other"] = dict(
            sorted(((n, s) for n, s in spent.items() if s >= 0.1), key=lambda x: -x[1])[:8]
        )


# ------------------------------------------------------------------- the servers


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start(command, env, log):
    # A session of its own, so stopping it reaches the workers it forks, and only them.
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


def _stop(process, grace=15):
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _wait_until_up(port, process, log_path, timeout=120):
    url = f"http://127.0.0.1:{port}/healthz"
    until = time.monotonic() + timeout
    while time.monotonic() < until:
        if process.poll() is not None:
            break
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"gunicorn did not come up; its log:\n{Path(log_path).read_text()[-3000:]}")


@dataclass
class Options:
    seconds: float
    gunicorn_workers: int
    celery_worker: bool
    broker_url: str
    cache_url: str
    seed: int = shape.SEED


def run(world, env, options, folder):
    """Serve the benchmark's database and let the world's load users work for
    `options.seconds`; returns the summary (see `summary`) with what the load did."""
    for url in (options.broker_url, options.cache_url):
        redis.Redis.from_url(url).flushdb()
    cpu_log = str(Path(folder) / "cpu")
    env = {
        **env,
        "CELERY_BROKER_URL": options.broker_url,
        "CACHE_URL": options.cache_url,
        "BENCH_CPU_LOG": cpu_log,
    }
    port = free_port()
    web_log = Path(folder) / "gunicorn.log"
    worker_log = Path(folder) / "celery.log"
    processes = []
    jobs_before = Job.objects.filter(kind=JobKind.RECOMPUTE, state=JobState.DONE).count()
    ballots_before = PooledBallot.objects.count()
    load_users = [user.pk for county in world.counties for user in county.load_users]
    try:
        with open(web_log, "w") as log:
            web = _start(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "config.wsgi",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--workers",
                    str(options.gunicorn_workers),
                    "--timeout",
                    "120",
                    "--log-level",
                    "warning",
                ],
                env,
                log,
            )
        processes.append(web)
        if options.celery_worker:
            with open(worker_log, "w") as log:
                processes.append(
                    _start(
                        [
                            sys.executable,
                            "-m",
                            "celery",
                            "-A",
                            "config",
                            "worker",
                            "--concurrency",
                            "1",
                            "--loglevel",
                            "WARNING",
                            "--without-gossip",
                            "--without-mingle",
                            "--without-heartbeat",
                        ],
                        env,
                        log,
                    )
                )
        _wait_until_up(port, web, web_log)
        tally = Tally()
        tokens = list(world.unused_tokens)
        random.Random(options.seed).shuffle(tokens)
        plans = targets(world)
        people = [
            (user.username, plans[c])
            for c, county in enumerate(world.counties)
            for user in county.load_users
        ]
        users = [
            User(username, plan, port, tally, tokens, options.seed + n)
            for n, (username, plan) in enumerate(people)
        ]
        meter = CpuMeter(
            {"web": web.pid} | ({"worker": processes[1].pid} if options.celery_worker else {})
        )
        elapsed = asyncio.run(_crowd(users, options.seconds, meter))
    finally:
        for process in reversed(processes):
            _stop(process)
        for url in (options.broker_url, options.cache_url):
            redis.Redis.from_url(url).flushdb()
    found = summary(tally, elapsed)
    found.update(
        seconds=elapsed,
        cpu_seconds=meter.used,
        # What each route cost the web processes (bench/cpu.py), costliest first.
        cpu_per_route=cpu.per_route(cpu_log, meter.started_at, meter.stopped_at),
        users=len(users),
        gunicorn_workers=options.gunicorn_workers,
        celery_worker=options.celery_worker,
        recomputes_done=Job.objects.filter(kind=JobKind.RECOMPUTE, state=JobState.DONE).count()
        - jobs_before,
        ballots_cast=PooledBallot.objects.count() - ballots_before,
        # Autosaves that stored a value (a refused one answers 200 with the reason).
        scores_saved=ScoreEntry.objects.filter(rater_id__in=load_users).count(),
    )
    if any(outcome.startswith("status:5") for outcome in found["errors"]):
        # The folder goes with the run: keep what the server said about its errors.
        found["server_log_tail"] = web_log.read_text(errors="replace")[-5000:]
    return found
