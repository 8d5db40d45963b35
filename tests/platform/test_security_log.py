"""The security log (DESIGN §4, core/security_log.py): one `key=value` line per event on
the logger `security`, written once its transaction commits — sign-ins and their
failures, sign-outs, lockouts, refusals to those signed in, exports, imports, cycle
moves, bulletin issues, voided ballot batches — each with who, from where and when, and
nothing a person typed able to forge a field or a line, and no secret in it."""

import io
import logging
import os
import re
import subprocess
import sys
from contextlib import contextmanager
from datetime import datetime

import openpyxl
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from assessment import services as cycles
from assessment.models import Cycle
from reports.bulletins import services as bulletins
from reports.excel.layout import SHEETS
from reports.models import Job, JobKind
from surveys.ballots import services as ballots
from surveys.models import Choice
from tests.factories import (
    TEST_PASSWORD,
    UserFactory,
    complete_scoring,
    fresh_cycle,
    logs_in,
    open_seed_cycle,
)
from tests.surveys import issue

# One world and one cycle for the module; each test runs in a savepoint inside them.
pytestmark = pytest.mark.usefixtures("shared_world")

PAIR = re.compile(r'([a-z_]+)=(?:"((?:[^"\\]|\\.)*)"|([^\s"=\\]+))(?: |\Z)')
ESCAPE = re.compile(r"\\(u[0-9a-f]{4}|U[0-9a-f]{8}|.)")
SIMPLE_ESCAPES = {"n": "\n", "r": "\r", "t": "\t"}


def unescape(text):
    def one(match):
        code = match.group(1)
        if code[0] in "uU" and len(code) > 1:
            return chr(int(code[1:], 16))
        return SIMPLE_ESCAPES.get(code, code)

    return ESCAPE.sub(one, text)


def parse(line):
    """A line's fields, read as a log processor reads logfmt: a quoted value unescaped,
    a bare `-` as None. Anything else in the line fails the test."""
    fields, at = {}, 0
    while at < len(line):
        pair = PAIR.match(line, at)
        assert pair, f"not a field at {at}: {line[at:]!r}"
        key, quoted, bare = pair.groups()
        assert key not in fields, f"{key} twice in {line!r}"
        fields[key] = unescape(quoted) if quoted is not None else (None if bare == "-" else bare)
        at = pair.end()
    return fields


@pytest.fixture
def security_lines(caplog, django_capture_on_commit_callbacks):
    """`with security_lines() as lines:` runs the block as if its transactions commit (and
    what they queue: jobs run in-process); `lines` then holds the security lines it
    wrote, parsed, each with its record's level as `level`."""

    @contextmanager
    def written():
        caplog.set_level(logging.INFO, logger="security")
        lines = []
        start = len(caplog.records)
        with django_capture_on_commit_callbacks(execute=True):
            yield lines
        for record in caplog.records[start:]:
            if record.name == "security":
                lines.append({**parse(record.getMessage()), "level": record.levelname})

    return written


def only(lines, event):
    [line] = [line for line in lines if line["event"] == event]
    return line


def assert_attributed(line, user, ip="127.0.0.1"):
    assert (line["user"], line["user_id"]) == (user.username, str(user.pk))
    assert line["ip"] == ip
    at = datetime.fromisoformat(line["at"])
    assert at.utcoffset() is not None


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(scope="module")
def module_cycle(shared_world):
    """County QA's cycle in 评分中, its three secretaries scored and computed."""
    cycle = open_seed_cycle(shared_world.county_a)
    cycle = cycles.transition(actor=None, cycle=cycle, name="start_scoring", version=cycle.version)
    return complete_scoring(cycle, shared_world.county_assessor_a)


@pytest.fixture
def cycle(module_cycle, db):
    return fresh_cycle(module_cycle)


def move(cycle, *names, actor=None):
    for name in names:
        cycle = cycles.transition(actor=actor, cycle=cycle, name=name, version=cycle.version)
    return Cycle.objects.select_related("county").get(pk=cycle.pk)


# ------------------------------------------------------------------ signing in and out


def test_a_sign_in_is_logged_with_who_from_where_and_when(world, client, security_lines):
    with security_lines() as lines:
        assert logs_in(client, "town_a", TEST_PASSWORD)
    [line] = lines
    assert line["event"] == "login" and line["level"] == "INFO"
    assert_attributed(line, world.town_assessor_a)
    assert datetime.fromisoformat(line["at"]).utcoffset().total_seconds() == 8 * 3600


def test_a_failed_sign_in_is_logged_with_the_user_name_tried(world, client, security_lines):
    with security_lines() as lines:
        client.post(reverse("login"), {"username": "town_a", "password": "wrong"})
    [line] = lines
    assert line["event"] == "login_failed"
    assert (line["user"], line["user_id"], line["username"]) == (None, None, "town_a")
    assert line["ip"] == "127.0.0.1"


def test_a_sign_out_is_logged(world, login, security_lines):
    client = login(world.town_assessor_a)
    with security_lines() as lines:
        client.post(reverse("logout"))
    [line] = lines
    assert line["event"] == "logout"
    assert_attributed(line, world.town_assessor_a)


def test_a_new_lockout_is_logged_once_as_a_warning(world, client, security_lines):
    with security_lines() as lines:
        for _ in range(settings.AXES_FAILURE_LIMIT + 1):
            client.post(reverse("login"), {"username": "town_a", "password": "wrong"})
    line = only(lines, "login_locked")
    assert line["level"] == "WARNING"
    assert (line["user"], line["username"], line["ip"]) == (None, "town_a", "127.0.0.1")
    assert (line["scope"], line["failures"], line["limit"], line["cooloff_minutes"]) == (
        "username+address",
        str(settings.AXES_FAILURE_LIMIT),
        str(settings.AXES_FAILURE_LIMIT),
        "30",
    )


# ------------------------------------------------------------------------- refusals


def test_a_refusal_to_someone_signed_in_is_logged_with_status_method_and_path(
    world, cycle, security_lines
):
    elsewhere = cycles.create_cycle(actor=None, county=world.county_b, name="外县周期", year=2026)
    outside_scope = reverse("cycle-detail", args=[elsewhere.pk])
    not_their_role = reverse("results-export", args=[cycle.pk])
    county, town = Client(), Client()
    county.force_login(world.county_assessor_a)
    town.force_login(world.town_assessor_a)
    with security_lines() as lines:
        assert county.get(outside_scope).status_code == 404
        assert town.get(not_their_role).status_code == 403
    assert [(line["event"], line["status"], line["method"], line["path"]) for line in lines] == [
        ("denied", "404", "GET", outside_scope),
        ("denied", "403", "GET", not_their_role),
    ]
    assert_attributed(lines[0], world.county_assessor_a)
    assert_attributed(lines[1], world.town_assessor_a)


def test_an_api_refusal_to_a_token_user_is_logged(world, security_lines):
    elsewhere = cycles.create_cycle(actor=None, county=world.county_b, name="外县周期", year=2026)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=world.outsider_b).key}")
    url = reverse("api:cycle-detail", args=[elsewhere.pk])
    with security_lines() as lines:
        assert api.get(url).status_code == 404
    [line] = lines
    assert (line["event"], line["status"], line["path"]) == ("denied", "404", url)
    assert_attributed(line, world.outsider_b)


def test_pages_not_found_are_logged_only_for_those_signed_in(world, client, security_lines):
    """Anonymous 404s are stray links and scanners: noise."""
    with security_lines() as anonymous:
        assert client.get("/no-such-page/").status_code == 404
        client.get(reverse("healthz"))
    client.force_login(world.town_assessor_a)
    with security_lines() as signed_in:
        assert client.get("/no-such-page/").status_code == 404
    assert anonymous == []
    assert [(line["event"], line["user"]) for line in signed_in] == [("denied", "town_a")]


def test_a_refused_ballot_link_is_logged_by_its_url_pattern_never_its_code(
    world, login, security_lines
):
    code = "ABCD-EFGH-JKMN-PQRS-TVWX-YZ23-4567"
    client = login(world.county_assessor_a)
    with security_lines() as lines:
        assert client.get(reverse("ballot", args=[code])).status_code == 404
    [line] = lines
    assert (line["event"], line["path"]) == ("denied", "/b/<str:code>/")
    assert not any(code in str(value) for value in line.values())


# -------------------------------------------------------------------------- exports


def test_a_results_export_is_logged_with_cycle_county_and_rows(world, cycle, login, security_lines):
    client = login(world.county_assessor_a)
    with security_lines() as lines:
        response = client.get(reverse("results-export", args=[cycle.pk]), {"by_town": "1"})
    assert response.status_code == 200
    [line] = lines
    assert_attributed(line, world.county_assessor_a)
    assert {k: line[k] for k in ("event", "kind", "format", "cycle", "county", "by_town")} == {
        "event": "export",
        "kind": "results",
        "format": "xlsx",
        "cycle": str(cycle.pk),
        "county": "QA",
        "by_town": "true",
    }
    assert (line["rows"], line["job"]) == ("3", None)


def test_a_pay_band_sheet_download_is_logged(world, cycle, login, security_lines):
    cycle = move(cycle, "start_review", "publish")
    client = login(world.admin_a)
    with security_lines() as lines:
        assert client.get(reverse("pay-bands-xlsx", args=[cycle.pk])).status_code == 200
    [line] = lines
    assert_attributed(line, world.admin_a)
    assert (line["event"], line["kind"], line["format"], line["cycle"], line["rows"]) == (
        "export",
        "pay_bands",
        "xlsx",
        str(cycle.pk),
        "3",
    )
    assert line["draft"] == "false"


def test_a_bulletin_download_is_logged(world, cycle, login, security_lines):
    draft = bulletins.generate_bulletin(cycle=cycle, quarter=4, actor=None)
    client = login(world.county_assessor_a)
    with security_lines() as lines:
        assert client.get(reverse("bulletin-xlsx", args=[draft.pk])).status_code == 200
    [line] = lines
    assert_attributed(line, world.county_assessor_a)
    assert (line["event"], line["kind"], line["bulletin"], line["quarter"], line["number"]) == (
        "export",
        "bulletin",
        str(draft.pk),
        "4",
        None,
    )


def test_the_export_commands_are_logged_with_the_file_written(cycle, tmp_path, security_lines):
    results, pay_bands = tmp_path / "结果.xlsx", tmp_path / "分档 定薪.xlsx"
    with security_lines() as lines:
        call_command("export_results", cycle.pk, str(results), stdout=io.StringIO())
        call_command("export_pay_bands", cycle.pk, str(pay_bands), "--draft", stdout=io.StringIO())
    assert [(line["event"], line["kind"], line["user"], line["file"]) for line in lines] == [
        ("export", "results", None, str(results)),
        ("export", "pay_bands", None, str(pay_bands)),
    ]
    assert lines[1]["draft"] == "true" and lines[1]["rows"] == "3"


# --------------------------------------------------------------------- Excel imports


def scores_upload(cycle, value):
    """A workbook of one 组织 score for 甲书记 on 违建管控."""
    leaf = cycle.frozen_template.nodes.get(name="违建管控")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "评分"
    sheet.append([c.header for c in SHEETS["评分"]])
    sheet.append(["SA1", leaf.code, "组织", "county_a", value, None])
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile(
        "评分.xlsx",
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def test_an_import_is_logged_when_started_checked_confirmed_and_applied(
    world, cycle, login, security_lines
):
    client = login(world.county_assessor_a)
    with security_lines() as uploaded:
        client.post(
            reverse("cycle-import", args=[cycle.pk]),
            {"only": ["评分"], "file": scores_upload(cycle, 1.5)},
        )
    preview = Job.objects.get(kind=JobKind.IMPORT_PREVIEW)
    with security_lines() as confirmed:
        client.post(reverse("import-confirm", args=[preview.pk]))
    apply = Job.objects.get(kind=JobKind.IMPORT_APPLY)
    lines = uploaded + confirmed
    assert [(line["event"], line["job"], line.get("outcome")) for line in lines] == [
        ("import_started", str(preview.pk), None),
        ("import_finished", str(preview.pk), "checked"),
        ("import_confirmed", str(apply.pk), None),
        ("import_finished", str(apply.pk), "applied"),
    ]
    for line in lines:
        assert (line["user"], line["cycle"], line["county"]) == ("county_a", str(cycle.pk), "QA")
    assert (lines[0]["sheets"], lines[0]["file"]) == ("评分", "评分.xlsx")
    assert (lines[1]["stage"], lines[3]["stage"]) == ("preview", "apply")
    assert lines[2]["preview"] == str(preview.pk)


def test_a_refused_import_is_logged_with_its_number_of_faults(world, cycle, login, security_lines):
    client = login(world.county_assessor_a)
    with security_lines() as lines:
        client.post(
            reverse("cycle-import", args=[cycle.pk]),
            {"only": ["评分"], "file": scores_upload(cycle, 999)},
        )
    line = only(lines, "import_finished")
    assert (line["stage"], line["outcome"], line["errors"]) == ("preview", "refused", "1")


# --------------------------------------------------------------------- publications


def test_a_cycle_transition_through_the_page_is_logged_with_from_and_to(
    world, cycle, login, security_lines
):
    client = login(world.county_assessor_a)
    with security_lines() as lines:
        client.post(
            reverse("cycle-transition", args=[cycle.pk]),
            {"name": "start_review", "version": cycle.version, "confirmed": "1"},
        )
    [line] = lines
    assert_attributed(line, world.county_assessor_a)
    assert (line["event"], line["cycle"], line["county"]) == (
        "cycle_transition",
        str(cycle.pk),
        "QA",
    )
    assert (line["transition"], line["from"], line["to"]) == ("start_review", "scoring", "review")


def test_every_transition_to_and_from_publication_is_logged(world, cycle, security_lines):
    with security_lines() as lines:
        move(
            cycle,
            "start_review",
            "withdraw_review",
            "start_review",
            "publish",
            "archive",
            actor=world.county_assessor_a,
        )
    assert [(line["transition"], line["from"], line["to"], line["user"]) for line in lines] == [
        ("start_review", "scoring", "review", "county_a"),
        ("withdraw_review", "review", "scoring", "county_a"),
        ("start_review", "scoring", "review", "county_a"),
        ("publish", "review", "published", "county_a"),
        ("archive", "published", "archived", "county_a"),
    ]
    assert all(line["ip"] is None for line in lines)  # no request: a service call


def test_a_transition_is_logged_once_committed_never_when_rolled_back(world, cycle, security_lines):
    with security_lines() as rolled_back, pytest.raises(RuntimeError), transaction.atomic():
        move(cycle, "start_review", actor=world.county_assessor_a)
        raise RuntimeError("the request failed after the transition")
    with security_lines() as committed:
        move(cycle, "start_review", actor=world.county_assessor_a)
    assert rolled_back == []
    assert [(line["event"], line["transition"]) for line in committed] == [
        ("cycle_transition", "start_review")
    ]


def test_issuing_a_bulletin_is_logged_with_its_number(world, cycle, login, security_lines):
    draft = bulletins.generate_bulletin(cycle=cycle, quarter=4, actor=None)
    client = login(world.county_assessor_a)
    with security_lines() as lines:
        client.post(
            reverse("bulletin-issue", args=[draft.pk]), {"version": draft.version, "confirmed": "1"}
        )
    [line] = lines
    assert_attributed(line, world.county_assessor_a)
    assert (line["event"], line["bulletin"], line["cycle"], line["quarter"]) == (
        "bulletin_issued",
        str(draft.pk),
        str(cycle.pk),
        "4",
    )
    assert line["number"] == "青组通〔2026〕1号"


# ----------------------------------------------------------------- ballot batches


def test_voiding_a_ballot_batch_is_logged_with_its_counts_and_reason_but_no_code(
    world, cycle, login, caplog, security_lines
):
    batch, _pdf, (used, *unused) = issue(cycle, world.community_a1, world.county_assessor_a)
    ballots.cast_ballot(code=used, choice=Choice.SATISFIED)
    client = login(world.county_assessor_a)
    with security_lines() as lines:
        client.post(reverse("ballot-batch-void", args=[batch.pk]), {"reason": "评议票 在途中遗失"})
    [line] = lines
    assert_attributed(line, world.county_assessor_a)
    assert (line["event"], line["batch"], line["community"]) == (
        "ballot_batch_voided",
        str(batch.pk),
        "QA101",
    )
    assert (line["unused"], line["used"], line["reason"]) == ("2", "1", "评议票 在途中遗失")
    for code in (used, *unused):
        assert code not in caplog.text


# -------------------------------------------------------- what a line may not carry


def test_a_user_name_cannot_forge_a_field_or_a_line(world, client, caplog, security_lines):
    name = 'li si="x" user=admin_a\nevent=login user=admin_a\u2028at=- \\ 尾'
    UserFactory(username=name)
    with security_lines() as lines:
        client.post(reverse("login"), {"username": name, "password": "wrong"})
        assert logs_in(client, name, TEST_PASSWORD)
    failed, signed_in = lines
    assert (signed_in["event"], signed_in["user"]) == ("login", name)
    assert (failed["event"], failed["username"]) == ("login_failed", name)
    for record in caplog.records:
        if record.name == "security":
            assert len(record.getMessage().splitlines()) == 1


def test_no_password_token_or_session_key_is_logged(world, client, caplog, security_lines):
    token = Token.objects.create(user=world.town_assessor_a).key
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    with security_lines() as lines:
        client.post(reverse("login"), {"username": "town_a", "password": "Wrong-Secret-9"})
        assert logs_in(client, "town_a", TEST_PASSWORD)
        session_key = client.session.session_key
        client.get("/cycles/999999/")
        api.get(reverse("api:cycle-detail", args=[999999]))
        client.post(reverse("logout"))
    assert [line["event"] for line in lines] == [
        "login_failed",
        "login",
        "denied",
        "denied",
        "logout",
    ]
    written = "\n".join(r.getMessage() for r in caplog.records if r.name == "security")
    for secret in ("Wrong-Secret-9", TEST_PASSWORD, token, session_key):
        assert secret not in written


# ------------------------------------------------------------------------ settings


def test_with_a_log_file_each_line_goes_to_it_and_once_to_the_console(tmp_path):
    log_file = tmp_path / "security.log"
    env = {**os.environ, "SECURITY_LOG_FILE": str(log_file), "LOG_LEVEL": "ERROR"}
    script = "from core.security_log import security_event; security_event('probe', n=1)"
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    [console] = [line for line in done.stderr.splitlines() if "event=probe" in line]
    [written] = log_file.read_text(encoding="utf-8").splitlines()
    assert console == written and parse(written)["n"] == "1"
