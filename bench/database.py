"""The benchmark's throw-away PostgreSQL database.

The harness drops and recreates its database, so it only ever touches a database whose
name starts with `sqsj_bench`: given any other DATABASE_URL it uses the same server
with the name `sqsj_bench` instead. Migrating a new database takes most of a minute, so a
migrated template (`sqsj_bench_tpl_<fingerprint of the migrations>`) is kept on the
server and each run clones it, which takes a second or two; a change to any migration
or pinned requirement makes a new template (and drops the old ones).
"""

import hashlib
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2

ROOT = Path(__file__).resolve().parent.parent
PREFIX = "sqsj_bench"
DEFAULT_URL = f"postgres://postgres@127.0.0.1:5432/{PREFIX}"
TEMPLATE_PREFIX = f"{PREFIX}_tpl_"
# Advisory-lock key ("sqsjbnch" in ASCII): one process at a time makes the template.
TEMPLATE_LOCK = 0x7371736A626E6368


def bench_url(url=None):
    """DATABASE_URL made safe to drop: its own name when that starts with `sqsj_bench`,
    `sqsj_bench` on the same server otherwise."""
    parts = urlsplit(url or os.environ.get("DATABASE_URL") or DEFAULT_URL)
    if not parts.scheme.startswith("postgres"):
        raise SystemExit(f"The scale benchmark needs PostgreSQL; DATABASE_URL is {parts.scheme}:")
    name = parts.path.lstrip("/")
    if not name.startswith(PREFIX):
        parts = parts._replace(path=f"/{PREFIX}")
    return urlunsplit(parts._replace(query="", fragment=""))


def name_of(url):
    return urlsplit(url).path.lstrip("/")


def _admin(url):
    """An autocommit connection to the server's `postgres` database."""
    parts = urlsplit(url)
    connection = psycopg2.connect(
        dbname="postgres",
        user=parts.username or "postgres",
        password=parts.password,
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
    )
    connection.autocommit = True
    return connection


def fingerprint():
    """What decides the schema: every migration file and the pinned requirements."""
    digest = hashlib.sha256((ROOT / "requirements.txt").read_bytes())
    for path in sorted(ROOT.glob("*/migrations/*.py")):
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _exists(cursor, name):
    cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
    return cursor.fetchone() is not None


def _migrate(url):
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "bench.settings"},
        check=True,
    )


def _template(cursor, url):
    """The migrated template's name, made first if the migrations changed."""
    name = TEMPLATE_PREFIX + fingerprint()
    cursor.execute("SELECT pg_advisory_lock(%s)", [TEMPLATE_LOCK])
    try:
        if not _exists(cursor, name):
            building = f"{name}_new"
            cursor.execute(f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)')
            cursor.execute(f'CREATE DATABASE "{building}"')
            _migrate(urlunsplit(urlsplit(url)._replace(path=f"/{building}")))
            # Renamed only once complete, so a template is never half migrated.
            cursor.execute(f'ALTER DATABASE "{building}" RENAME TO "{name}"')
            cursor.execute(
                "SELECT datname FROM pg_database WHERE datname LIKE %s AND datname <> %s",
                [TEMPLATE_PREFIX + "%", name],
            )
            for (stale,) in cursor.fetchall():
                cursor.execute(f'DROP DATABASE IF EXISTS "{stale}" WITH (FORCE)')
    finally:
        cursor.execute("SELECT pg_advisory_unlock(%s)", [TEMPLATE_LOCK])
    return name


def create(url):
    """A fresh, migrated database at `url` (dropped first if it exists)."""
    name = name_of(url)
    assert name.startswith(PREFIX), name
    connection = _admin(url)
    try:
        with connection.cursor() as cursor:
            template = _template(cursor, url)
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cursor.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    finally:
        connection.close()


def drop(url):
    name = name_of(url)
    assert name.startswith(PREFIX), name
    connection = _admin(url)
    try:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        connection.close()
