"""The restore of docs/operations.md §9, run once for real on PostgreSQL: the nightly
backup's dump (`reports.backups.services`: `pg_dump -Fc`) restored with the documented
commands — `createdb NAME`, then `pg_restore -d NAME --no-owner < FILE` — into a scratch
database holds what the database held: every table's row count, every sequence's
position (the next insert does not collide), and the very rows of the scoring results,
the ballots and the score entries (a checksum of each table's rows)."""

import datetime
import os
import subprocess

import pytest
from django.db import connection
from psycopg2 import connect

from assessment import services as cycles
from reports.backups import services
from reports.models import JobState
from scoring.models import LeafResult, Result, ResultVersion, ScoreEntry
from surveys.models import Ballot, Choice, PaperTally, PooledBallot
from tests.factories import complete_scoring, open_seed_cycle

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_dump and pg_restore"),
]

CHECKSUMMED = (ResultVersion, Result, LeafResult, Ballot, PooledBallot, PaperTally, ScoreEntry)
TIMEOUT = 300


def client_options():
    """The PostgreSQL client's connection options and environment, from the settings, as
    the backup passes them to pg_dump."""
    database = connection.settings_dict
    options = []
    for option, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if database.get(key):
            options += [option, str(database[key])]
    environment = dict(os.environ)
    if database.get("PASSWORD"):
        environment["PGPASSWORD"] = database["PASSWORD"]
    return options, environment


def run(command, **kwargs):
    options, environment = client_options()
    done = subprocess.run(
        [command[0], *options, *command[1:]],
        env=environment,
        capture_output=True,
        timeout=TIMEOUT,
        check=False,
        **kwargs,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return done.stderr.decode(errors="replace")


def state(cursor):
    """Row count of every table, position of every sequence, and a checksum of the rows
    of the CHECKSUMMED tables, in the database `cursor` reads."""
    cursor.execute(
        "SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'S') ORDER BY c.relname"
    )
    found = {}
    for name, kind in cursor.fetchall():
        if kind == "S":
            cursor.execute(f'SELECT last_value, is_called FROM "{name}"')
        else:
            cursor.execute(f'SELECT count(*) FROM "{name}"')
        found[name] = cursor.fetchone()
    for model in CHECKSUMMED:
        table = model._meta.db_table
        cursor.execute(
            f"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM \"{table}\" t"
        )
        found[f"{table} checksum"] = cursor.fetchone()
    return found


def test_the_nightly_dump_restores_into_an_empty_database_with_every_row(world, settings, tmp_path):
    settings.BACKUP_DIR = tmp_path / "backups"
    settings.MEDIA_ROOT = tmp_path / "media"
    cycle = open_seed_cycle(world.county_a)
    cycle = cycles.transition(actor=None, cycle=cycle, name="start_scoring", version=cycle.version)
    cycle = complete_scoring(cycle, world.county_assessor_a)
    category = cycle.frozen_template.survey_categories.order_by("name").first()
    for table, day in ((Ballot, datetime.date(2026, 6, 1)), (PooledBallot, datetime.date.today())):
        table.objects.bulk_create(
            table(
                cycle=cycle,
                community=world.community_a1,
                category=category,
                choice=choice,
                comment=f"意见{i}",
                cast_on=day,
            )
            for i, choice in enumerate((Choice.SATISFIED, Choice.BASIC, Choice.UNSATISFIED))
        )
    job = services.back_up_now()
    assert job.state == JobState.DONE, job.message
    dump = settings.BACKUP_DIR / job.result["files"][0]["name"]
    with connection.cursor() as cursor:
        before = state(cursor)
    assert before["scoring_result"][0] and before["surveys_ballot"][0]

    scratch = f"{connection.settings_dict['NAME']}_restore"
    run(["dropdb", "--if-exists", scratch])  # what a killed run of this test left
    try:
        run(["createdb", scratch])
        with open(dump, "rb") as file:
            # Not one error, not even one pg_restore would go past.
            assert run(["pg_restore", "-d", scratch, "--no-owner"], stdin=file) == ""
        database = connection.settings_dict
        restored = connect(
            dbname=scratch,
            host=database["HOST"] or None,
            port=database["PORT"] or None,
            user=database["USER"] or None,
            password=database["PASSWORD"] or None,
        )
        try:
            with restored.cursor() as cursor:
                after = state(cursor)
        finally:
            restored.close()
    finally:
        run(["dropdb", "--if-exists", scratch])
    assert after == before
