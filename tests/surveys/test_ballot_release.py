"""A cast ballot is linked to its token by nothing, not even the database's own bookkeeping
(SPEC §3.4 Validity, last sentence; DESIGN §4): casting writes the pool, a finished day is
released to the ballot table in another transaction, in content order, and the pool is
rewritten; nothing is lost on the way (`surveys.ballots.pool`).

On PostgreSQL: its system columns (`xmin`, `ctid`, …) are what the promise is about."""

import datetime
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.utils import timezone

from assessment import services as cycles
from assessment.models import CycleStatus
from surveys.ballots import pool, tokens
from surveys.ballots import services as ballots
from surveys.inputs import survey_counts
from surveys.models import Ballot, BallotToken, Choice, PooledBallot
from surveys.tasks import release_ballots
from tests.factories import complete_scoring, open_seed_cycle
from tests.surveys import issue

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's system columns"),
]

SYSTEM_COLUMNS = ("xmin", "xmax", "cmin", "cmax", "ctid")
TOMORROW_AT_THE_LATEST = datetime.date.max


def cast_in_order(cycle, community, actor, comments, choice=Choice.SATISFIED):
    """Cast one ballot per comment, in this order; {token digest: comment}."""
    _, _, codes = issue(cycle, community, actor, size=len(comments))
    cast = {}
    for code, comment in zip(codes, comments, strict=True):
        ballots.cast_ballot(code=code, choice=choice, comment=comment)
        cast[tokens.digest(tokens.decode(code))] = comment
    return cast


def rows(sql):
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


def system_columns(table, key):
    """{key value: {column: text}} of each row's system columns, and the keys in physical
    order (by `ctid`)."""
    selected = ", ".join(f"{c}::text" for c in SYSTEM_COLUMNS)
    found = rows(f"SELECT {key}, {selected} FROM {table} ORDER BY ctid")
    return {row[0]: dict(zip(SYSTEM_COLUMNS, row[1:], strict=True)) for row in found}, [
        row[0] for row in found
    ]


def guessed_right(candidates, truth):
    """Expected number of tokens matched to their own ballot when each picks at random
    among its candidates; chance (any of the group's ballots) gets exactly one right."""
    return sum(1 / len(candidates[t]) for t in truth if candidates[t] and truth[t] in candidates[t])


def test_no_system_column_or_order_links_a_released_ballot_to_its_token(world):
    cycle = open_seed_cycle(world.county_a)
    # Cast in the reverse of their content order: an order kept from casting would
    # match every pair, one following content matches none.
    truth = cast_in_order(
        cycle, world.community_a1, world.county_assessor_a, [f"意见{i}" for i in range(6, 0, -1)]
    )
    assert pool.release_ballots(before=TOMORROW_AT_THE_LATEST) == 6
    token_columns, token_order = system_columns(
        "surveys_ballottoken WHERE used_on IS NOT NULL", "digest"
    )
    ballot_columns, ballot_order = system_columns("surveys_ballot", "comment")
    assert set(ballot_order) == set(truth.values())

    for column in SYSTEM_COLUMNS:
        equal = {
            t: {b for b, theirs in ballot_columns.items() if theirs[column] == mine[column]}
            for t, mine in token_columns.items()
        }
        assert guessed_right(equal, truth) <= 1, f"joined on {column}"
    # The tokens' transaction ids give the casting order; the ballots' positions do not.
    cast_order = sorted(token_columns, key=lambda t: int(token_columns[t]["xmin"]))
    assert cast_order == list(truth)
    paired = dict(zip(cast_order, ballot_order, strict=True))
    assert sum(paired[t] == truth[t] for t in truth) <= 1
    assert not {c["xmin"] for c in token_columns.values()} & {
        c["xmin"] for c in ballot_columns.values()
    }


def test_released_ballots_lie_in_the_order_of_their_content_whatever_the_casting_order(world):
    cycle = open_seed_cycle(world.county_a)
    said = ["很好", "好", "一般", "有待改进", "满意"]
    cast_in_order(cycle, world.community_a1, world.county_assessor_a, said)
    cast_in_order(cycle, world.community_a2, world.county_assessor_a, said[::-1])
    pool.release_ballots(before=TOMORROW_AT_THE_LATEST)
    physical = rows("SELECT community_id, comment FROM surveys_ballot ORDER BY ctid")
    a1 = [text for community, text in physical if community == world.community_a1.pk]
    a2 = [text for community, text in physical if community == world.community_a2.pk]
    assert a1 == a2 and sorted(a1) == sorted(said)


def test_the_rewritten_pool_keeps_no_byte_of_a_released_ballot(world):
    cycle = open_seed_cycle(world.county_a)
    cast_in_order(
        cycle, world.community_a1, world.county_assessor_a, ["MARK-released-1", "MARK-released-2"]
    )
    PooledBallot.objects.update(cast_on=datetime.date(2000, 1, 1))
    cast_in_order(cycle, world.community_a2, world.county_assessor_a, ["still-today"])
    assert pool.release_ballots() == 2  # the finished day; today's stays pooled
    assert list(PooledBallot.objects.values_list("comment", flat=True)) == ["still-today"]
    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pageinspect")
    (blocks,) = rows(
        "SELECT pg_relation_size('surveys_pooledballot') / current_setting('block_size')::int"
    )[0]
    pages = b"".join(
        bytes(rows(f"SELECT get_raw_page('surveys_pooledballot', {n})")[0][0])
        for n in range(blocks)
    )
    assert b"still-today" in pages
    assert b"MARK-released" not in pages


def test_a_release_cut_short_loses_nothing_and_the_next_one_moves_every_ballot(world):
    cycle = open_seed_cycle(world.county_a)
    cast_in_order(cycle, world.community_a1, world.county_assessor_a, ["甲", "乙", "丙", "丁"])
    counted = survey_counts(cycle)
    real_bulk_create = Ballot.objects.bulk_create

    def killed_midway(objs, *args, **kwargs):
        real_bulk_create(objs, *args, **kwargs)
        raise SystemExit("worker killed")

    with (
        mock.patch.object(Ballot.objects, "bulk_create", killed_midway),
        pytest.raises(SystemExit),
    ):
        pool.release_ballots(before=TOMORROW_AT_THE_LATEST)
    assert PooledBallot.objects.count() == 4 and not Ballot.objects.exists()
    assert survey_counts(cycle) == counted  # pooled ballots count meanwhile

    assert pool.release_ballots(before=TOMORROW_AT_THE_LATEST) == 4
    assert pool.release_ballots(before=TOMORROW_AT_THE_LATEST) == 0
    assert sorted(Ballot.objects.values_list("comment", flat=True)) == ["丁", "丙", "乙", "甲"]
    assert not PooledBallot.objects.exists()
    assert BallotToken.objects.filter(used_on__isnull=False).count() == 4
    assert survey_counts(cycle) == counted  # releasing changes no figure


def test_a_day_is_released_once_it_is_over_and_cast_in_flight_have_committed():
    shanghai = ZoneInfo("Asia/Shanghai")
    just_after_midnight = datetime.datetime(2030, 3, 1, 0, 5, tzinfo=shanghai)
    later = datetime.datetime(2030, 3, 1, 0, 15, tzinfo=shanghai)
    assert pool.released_before(just_after_midnight) == datetime.date(2030, 2, 28)
    assert pool.released_before(later) == datetime.date(2030, 3, 1)


def test_the_hourly_job_releases_the_finished_days(world):
    cycle = open_seed_cycle(world.county_a)
    cast_in_order(cycle, world.community_a1, world.county_assessor_a, ["昨天", "今天"])
    PooledBallot.objects.filter(comment="昨天").update(
        cast_on=timezone.localdate() - datetime.timedelta(days=1)
    )
    assert release_ballots.apply().get() == 1
    assert list(Ballot.objects.values_list("comment", flat=True)) == ["昨天"]
    assert list(PooledBallot.objects.values_list("comment", flat=True)) == ["今天"]


def test_going_to_review_releases_the_cycles_whole_pool(world):
    cycle = open_seed_cycle(world.county_a)
    cast_in_order(cycle, world.community_a1, world.county_assessor_a, ["今天投的"] * 3)
    cycle = cycles.transition(actor=None, cycle=cycle, name="start_scoring", version=cycle.version)
    cycle = complete_scoring(cycle, world.county_assessor_a)
    cycles.transition(actor=None, cycle=cycle, name="start_review", version=cycle.version)
    assert not PooledBallot.objects.exists()
    assert Ballot.objects.filter(cycle=cycle, comment="今天投的").count() == 3


def test_a_ballot_racing_the_close_is_refused_not_left_alone_in_the_pool(world):
    cycle = open_seed_cycle(world.county_a)
    _, _, (code,) = issue(cycle, world.community_a1, world.county_assessor_a, size=1)
    real_open = ballots.open_ballot

    def opened_then_closed(typed):
        opening = real_open(typed)  # read while the cycle still took ballots
        type(cycle).objects.filter(pk=cycle.pk).update(status=CycleStatus.REVIEW)
        return opening

    with (
        mock.patch.object(ballots, "open_ballot", opened_then_closed),
        pytest.raises(ballots.TokenRefused, match="本次民主评议已结束"),
    ):
        ballots.cast_ballot(code=code, choice=Choice.SATISFIED)
    assert not PooledBallot.objects.exists()
    assert BallotToken.objects.get().used_on is None
