"""Login, lockout, password change, sessions and security headers (issue: foundation)."""

import re
from datetime import timedelta
from importlib import import_module
from pathlib import Path

import pytest
from axes.models import AccessLog
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core.sessions import RENEW_SECONDS, RENEWED
from org.tasks import ACCESS_LOG_DAYS, housekeeping
from tests.factories import TEST_PASSWORD, logs_in

# One world for the module; each test runs in a savepoint inside it.
pytestmark = pytest.mark.usefixtures("shared_world")


def test_the_login_page_is_chinese(db, client):
    text = client.get(reverse("login")).content.decode()
    assert '<html lang="zh-hans">' in text
    assert "用户名" in text and "密码" in text and "登录" in text


def test_a_wrong_password_says_so_in_chinese(world, client):
    response = client.post(reverse("login"), {"username": "admin_a", "password": "wrong"})
    assert response.status_code == 200
    assert "请输入一个正确的" in response.content.decode()


def test_login_then_home_then_logout(world, client):
    assert logs_in(client, "town_a", TEST_PASSWORD)
    assert client.get(reverse("home")).status_code == 200
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_repeated_failures_lock_the_login_with_a_clear_message(
    world, client, caplog, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            client.post(reverse("login"), {"username": "town_a", "password": "wrong"})
    assert "event=login_locked" in caplog.text
    assert "scope=username+address username=town_a" in caplog.text
    response = client.post(reverse("login"), {"username": "town_a", "password": TEST_PASSWORD})
    assert response.status_code == 429
    text = response.content.decode()
    assert "登录已暂时锁定" in text
    assert f"连续 {settings.AXES_FAILURE_LIMIT} 次密码错误" in text
    assert "30 分钟后再试" in text
    assert client.get(reverse("home")).status_code == 302


def test_a_lockout_of_one_account_leaves_the_others_alone(world, client):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "town_a", "password": "wrong"})
    assert logs_in(client, "county_a", TEST_PASSWORD)


def test_one_address_failing_over_many_user_names_is_locked_at_its_own_higher_limit(
    world, client, caplog, django_capture_on_commit_callbacks
):
    """Password spraying: one address trying a password on many user names, each below
    the per-account limit, is locked once its failures reach LOGIN_ADDRESS_FAILURE_LIMIT
    (core.lockout); until then others log in from it, and other addresses stay open."""
    limit = settings.LOGIN_ADDRESS_FAILURE_LIMIT
    per_name = settings.AXES_FAILURE_LIMIT - 1
    assert limit > settings.AXES_FAILURE_LIMIT
    names = [f"guess{n // per_name}" for n in range(limit)]
    for name in names[:-1]:
        assert client.post(reverse("login"), {"username": name, "password": "x"}).status_code == 200
    assert logs_in(Client(), "county_a", TEST_PASSWORD)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("login"), {"username": names[-1], "password": "x"})
    assert response.status_code == 429
    text = response.content.decode()
    assert "登录已暂时锁定" in text
    assert f"30 分钟内登录失败已达 {limit} 次" in text
    assert "30 分钟后再试" in text
    assert "event=login_locked" in caplog.text and "scope=address" in caplog.text
    assert f"failures={limit} limit={limit}" in caplog.text
    # Every user name, right password or not, from that address; another address is open.
    response = client.post(reverse("login"), {"username": "town_a", "password": TEST_PASSWORD})
    assert response.status_code == 429 and f"已达 {limit} 次" in response.content.decode()
    assert logs_in(Client(REMOTE_ADDR="198.51.100.7"), "town_a", TEST_PASSWORD)


def test_passwords_are_hashed_with_argon2(world):
    assert settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    assert world.admin_a.password.startswith("argon2$")


def test_password_change_applies_the_validators_in_chinese(world, login):
    client = login(world.town_assessor_a)
    url = reverse("password_change")
    response = client.post(
        url, {"old_password": TEST_PASSWORD, "new_password1": "12345", "new_password2": "12345"}
    )
    text = response.content.decode()
    assert "密码太短，至少需要 10 个字符。" in text
    assert "这个密码太常见了" in text
    response = client.post(
        url,
        {
            "old_password": TEST_PASSWORD,
            "new_password1": "Fresh-pass-2026",
            "new_password2": "Fresh-pass-2026",
        },
    )
    assert response.url == reverse("password_change_done")
    client.logout()
    assert logs_in(client, "town_a", "Fresh-pass-2026")


def test_sessions_end_when_idle_and_with_the_browser(world, client):
    assert logs_in(client, "town_a", TEST_PASSWORD)
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE <= 8 * 3600
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"


def test_an_idle_session_ends(world, client):
    assert logs_in(client, "town_a", TEST_PASSWORD)
    assert client.get(reverse("home")).status_code == 200
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def _expiry(client):
    return Session.objects.get(session_key=client.session.session_key).expire_date


def test_a_busy_session_is_renewed_once_a_minute_not_on_every_request(world, client):
    """The idle clock restarts at most once a minute (core.sessions): requests within the
    minute write nothing; once it has run, the next request moves the end forward."""
    assert logs_in(client, "town_a", TEST_PASSWORD)
    assert client.get(reverse("home")).status_code == 200
    first = _expiry(client)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("home")).status_code == 200
    assert not [
        q for q in queries.captured_queries if "UPDATE" in q["sql"] and "session" in q["sql"]
    ]
    assert _expiry(client) == first
    session = client.session
    session[RENEWED] -= RENEW_SECONDS
    session.save()
    Session.objects.filter(session_key=session.session_key).update(
        expire_date=first - timedelta(seconds=RENEW_SECONDS)
    )
    assert client.get(reverse("home")).status_code == 200
    assert _expiry(client) > first - timedelta(seconds=RENEW_SECONDS)
    assert _expiry(client) >= timezone.now() + timedelta(
        seconds=settings.SESSION_COOKIE_AGE - RENEW_SECONDS
    )


def test_a_made_up_session_cookie_stores_nothing(world, client):
    """Strangers create no session rows: a made-up cookie on the login page, the health
    check, the residents' ballot pages and ballot API (a wrong code too, which counts a
    guess), the API with a token or with nothing, leaves the table as it was."""
    token = Token.objects.create(user=world.town_assessor_a).key
    before = Session.objects.count()
    for n in range(3):
        client.cookies[settings.SESSION_COOKIE_NAME] = f"madeup{n:026d}"
        client.get(reverse("login"))
        client.get("/healthz")
        client.get(reverse("ballot-code"))
        client.post(reverse("ballot-code"), {"code": "ABCD-EFGH-IJKL"})
        client.get(reverse("ballot", args=["ABCD-EFGH-IJKL"]))
        client.post(reverse("ballot-cast"), {"code": "ABCD-EFGH-IJKL", "choice": "satisfied"})
        assert client.get("/api/v1/ballots/ABCD-EFGH-IJKL/").status_code == 404
        client.post("/api/v1/ballots/", {"token": "ABCD-EFGH-IJKL", "choice": "satisfied"})
        client.get("/api/v1/cycles/")
        signed = client.get("/api/v1/cycles/", HTTP_AUTHORIZATION=f"Token {token}")
        assert signed.status_code == 200
        client.get("/api/schema/", HTTP_AUTHORIZATION=f"Token {token}")
    assert Session.objects.count() == before


def test_forms_refuse_posts_without_the_csrf_token(world, client):
    client.handler.enforce_csrf_checks = True
    response = client.post(reverse("login"), {"username": "town_a", "password": TEST_PASSWORD})
    assert response.status_code == 403


def test_pages_carry_security_headers_and_a_strict_csp(world, login):
    response = login(world.admin_a).get(reverse("home"))
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_answers_to_someone_signed_in_are_private_and_not_stored(world, login):
    """DESIGN §4: a signed-in person's pages, fragments and API answers — by session
    or by token — say `Cache-Control: private, no-store`; an answer whose view chose its
    own header keeps it; anonymous pages are not marked."""
    signed_in = login(world.admin_a)
    for url in (reverse("home"), "/api/v1/users/me/"):
        response = signed_in.get(url)
        assert response.status_code == 200
        assert response["Cache-Control"] == "private, no-store", url
    api = APIClient()
    api.credentials(
        HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=world.town_assessor_a).key}"
    )
    answer = api.get("/api/v1/users/me/")
    assert answer.status_code == 200 and answer["Cache-Control"] == "private, no-store"
    assert not Client().get(reverse("home")).has_header("Cache-Control")  # to the login
    # /healthz says never_cache itself: its own header stands.
    assert signed_in.get("/healthz")["Cache-Control"].startswith("max-age=0")


def test_no_template_has_an_inline_script_or_a_foreign_asset():
    """The CSP forbids inline scripts; intranets have no internet (SPEC §7)."""
    roots = [Path(settings.BASE_DIR) / "templates"] + [
        p for p in Path(settings.BASE_DIR).glob("*/templates") if ".venv" not in p.parts
    ]
    offenders = []
    for root in roots:
        for path in root.rglob("*.html"):
            text = path.read_text()
            for tag in re.findall(r"<script\b[^>]*>", text):
                if "src=" not in tag:
                    offenders.append(f"{path}: inline {tag}")
            if re.search(r"""(src|href)=["'](https?:)?//""", text):
                offenders.append(f"{path}: loads from another host")
            if re.search(r"\son[a-z]+=", text):
                offenders.append(f"{path}: inline event handler")
    assert offenders == []


def test_expired_sessions_and_old_login_records_are_cleared_every_night(world, client):
    """The nightly housekeeping (org.tasks, scheduled by a migration) deletes expired
    sessions and login access records older than ninety days; live ones stay."""
    assert logs_in(client, "town_a", TEST_PASSWORD)
    live = client.session.session_key
    SessionStore = import_module(settings.SESSION_ENGINE).SessionStore
    expired = SessionStore()
    expired["x"] = 1
    expired.create()
    Session.objects.filter(session_key=expired.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    recent = AccessLog.objects.get()  # the sign-in above
    old = AccessLog.objects.create(username="town_a", ip_address="10.0.0.9", user_agent="")
    AccessLog.objects.filter(pk=old.pk).update(
        attempt_time=timezone.now() - timedelta(days=ACCESS_LOG_DAYS + 1)
    )

    assert housekeeping.apply().get() == 1

    assert list(Session.objects.values_list("session_key", flat=True)) == [live]
    assert list(AccessLog.objects.values_list("pk", flat=True)) == [recent.pk]
    schedule = PeriodicTask.objects.select_related("crontab").get(task="org.tasks.housekeeping")
    assert schedule.enabled and (schedule.crontab.minute, schedule.crontab.hour) == ("30", "3")
