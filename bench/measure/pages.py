"""The pages a county's staff open all day, rendered in-process by Django's test client
for one logged-in county admin: time (median of 3 after a warm-up) and the queries of one
more request (DESIGN §7 pins query counts in tests; here they are counted at scale)."""

import statistics
import time

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessment.models import Participant
from indicators.models import IndicatorNode

REPEAT = 3


def main_pages(cycle):
    """(name, url) of the main pages of `cycle`, for a participant in the middle."""
    participants = Participant.objects.filter(cycle=cycle).order_by("pk")
    participant = participants[participants.count() // 2]
    dimension = (
        IndicatorNode.objects.filter(template_id=cycle.frozen_template_id, parent__isnull=True)
        .order_by("sort_key")
        .first()
    )
    grid = reverse("score-grid", args=[cycle.pk])
    return [
        ("cycle", reverse("cycle-detail", args=[cycle.pk])),
        ("ranking", reverse("ranking", args=[cycle.pk])),
        ("quota preview", reverse("result-preview", args=[cycle.pk])),
        ("participant result", reverse("result-detail", args=[participant.pk])),
        ("score grid", f"{grid}?source=target&dimension={dimension.pk}"),
        ("score card", reverse("result-card", args=[participant.pk])),
        ("job list", reverse("job-list")),
        ("home", reverse("home")),
        # /dashboard/ redirects here (the cycle in progress).
        ("dashboard", reverse("cycle-dashboard", args=[cycle.pk])),
    ]


def measure_pages(user, cycle):
    """{page: {"ms": median, "queries": n, "bytes": size}} for `user`."""
    client = Client()
    client.force_login(user)
    found = {}
    for name, url in main_pages(cycle):
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"{name} ({url}) answered {response.status_code}")
        samples = []
        for _n in range(REPEAT):
            started = time.perf_counter()
            client.get(url)
            samples.append((time.perf_counter() - started) * 1000)
        # Counted apart from the timed runs: capturing queries slows every query a little.
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        found[name] = {
            "url": url,
            "ms": statistics.median(samples),
            "queries": len(queries.captured_queries),
            "bytes": len(response.content),
        }
    return found
