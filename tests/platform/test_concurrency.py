"""What DESIGN §4 promises of concurrent writers, shown by racing threads against
PostgreSQL, each thread one request's transaction (ATOMIC_REQUESTS):

- optimistic locking: of many changes made on the same version of a record, exactly one
  is written (one audit row); every other is refused 412 and writes nothing;
- a recompute racing score writes never makes results current that differ from a fresh
  computation of the inputs they claim to be of (DESIGN §3);
- two imports of one county's workbook at once: one wins whole, never a mix of rows.

Needs PostgreSQL (row locks under concurrent transactions); SQLite serialises all writers
and cannot show the race. Run with, e.g.:
DATABASE_URL=postgres://postgres@127.0.0.1:5432/sqsj_c pytest tests/platform/test_concurrency.py
"""

import io
import threading
from collections import Counter
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections, transaction
from rest_framework.test import APIClient

from assessment.models import Cycle
from org.models import OrgUnitKind
from org.scope import Role
from reports.excel.importer import import_workbook
from reports.jobs import imports
from reports.models import Job, JobState
from scoring.models import ScoreEntry, Source
from scoring.services import compute_cycle, enter_score, results_are_stale
from tests.conftest import person
from tests.factories import OrgUnitFactory, complete_scoring, open_seed_cycle
from tests.reports.test_import_rejections import SCORE_ROWS, _short_sample
from tests.scoring.test_incremental import assert_same_as_a_full_computation

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL for concurrent transactions"
    ),
]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# PostgreSQL's default max_connections is 100, shared with the test's own connection and
# other clients: racing requests hold at most this many connections at once.
OPEN_CONNECTIONS = 40


def race(*workers):
    """Run the workers (callables) in threads released at once; their return values in
    the order given. Each closes its database connections when done, as a request's
    thread would be reused."""
    start = threading.Barrier(len(workers))
    connections_free = threading.BoundedSemaphore(OPEN_CONNECTIONS)
    outcomes = [None] * len(workers)

    failures = []

    def run(index, work):
        start.wait()
        with connections_free:
            try:
                outcomes[index] = work()
            except Exception as failure:
                failures.append(failure)
            finally:
                connections.close_all()

    threads = [threading.Thread(target=run, args=(i, w)) for i, w in enumerate(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    return outcomes


# ------------------------------------------------------------------ optimistic locking

PATCHES = 50


def test_50_patches_made_on_one_version_write_exactly_one_and_refuse_the_rest(world):
    """50 clients read a score entry at version 1 and PATCH it at once, each with its
    own value and `If-Match: "1"`: one 200, 49 × 412, one audit row, and the entry holds
    the one value that was answered 200 (DESIGN §4, docs/api.md "Optimistic locking")."""
    cycle = open_seed_cycle(world.county_a)
    leaf = cycle.frozen_template.nodes.get(name="违建管控")
    entry = enter_score(
        actor=world.county_assessor_a,
        participant=cycle.participants.get(secretary=world.secretaries["a1"]),
        leaf=leaf,
        source=Source.TARGET,
        value=Decimal("1"),
    )
    url = f"/api/v1/score-entries/{entry.pk}/"
    audit_rows = entry.history.count()
    values = [Decimal(i) / 100 for i in range(PATCHES)]  # 0.00 … 0.49, all different

    def patch(value):
        client = APIClient()
        client.force_authenticate(world.county_assessor_a)
        response = client.patch(url, {"value": str(value)}, format="json", HTTP_IF_MATCH='"1"')
        return response.status_code, response.json()

    answers = race(*(lambda v=v: patch(v) for v in values))

    assert Counter(status for status, _body in answers) == {200: 1, 412: PATCHES - 1}
    (written,) = [body for status, body in answers if status == 200]
    refused = {body["detail"] for status, body in answers if status == 412}
    assert refused == {"该记录已被他人修改，请重新获取后再提交。"}
    entry.refresh_from_db()
    assert written["version"] == entry.version == 2
    assert written["value"] == str(entry.value)
    assert entry.history.count() == audit_rows + 1


# ---------------------------------------------------------- writes racing a recompute

WRITERS = 4
WRITES_EACH = 8
RECOMPUTERS = 2


def test_results_made_current_while_scores_are_written_are_those_of_their_inputs(world):
    """Writers change 目标量评 values (each its own participant's leaves, each write a
    request) while recomputes run over and over (DESIGN §3). A reader who finds the
    results current — their inputs version the cycle's, read in one snapshot — finds
    exactly what a fresh computation of the inputs gives, during the race and after it;
    and once the writing stops, one recompute makes them current."""
    cycle = open_seed_cycle(world.county_a)
    for leaf in cycle.frozen_template.nodes.filter(method="rating"):
        leaf.bars_levels.all().delete()  # every rating leaf takes a number
    cycle = complete_scoring(cycle, world.county_assessor_a)
    entries = list(
        ScoreEntry.objects.filter(participant__cycle=cycle, source=Source.TARGET)
        .select_related("participant", "leaf")
        .order_by("pk")
    )
    writing = threading.Event()
    writing.set()
    writers_left = [WRITERS]
    lock = threading.Lock()

    def write(n):
        # Writer n changes every WRITERS-th entry: no two writers share one.
        for i, entry in enumerate(entries[n::WRITERS][:WRITES_EACH]):
            with transaction.atomic():  # as a request runs (ATOMIC_REQUESTS)
                enter_score(
                    actor=world.county_assessor_a,
                    participant=entry.participant,
                    leaf=entry.leaf,
                    source=Source.TARGET,
                    value=(entry.leaf.points * Decimal(i + 1) / WRITES_EACH).quantize(
                        Decimal("0.01")
                    ),
                    version=entry.version,
                )

    def writer(n):
        def run():
            try:
                write(n)
            finally:
                with lock:
                    writers_left[0] -= 1
                    if not writers_left[0]:
                        writing.clear()

        return run

    def recompute():
        while writing.is_set():
            compute_cycle(cycle.pk)

    def read():
        """What a reader sees, in one snapshot (REPEATABLE READ)."""
        while writing.is_set():
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                if not results_are_stale(Cycle.objects.get(pk=cycle.pk)):
                    assert_same_as_a_full_computation(cycle)

    race(*(writer(n) for n in range(WRITERS)), *[recompute] * RECOMPUTERS, read)

    cycle = Cycle.objects.get(pk=cycle.pk)
    if results_are_stale(cycle):
        compute_cycle(cycle.pk)
    assert not results_are_stale(Cycle.objects.get(pk=cycle.pk))
    assert_same_as_a_full_computation(cycle)


# -------------------------------------------------------------------- imports at once


@pytest.fixture
def qingxi_admin(world, settings, tmp_path):
    """The admin of the sample workbook's county (青溪县, 360400); uploads are stored
    in a scratch directory."""
    settings.MEDIA_ROOT = tmp_path / "media"
    county = OrgUnitFactory(code="360400", name="青溪县", kind=OrgUnitKind.COUNTY)
    return person(Role.ADMIN, county, "admin_qx", "青溪管理员")


def workbook(score=None):
    """The sample county's workbook (its first scores: tests/reports/
    test_import_rejections.py), every score set to `score` when given."""
    book = openpyxl.load_workbook(io.BytesIO(_short_sample()))
    if score is not None:
        sheet = book["评分"]
        column = [cell.value for cell in sheet[1]].index("分数") + 1
        for row in range(2, sheet.max_row + 1):
            sheet.cell(row=row, column=column).value = score
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


def preview(admin, data):
    """A checked preview of the workbook, ready to confirm (the preview runs as the
    upload commits: no broker in the tests)."""
    upload = SimpleUploadedFile("县工作簿.xlsx", data, content_type=XLSX)
    job = Job.objects.get(pk=imports.start_import(actor=admin, upload=upload).pk)
    assert imports.confirmable(job), (job.message, job.result.get("errors"))
    return job


def changes_to_make(data):
    """What importing the workbook now would change: {sheet: created + changed +
    deleted} for the sheets it would change (a dry run)."""
    outcome = import_workbook(io.BytesIO(data), dry_run=True)
    touched = {
        sheet: counts.created + counts.changed + counts.deleted
        for sheet, counts in outcome.changes.items()
    }
    return {sheet: n for sheet, n in touched.items() if n}


def confirm_at_once(admin, *previews):
    """Each preview confirmed in its own request at the same moment; each apply runs in
    that request's thread as it commits (as a worker would run it meanwhile). The apply
    jobs, as they ended."""
    applies = race(*(lambda p=p: imports.confirm_import(actor=admin, job=p).pk for p in previews))
    return [Job.objects.get(pk=pk) for pk in applies]


def test_one_workbook_applied_twice_at_once_is_imported_once(qingxi_admin):
    """Two uploads of one county's first workbook, both confirmed at the same moment:
    one apply creates the cycle and everything in it, the other waits for it and then
    finds nothing to change — no half-made twin, no unexpected error."""
    data = workbook()
    first, second = preview(qingxi_admin, data), preview(qingxi_admin, data)

    applies = confirm_at_once(qingxi_admin, first, second)

    assert {job.state for job in applies} == {JobState.DONE}
    assert sorted(job.message for job in applies) == ["导入完成。", "导入完成，数据没有变化。"]
    cycle = Cycle.objects.get()
    assert {job.cycle_id for job in applies} == {cycle.pk}
    assert changes_to_make(data) == {}  # the database holds the workbook, nothing more
    entries = ScoreEntry.objects.filter(participant__cycle=cycle)
    assert entries.count() == SCORE_ROWS - 1  # every score row once
    assert ScoreEntry.history.filter(history_type="+").count() == SCORE_ROWS - 1


def test_two_workbooks_applied_at_once_leave_one_of_them_whole(qingxi_admin):
    """After the county's workbook was imported, two versions of it that differ in every
    score are confirmed at the same moment: both applies finish, one after the other
    (the cycle is imported under its county's lock), and the scores are those of the one
    applied last — all of them, never some of each."""
    base = workbook()
    confirm_at_once(qingxi_admin, preview(qingxi_admin, base))
    ones, twos = workbook(score=1), workbook(score=2)
    previews = [preview(qingxi_admin, ones), preview(qingxi_admin, twos)]

    applies = confirm_at_once(qingxi_admin, *previews)

    assert [(job.state, job.message) for job in applies] == [(JobState.DONE, "导入完成。")] * 2
    left_to_change = sorted((changes_to_make(ones), changes_to_make(twos)), key=len)
    assert left_to_change == [{}, {"评分": SCORE_ROWS - 1}]  # one whole, the other not at all
    assert set(ScoreEntry.objects.values_list("value", flat=True)) in ({Decimal(1)}, {Decimal(2)})
