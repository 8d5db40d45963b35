"""A token is consumed exactly once, however many submissions race (DESIGN §4); a batch is
issued once however often its confirmed form arrives, and voided tokens are never cast.

Needs PostgreSQL (row locks under concurrent transactions); SQLite serialises all writers
and cannot show the race. Run with, e.g.:
DATABASE_URL=postgres://postgres@127.0.0.1:5432/sqsj_surveys_a pytest tests/surveys/test_ballot_concurrency.py
"""

import threading
import uuid

import pytest
from django.db import connection, connections, transaction

from surveys.ballots import services as ballots
from surveys.models import BallotBatch, BallotToken, Choice, PooledBallot, SlipsState
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
CONFIRMATIONS = 10
RACING = 20


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
    assert PooledBallot.objects.count() == 1
    assert BallotToken.objects.filter(used_on__isnull=False).count() == 1


def test_concurrent_confirmations_of_one_issuing_form_issue_one_batch(world):
    """A double click sends the confirmed form twice at once: one batch (DESIGN §4)."""
    cycle = open_seed_cycle(world.county_a)
    residents = cycle.frozen_template.survey_categories.get(name="居民代表")
    key = uuid.uuid4()
    start = threading.Barrier(CONFIRMATIONS)
    issued = []
    lock = threading.Lock()

    def confirm():
        start.wait()
        try:
            with transaction.atomic():  # as a request runs (ATOMIC_REQUESTS)
                batch = ballots.issue_batch(
                    actor=world.county_assessor_a,
                    cycle=cycle,
                    community=world.community_a1,
                    category=residents,
                    size=2,
                    base_url="http://testserver",
                    request_key=key,
                )
        finally:
            connections.close_all()
        with lock:
            issued.append(batch.pk)

    threads = [threading.Thread(target=confirm) for _ in range(CONFIRMATIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(issued) == CONFIRMATIONS and len(set(issued)) == 1
    batch = BallotBatch.objects.get()
    assert batch.slips_state == SlipsState.READY and batch.tokens.count() == 2


def test_ballots_racing_a_void_are_each_either_counted_or_refused_as_void(world):
    """Voiding and casting take the same token rows: a token is cast or void, never both,
    and every cast ballot is one used token."""
    cycle = open_seed_cycle(world.county_a)
    batch, _, codes = issue(cycle, world.community_a1, world.county_assessor_a, size=RACING)
    start = threading.Barrier(RACING + 1)
    outcomes = []
    lock = threading.Lock()

    def cast(code):
        start.wait()
        try:
            with transaction.atomic():
                ballots.cast_ballot(code=code, choice=Choice.BASIC)
            outcome = "cast"
        except ballots.TokenRefused as refused:
            outcome = refused.reason
        finally:
            connections.close_all()
        with lock:
            outcomes.append(outcome)

    def void():
        start.wait()
        try:
            with transaction.atomic():
                voided = ballots.void_batch(
                    actor=world.county_assessor_a, batch=batch, reason="评议票遗失"
                )
        finally:
            connections.close_all()
        with lock:
            outcomes.append(("void", voided.unused))

    threads = [threading.Thread(target=cast, args=(code,)) for code in codes]
    threads.append(threading.Thread(target=void))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    (void_outcome,) = [o for o in outcomes if isinstance(o, tuple)]
    cast = outcomes.count("cast")
    assert outcomes.count("void") + cast == RACING
    assert void_outcome[1] == RACING - cast
    assert PooledBallot.objects.count() == cast
    assert BallotToken.objects.filter(used_on__isnull=False, voided=False).count() == cast
    assert BallotToken.objects.filter(used_on__isnull=True, voided=True).count() == RACING - cast
