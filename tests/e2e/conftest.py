"""Real-browser tests: Playwright drives Debian's Chromium against the live server."""

import io
import os
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, transaction
from playwright.sync_api import expect

from demo.management.commands.seed_demo import DEMO_PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(settings.BASE_DIR) / "docs" / "screenshots"

# Playwright's sync API runs an event loop in the test thread; the tests still make
# ORM calls around it, which Django would otherwise refuse.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
            if not CHROMIUM.exists():
                item.add_marker(
                    pytest.mark.skip(reason="needs Debian chromium at /usr/bin/chromium")
                )


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {
        **browser_context_args,
        "locale": "zh-CN",
        "timezone_id": "Asia/Shanghai",
        "viewport": {"width": 1280, "height": 860},
    }


@pytest.fixture
def watched_page(page, live_server):
    """The page, recording console errors and any request to another host."""
    problems = []
    page.on(
        "console",
        lambda msg: (
            problems.append(f"console {msg.type}: {msg.text} @ {msg.location}")
            if msg.type == "error"
            else None
        ),
    )
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on(
        "request",
        lambda req: (
            problems.append(f"foreign request: {req.url}")
            if not req.url.startswith((live_server.url, "data:"))
            else None
        ),
    )
    page.problems = problems
    return page


@pytest.fixture(scope="session")
def demo_rows(django_db_setup, django_db_blocker):
    """The rows `seed_demo` makes, made once per test process and kept in memory table by
    table (PostgreSQL COPY); the database is then put back as it was. None elsewhere."""
    if connection.vendor != "postgresql":
        return None
    with django_db_blocker.unblock():
        before = copy_out()
        call_command("seed_demo", stdout=io.StringIO())
        rows = copy_out()
        copy_in(before)
    return rows


@pytest.fixture
def demo_county(transactional_db, demo_rows):
    """The demo county of `make run`, so screenshots show what people will see: the rows
    of one `seed_demo` copied back in (a fraction of a second), or seeded afresh."""
    if demo_rows is None:
        call_command("seed_demo", stdout=io.StringIO())
    else:
        copy_in(demo_rows)


def copied_tables():
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
    return [t for t in tables if t != "django_migrations"]


def copy_out():
    """Every table's rows as COPY text."""
    rows = {}
    with connection.cursor() as cursor:
        for table in copied_tables():
            buffer = io.StringIO()
            cursor.cursor.copy_expert(f"COPY {connection.ops.quote_name(table)} TO STDOUT", buffer)
            rows[table] = buffer.getvalue()
    return rows


def copy_in(rows):
    """Replace every table's rows by `rows` in one transaction (foreign keys are checked
    at commit), then move each id sequence past the ids copied in."""
    quote = connection.ops.quote_name
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(quote(t) for t in rows)} CASCADE")
        for table, text in rows.items():
            if text:
                cursor.cursor.copy_expert(f"COPY {quote(table)} FROM STDIN", io.StringIO(text))
        for statement in connection.ops.sequence_reset_sql(
            no_style(), apps.get_models(include_auto_created=True)
        ):
            cursor.execute(statement)
    ContentType.objects.clear_cache()


def log_in(page, base_url, username):
    page.goto(f"{base_url}/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()


def log_out(page):
    page.get_by_test_id("user-menu").click()
    page.get_by_role("button", name="退出登录").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
