"""A token is consumed exactly once, however many submissions race (DESIGN §4).

Needs PostgreSQL (row locks under concurrent transactions); SQLite serialises all writers
and cannot show the race. Run with, e.g.:
DATABASE_URL=postgres://postgres@127.0.0.1:5432/sqsj_surveys_a pytest tests/surveys/test_ballot_concurrency.py
"""

import threading

import pytest
from django.db import connection, connections, transaction

from surveys.ballots import services as ballots
from surveys.models import Ballot, BallotToken, Choice
from tests.factories import open_seed_cycle
from tests.surveys import issue

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL for concurrent transactions"
    ),
]

SUBMISSIONS = 100
# PostgreSQL's default max_connections is 100, shared with the test's own connection and
# other clients: the submissions race in waves of this many open connections.
OPEN_CONNECTIONS = 40


def test_100_concurrent_submissions_of_one_token_make_exactly_one_ballot(world):
    cycle = open_seed_cycle(world.county_a)
    _, _, (code,) = issue(cycle, world.community_a1, world.county_assessor_a, size=1)
    start = threading.Barrier(SUBMISSIONS)
    connections_free = threading.BoundedSemaphore(OPEN_CONNECTIONS)
    outcomes = []
    lock = threading.Lock()

    def submit():
        start.wait()
        with connections_free:
            try:
                with transaction.atomic():  # as a request runs (ATOMIC_REQUESTS)
                    ballots.cast_ballot(code=code, choice=Choice.SATISFIED, comment="并发")
                outcome = "cast"
            except ballots.TokenRefused as refused:
                outcome = refused.message
            finally:
                connections.close_all()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=submit) for _ in range(SUBMISSIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert outcomes.count("cast") == 1
    assert len(outcomes) == SUBMISSIONS
    assert all("该评议票已使用" in o for o in outcomes if o != "cast")
    assert Ballot.objects.count() == 1
    assert BallotToken.objects.filter(used_on__isnull=False).count() == 1
