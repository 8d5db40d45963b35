"""A database made before the apps were layered migrates forward with nothing lost
(DESIGN §2: models moved between apps keep their tables).

The dumps in tests/fixtures/oldmain/ were made by main at 2694ce9 (the last commit
before the move): the demo county of `seed_demo`, plus one row in every table the demo
leaves empty (appeal and score correction, an evidence file of each owner, a group with a
permission, a user permission, an API token, an admin log entry, a critical incident);
see tests/fixtures/oldmain/README.md. Each test loads one into a database of its own,
runs `manage.py migrate` as an operator would, and compares.
"""

import gzip
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection

PROJECT = Path(__file__).resolve().parents[2]
DUMPS = PROJECT / "tests" / "fixtures" / "oldmain"
TIMEOUT = 300

# Models that moved out of the old `assessment` app, by the app they live in now.
MOVED = {
    "org": ["orgunit", "user", "membership", "secretary"],
    "scoring": ["appeal", "appealchange"],
    "evidence": [
        "attachment",
        "event",
        "reformfiling",
        "keytask",
        "keytaskassignment",
        "progressreport",
        "metricvalue",
        "diaryentry",
        "gridevent",
        "rectificationitem",
    ],
}

# Models added by migrations made after the layering, by app: in a migrated old database
# their tables exist and are empty, and their content types and permissions are new.
ADDED = {
    "evidence": ["spotcheck", "spotcheckitem"],
    "org": ["communityworker"],
    "reports": ["bulletin", "documentcounter", "specialreward"],
}
# Models added since without an audit twin (no historical model).
ADDED_PLAIN = {
    "assessment": ["inputchange"],
    "org": ["notification", "notificationpreference"],
    "scoring": ["resultsheet"],
    "surveys": ["pooledballot"],
}
# Added tables filled from existing rows: each result gets a sheet of its own.
FILLED = {"scoring_resultsheet": "scoring_result"}
ADDED_TYPES = {
    f"{app}.{name}"
    for app, models in ADDED.items()
    for model in models
    for name in (model, f"historical{model}")
} | {f"{app}.{model}" for app, models in ADDED_PLAIN.items() for model in models}
ADDED_TABLES = {name.replace(".", "_") for name in ADDED_TYPES}
PERMISSIONS_PER_TYPE = 4  # add, change, delete, view

COUNT_ROWS = """
import json
from django.db import connection
with connection.cursor() as cursor:
    counts = {}
    for table in connection.introspection.table_names(cursor):
        cursor.execute("SELECT COUNT(*) FROM " + connection.ops.quote_name(table))
        counts[table] = cursor.fetchone()[0]
    cursor.execute("SELECT id, app_label, model FROM django_content_type")
    types = {f"{app}.{model}": pk for pk, app, model in cursor.fetchall()}
    cursor.execute(
        "SELECT p.codename, t.app_label FROM auth_permission p "
        "JOIN django_content_type t ON t.id = p.content_type_id"
    )
    permissions = sorted(f"{app}.{codename}" for codename, app in cursor.fetchall())
print(json.dumps({"counts": counts, "types": types, "permissions": permissions}))
"""

READ_BACK = """
import json
from django.contrib.admin.models import LogEntry
from rest_framework.authtoken.models import Token
from evidence.models import Attachment, Event, GridEvent, RectificationItem
from org.models import OrgUnit, Secretary, User
from scoring.models import Appeal, AppealChange

admin = User.objects.get(username="admin")
owners = ("leaf", "appeal", "event", "progress_report", "rectification")
print(json.dumps({
    "files": sorted(
        [a.file.name, [o for o in owners if getattr(a, o + "_id")][0]]
        for a in Attachment.objects.all()
    ),
    "group_permissions": sorted(
        f"{p.content_type.app_label}.{p.codename}"
        for g in admin.groups.all() for p in g.permissions.all()
    ),
    "user_permissions": sorted(
        f"{p.content_type.app_label}.{p.codename}" for p in admin.user_permissions.all()
    ),
    "token": Token.objects.filter(user=admin).exists(),
    "log_entry": type(LogEntry.objects.get(change_message="旧库").get_edited_object()).__name__,
    "history": {
        "user": User.history.count(),
        "orgunit": OrgUnit.history.count(),
        "secretary": Secretary.history.count(),
        "event": Event.history.count(),
        "gridevent": GridEvent.history.count(),
        "rectificationitem": RectificationItem.history.count(),
        "appeal": Appeal.history.count(),
    },
    "appeal_changes": AppealChange.objects.filter(appeal__reasons="复核测试理由").count(),
    "resolved": [
        GridEvent.objects.filter(status="resolved").count(),
        GridEvent.objects.filter(status="resolved", resolved_by__isnull=False).count(),
    ],
}))
"""


def manage(database_url, *args):
    """`python manage.py ARGS` with nothing in the environment but PATH, HOME and
    DATABASE_URL, as an operator runs it."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "DATABASE_URL": database_url,
    }
    run = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    return run.stdout


def snapshot(database_url):
    return json.loads(manage(database_url, "shell", "-c", COUNT_ROWS).strip().splitlines()[-1])


def migrate_and_compare(database_url):
    before = snapshot(database_url)
    assert before["counts"]["assessment_appeal"] == 1  # the dump is the old schema
    manage(database_url, "migrate", "--noinput")
    after = snapshot(database_url)

    # Every row of every table is still there; only the migration records grew, and the
    # content types and permissions of the models added since.
    changed = {
        table: (n, after["counts"].get(table))
        for table, n in before["counts"].items()
        if after["counts"].get(table) != n
    }
    # Schedules (django-celery-beat) are installed by data migrations made since.
    schedules = {
        "django_celery_beat_crontabschedule",
        "django_celery_beat_intervalschedule",
        "django_celery_beat_periodictask",
    }
    grown = {"django_migrations"} | (
        {"django_content_type", "auth_permission", *schedules} & set(changed)
    )
    assert set(changed) == grown, changed
    assert after["counts"]["django_celery_beat_periodictask"] >= 1
    assert set(after["counts"]) == set(before["counts"]) | ADDED_TABLES
    assert {table: after["counts"][table] for table in ADDED_TABLES} == {
        table: after["counts"][FILLED[table]] if table in FILLED else 0 for table in ADDED_TABLES
    }

    # Content types moved with their models, same ids; so did the permissions on them.
    for app, models in MOVED.items():
        for model in models:
            for name in (model, f"historical{model}"):
                assert after["types"][f"{app}.{name}"] == before["types"][f"assessment.{name}"]
                assert f"assessment.{name}" not in after["types"]
    moved = {
        f"{app}.{name}"
        for app, models in MOVED.items()
        for model in models
        for name in (model, f"historical{model}")
    }
    assert set(after["types"]) - set(before["types"]) - moved == ADDED_TYPES
    assert len(after["types"]) == len(before["types"]) + len(ADDED_TYPES)
    assert len(after["permissions"]) == (
        len(before["permissions"]) + PERMISSIONS_PER_TYPE * len(ADDED_TYPES)
    )
    assert "org.view_user" in after["permissions"]
    assert "evidence.change_event" in after["permissions"]

    read = json.loads(manage(database_url, "shell", "-c", READ_BACK).strip().splitlines()[-1])
    assert sorted(owner for _name, owner in read["files"]) == sorted(
        ["leaf", "appeal", "event", "progress_report", "rectification"]
    )
    assert all(name.startswith("evidence/") for name, _owner in read["files"])
    assert read["group_permissions"] == ["org.view_user"]
    assert read["user_permissions"] == ["evidence.change_event"]
    assert read["token"] is True
    assert read["log_entry"] == "Appeal"
    assert read["history"] == {
        "user": before["counts"]["assessment_historicaluser"],
        "orgunit": before["counts"]["assessment_historicalorgunit"],
        "secretary": before["counts"]["assessment_historicalsecretary"],
        "event": before["counts"]["assessment_historicalevent"],
        "gridevent": before["counts"]["assessment_historicalgridevent"],
        "rectificationitem": before["counts"]["assessment_historicalrectificationitem"],
        "appeal": before["counts"]["assessment_historicalappeal"],
    }
    assert read["appeal_changes"] == 1
    # 办结人 of the grid events resolved before it was kept, read from their history.
    resolved, with_resolver = read["resolved"]
    assert resolved > 0 and with_resolver == resolved

    # Migrating again finds nothing to do.
    assert "No migrations to apply" in manage(database_url, "migrate", "--noinput")


def test_an_old_sqlite_database_migrates_forward_with_every_row(tmp_path):
    database = tmp_path / "old.sqlite3"
    with gzip.open(DUMPS / "sqlite.sql.gz", "rt", encoding="utf-8") as dump:
        script = dump.read()
    with sqlite3.connect(database) as old:
        old.executescript(script)
    migrate_and_compare(f"sqlite:///{database}")


@pytest.mark.postgres
def test_an_old_postgresql_database_migrates_forward_with_every_row(db):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")
    settings = connection.settings_dict
    name = "sqsj_oldmain_" + os.environ.get("PYTEST_XDIST_WORKER", "main")
    url = urlunsplit(
        urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{name}", query="", fragment="")
    )
    admin = connection.get_new_connection(
        {**connection.get_connection_params(), "dbname": "postgres"}
    )
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
            cursor.execute(f'CREATE DATABASE "{name}"')
        with gzip.open(DUMPS / "postgres.sql.gz", "rb") as dump:
            subprocess.run(
                ["psql", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-f", "-"],
                input=dump.read(),
                capture_output=True,
                check=True,
                timeout=TIMEOUT,
                env={**os.environ, "PGUSER": settings["USER"] or "postgres"},
            )
        migrate_and_compare(url)
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def test_a_new_database_migrated_in_steps_gets_every_table(tmp_path):
    """Each migration made before the layering is replaced by one 0001_layers only: a
    first migrate that stops after one app records just that app, and the next one
    makes the rest."""
    url = f"sqlite:///{tmp_path / 'new.sqlite3'}"
    manage(url, "migrate", "org", "0001_layers", "--noinput")
    manage(url, "migrate", "--noinput")
    counts = snapshot(url)["counts"]
    for table in ("assessment_cycle", "scoring_scoreentry", "assessment_event", "surveys_ballot"):
        assert counts[table] == 0
