"""Excel interchange in the browser (SPEC §4, §5): upload, the check report or the
preview of what will change, confirm; partial imports from a cycle's page; the job
that runs it (states, progress, idempotency, failure); who may do what (DESIGN §4);
the empty template and the results workbook as downloads."""

import io
import logging
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from unittest import mock
from urllib.parse import quote

import openpyxl
import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from assessment import services as cycles
from assessment.models import Cycle, CycleStatus
from assessment.services import mark_inputs_changed
from org.models import OrgUnit, OrgUnitKind
from org.scope import Role
from reports import tasks
from reports.excel.errors import CellError, ImportRejected
from reports.excel.importer import ImportOutcome, SheetChanges
from reports.excel.layout import PARTIAL_SHEETS, SHEETS
from reports.excel.template import TEMPLATE_FILENAME
from reports.jobs import imports, running, sweeper
from reports.models import Job, JobKind, JobState
from scoring.models import ScoreEntry, Source
from scoring.services import current_results, results_are_stale
from tests.conftest import person
from tests.factories import OrgUnitFactory, complete_scoring, fresh_cycle, open_seed_cycle

# One world and one cycle for the module; each test runs in a savepoint inside them.
pytestmark = pytest.mark.usefixtures("shared_world")

SAMPLE = Path(__file__).resolve().parent.parent / "fixtures" / "sample-county.xlsx"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


def stored_files(media):
    return [p for p in media.rglob("*") if p.is_file()]


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """Run what the request queued once it commits (the job, in-process: no broker)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Run a job as a worker does, outside any transaction: what it leaves for the
    commit (deleting a spent workbook) happens at once."""

    def run_job(job_id):
        with django_capture_on_commit_callbacks(execute=True):
            return running.run_job(job_id)

    return run_job


@pytest.fixture
def qingxi_admin(db):
    """The admin of the sample workbook's county (青溪县, 360400), which exists already:
    a county's admin imports only into their own county."""
    county = OrgUnitFactory(code="360400", name="青溪县", kind=OrgUnitKind.COUNTY)
    return person(Role.ADMIN, county, "admin_qx", "青溪管理员")


def xlsx(name, data):
    return SimpleUploadedFile(name, data, content_type=XLSX)


def sample_upload():
    return xlsx("sample-county.xlsx", SAMPLE.read_bytes())


def workbook_bytes(book):
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def changes_of(response):
    return {row.sheet: row for row in response.context["changes"]}


def upload_whole(client, run_on_commit, upload):
    with run_on_commit():
        response = client.post(reverse("import-start"), {"file": upload})
    assert response.status_code == 302, response.content.decode()[:2000]
    return Job.objects.get(pk=response.url.rstrip("/").rsplit("/", 1)[1])


def confirm(client, run_on_commit, preview):
    with run_on_commit():
        response = client.post(reverse("import-confirm", args=[preview.pk]))
    assert response.status_code == 302
    return Job.objects.get(pk=response.url.rstrip("/").rsplit("/", 1)[1])


# --------------------------------------------------------------- whole cycle, pages


def test_an_admin_uploads_a_county_workbook_checks_the_preview_and_confirms_it(
    qingxi_admin, client, run_on_commit, media
):
    client.force_login(qingxi_admin)
    assert client.get(reverse("import-start")).status_code == 200
    preview = upload_whole(client, run_on_commit, sample_upload())

    assert (preview.kind, preview.state, preview.errors) == (
        JobKind.IMPORT_PREVIEW,
        JobState.DONE,
        [],
    )
    assert not Cycle.objects.exists()  # a preview writes nothing
    page = client.get(reverse("import-job", args=[preview.pk]))
    text = page.content.decode()
    counts = changes_of(page)
    assert list(counts) == [s for s in SHEETS if s in counts]  # workbook order
    assert counts["书记"].created == 40
    assert counts["评分"].created == 2561
    assert 'data-testid="confirm-import"' in text
    assert "hx-trigger" not in text  # finished: nothing to poll
    assert stored_files(media)  # kept until confirmed

    applied = confirm(client, run_on_commit, preview)
    cycle = Cycle.objects.get()
    assert (applied.kind, applied.state, applied.preview) == (
        JobKind.IMPORT_APPLY,
        JobState.DONE,
        preview,
    )
    assert (applied.cycle, applied.county.code) == (cycle, "360400")
    assert applied.result["changes"] == preview.result["changes"]  # as previewed
    assert cycle.participants.count() == 40
    assert ScoreEntry.objects.filter(participant__cycle=cycle).count() == 2561
    page = client.get(reverse("import-job", args=[applied.pk])).content.decode()
    assert "导入完成" in page
    assert reverse("ranking", args=[cycle.pk]) in page
    assert not stored_files(media)  # the workbook is gone once applied
    assert not results_are_stale(Cycle.objects.get(pk=cycle.pk))  # recomputed on commit
    # The preview now points at what it led to instead of offering the button again.
    page = client.get(reverse("import-job", args=[preview.pk])).content.decode()
    assert 'data-testid="confirm-import"' not in page
    assert reverse("import-job", args=[applied.pk]) in page


def test_the_same_workbook_imported_again_changes_nothing_and_needs_no_confirmation(
    qingxi_admin, client, run_on_commit, media
):
    client.force_login(qingxi_admin)
    jobs_before = confirm(
        client, run_on_commit, upload_whole(client, run_on_commit, sample_upload())
    )
    assert jobs_before.state == JobState.DONE

    again = upload_whole(client, run_on_commit, sample_upload())
    page = client.get(reverse("import-job", args=[again.pk]))
    counts = changes_of(page)
    assert all(not row.touched for row in counts.values())
    assert counts["评分"].unchanged == 2561
    text = page.content.decode()
    assert "无需导入" in text
    assert 'data-testid="confirm-import"' not in text
    with pytest.raises(ValidationError):
        imports.confirm_import(actor=qingxi_admin, job=again)
    assert not stored_files(media)


def refused_sample():
    """The sample with two faults: an event status that is not one of the three (事项
    row 3, column E) and a score above its leaf's points (评分 row 17, column E)."""
    book = openpyxl.load_workbook(SAMPLE)
    book["事项"]["E3"] = "待定"
    scores = book["评分"]
    leaf = scores["B17"].value
    points = {row[0]: row[3] for row in book["指标"].iter_rows(min_row=2, values_only=True)}
    scores["E17"] = float(points[leaf]) + 1.5
    return xlsx("有错误的文件.xlsx", workbook_bytes(book)), points[leaf]


def test_a_refused_workbook_lists_every_fault_by_cell_in_workbook_order_and_writes_nothing(
    qingxi_admin, client, run_on_commit, media
):
    client.force_login(qingxi_admin)
    upload, points = refused_sample()
    units_before = OrgUnit.objects.count()
    preview = upload_whole(client, run_on_commit, upload)

    assert preview.state == JobState.DONE and len(preview.errors) == 2
    page = client.get(reverse("import-job", args=[preview.pk]))
    text = page.content.decode()
    refs = [e["ref"] for e in page.context["errors"]]
    assert refs == ["事项!E3", "评分!E17"]  # 事项 comes before 评分 in the workbook
    assert "发现 2 处问题" in text
    for ref in refs:
        assert ref in text
    score_fault = page.context["errors"][1]
    assert (score_fault["sheet"], score_fault["row"], score_fault["column"]) == ("评分", 17, "分数")
    assert str(Decimal(str(points))) in score_fault["message"]
    assert "修改后重新上传" in text and reverse("import-start") in text
    assert 'data-testid="confirm-import"' not in text
    assert not Cycle.objects.exists()
    assert OrgUnit.objects.count() == units_before
    assert not stored_files(media)  # nothing left to confirm: the file is deleted
    with pytest.raises(ValidationError):
        imports.confirm_import(actor=qingxi_admin, job=preview)


def test_an_admin_cannot_import_a_county_they_do_not_administer(world, client, run_on_commit):
    client.force_login(world.admin_a)
    preview = upload_whole(client, run_on_commit, sample_upload())
    messages = " ".join(e["message"] for e in preview.errors)
    assert "360400" in messages and "管理员" in messages
    assert not Cycle.objects.exists()


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("空文件.xlsx", b"", "空"),
        ("旧格式.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"0" * 100, "另存为"),
        ("假的.xlsx", b"not a workbook at all", "不是 Excel 工作簿"),
    ],
)
def test_what_is_not_an_xlsx_workbook_is_refused_at_the_upload(
    world, client, media, name, data, message
):
    client.force_login(world.admin_a)
    response = client.post(reverse("import-start"), {"file": xlsx(name, data)})
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors["file"])
    assert not Job.objects.exists()
    assert not stored_files(media)


def test_a_workbook_over_the_size_limit_is_refused_before_it_is_stored(
    world, client, media, settings
):
    settings.EXCEL_LIMITS = {"max_bytes": 1024}
    client.force_login(world.admin_a)
    response = client.post(reverse("import-start"), {"file": sample_upload()})
    errors = " ".join(response.context["form"].errors["file"]).replace("\xa0", " ")
    assert "超过 1.0 KB 的上限" in errors
    assert not Job.objects.exists() and not stored_files(media)


# ------------------------------------------------------------------ partial imports


@pytest.fixture(scope="module")
def module_cycle(shared_world):
    return open_seed_cycle(shared_world.county_a)


@pytest.fixture
def cycle(module_cycle, db):
    return fresh_cycle(module_cycle)


def scores_workbook(cycle, rows, extra_sheets=()):
    """A workbook with a 评分 sheet (and other sheets with only a header)."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "评分"
    sheet.append([c.header for c in SHEETS["评分"]])
    for row in rows:
        sheet.append(row)
    for name in extra_sheets:
        book.create_sheet(name).append([c.header for c in SHEETS[name]])
    return xlsx("评分.xlsx", workbook_bytes(book))


def test_the_cycle_page_offers_partial_imports_to_those_who_manage_the_cycle(world, cycle, login):
    url = reverse("cycle-import", args=[cycle.pk])
    assert (
        url
        in login(world.county_assessor_a)
        .get(reverse("cycle-detail", args=[cycle.pk]))
        .content.decode()
    )
    assert (
        url
        not in login(world.town_assessor_a)
        .get(reverse("cycle-detail", args=[cycle.pk]))
        .content.decode()
    )
    page = login(world.county_assessor_a).get(url)
    text = page.content.decode()
    for sheet in PARTIAL_SHEETS:
        assert f'value="{sheet}"' in text
    assert reverse("import-template") in text


def test_a_county_assessor_imports_only_scores_into_a_cycle(world, cycle, login, run_on_commit):
    client = login(world.county_assessor_a)
    leaf = cycle.frozen_template.nodes.get(name="违建管控")
    upload = scores_workbook(
        cycle,
        [
            ["SA1", leaf.code, "组织", "county_a", 2.5, None],
            ["SA2", leaf.code, "组织", "county_a", 3, None],
        ],
        extra_sheets=["事项"],
    )
    with run_on_commit():
        response = client.post(
            reverse("cycle-import", args=[cycle.pk]), {"only": ["评分"], "file": upload}
        )
    preview = Job.objects.get()
    assert response.url == reverse("import-job", args=[preview.pk])
    assert (preview.cycle, preview.county, preview.only) == (cycle, world.county_a, ["评分"])
    page = client.get(response.url)
    counts = changes_of(page)
    assert list(counts) == ["评分"]  # the 事项 sheet in the file was not read
    assert counts["评分"].created == 2
    assert not ScoreEntry.objects.filter(leaf=leaf).exists()
    assert reverse("cycle-import", args=[cycle.pk]) in page.content.decode()

    applied = confirm(client, run_on_commit, preview)
    assert applied.state == JobState.DONE, applied.result
    values = set(
        ScoreEntry.objects.filter(leaf=leaf, source=Source.ORG).values_list(
            "participant__secretary__staff_no", "value"
        )
    )
    assert values == {("SA1", Decimal("2.5")), ("SA2", Decimal("3"))}


def test_a_partial_import_needs_a_sheet_chosen(world, cycle, login, media):
    client = login(world.county_assessor_a)
    response = client.post(
        reverse("cycle-import", args=[cycle.pk]), {"file": scores_workbook(cycle, [])}
    )
    assert response.status_code == 200
    assert "请至少选择一个要导入的工作表。" in response.context["form"].errors["only"]
    assert not Job.objects.exists() and not stored_files(media)


def test_a_partial_import_shows_the_faults_of_the_chosen_sheet(world, cycle, login, run_on_commit):
    client = login(world.county_assessor_a)
    leaf = cycle.frozen_template.nodes.get(name="违建管控")
    upload = scores_workbook(cycle, [["S404", leaf.code, "组织", "county_a", 1, None]])
    with run_on_commit():
        client.post(reverse("cycle-import", args=[cycle.pk]), {"only": ["评分"], "file": upload})
    page = client.get(reverse("import-job", args=[Job.objects.get().pk]))
    refs = [e["ref"] for e in page.context["errors"]]
    assert refs and refs[0].startswith("评分!A2")
    assert not ScoreEntry.objects.filter(leaf=leaf).exists()


def test_a_published_cycle_takes_no_import(world, cycle, login, media):
    client = login(world.county_assessor_a)
    preview = clean_preview(world.county_assessor_a, media, county=world.county_a, cycle=cycle)
    Cycle.objects.filter(pk=cycle.pk).update(status=CycleStatus.PUBLISHED)
    url = reverse("cycle-import", args=[cycle.pk])
    page = client.get(url).content.decode()
    assert 'data-testid="read-only"' in page and 'data-testid="cycle-import-form"' not in page
    response = client.post(url, {"only": ["评分"], "file": scores_workbook(cycle, [])})
    assert "不能再导入修改" in " ".join(response.context["form"].errors["file"])
    with pytest.raises(ValidationError, match="不能再导入修改"):
        imports.confirm_import(actor=world.county_assessor_a, job=preview)
    assert Job.objects.count() == 1


# ---------------------------------------------------------------- the job and its page


def queued_job(user, media, *, kind=JobKind.IMPORT_PREVIEW, cycle=None, **fields):
    """A job with a stored workbook, as `start_import` leaves it."""
    data = SAMPLE.read_bytes()
    job = Job(
        kind=kind,
        requested_by=user,
        county=cycle.county if cycle else None,
        cycle=cycle,
        options={"only": ["评分"] if cycle else [], "cycle": cycle.pk if cycle else None},
        upload_name="sample-county.xlsx",
        upload_size=len(data),
        upload_sha256=imports._sha256([data]),
        **fields,
    )
    job.upload.save("import", io.BytesIO(data), save=False)
    job.save()
    return job


def outcome(applied=False, created=3):
    return ImportOutcome(
        cycle_id=None,
        changes={"评分": SheetChanges(created=created, unchanged=5)},
        warnings=["S007 无自评"],
        applied=applied,
    )


def test_the_job_page_polls_every_second_while_the_job_runs_and_stops_when_it_ends(
    world, login, media
):
    client = login(world.admin_a)
    job = queued_job(world.admin_a, media, state=JobState.RUNNING)
    status_url = reverse("import-job-status", args=[job.pk])
    page = client.get(reverse("import-job", args=[job.pk])).content.decode()
    assert f'hx-get="{status_url}"' in page and 'hx-trigger="every 1s"' in page

    running.report_progress(job.pk, 65, "正在写入事项与数据")
    fragment = client.get(status_url).content.decode()
    assert "65%" in fragment and "正在写入事项与数据" in fragment
    assert 'hx-trigger="every 1s"' in fragment

    Job.objects.filter(pk=job.pk).update(
        state=JobState.DONE,
        finished_at=timezone.now(),
        result=outcome().as_dict(),
        message="检查通过",
    )
    fragment = client.get(status_url).content.decode()
    assert "hx-trigger" not in fragment
    assert 'data-testid="confirm-import"' in fragment
    assert "S007 无自评" in fragment


def test_running_a_job_reports_progress_through_the_cache_while_the_row_waits(world, media):
    job = queued_job(world.admin_a, media)
    seen = {}

    def fake_import(source, *, progress, dry_run, **kwargs):
        progress(50, "正在写入")
        row = Job.objects.get(pk=job.pk)
        seen["state"] = row.state
        seen["row"] = row.progress  # the apply phase's transaction hides row writes
        seen["page"] = running.job_progress(row)
        seen["dry_run"] = dry_run
        return outcome()

    with mock.patch("reports.jobs.imports.import_workbook", side_effect=fake_import):
        running.run_job(job.pk)
    assert seen == {
        "state": JobState.RUNNING,
        "row": 0,
        "page": (50, "正在写入"),
        "dry_run": True,
    }
    job.refresh_from_db()
    assert (job.state, job.progress) == (JobState.DONE, 100)
    assert job.started_at <= job.finished_at
    assert job.result["changes"]["评分"]["created"] == 3
    assert running.job_progress(job) == (100, job.message)
    assert cache.get(running.PROGRESS_KEY.format(job.pk)) is None


def test_a_finished_job_is_never_run_again(world, media):
    job = queued_job(world.admin_a, media)
    with mock.patch("reports.jobs.imports.import_workbook", return_value=outcome()) as importer:
        running.run_job(job.pk)
        finished = Job.objects.get(pk=job.pk)
        assert running.run_job(job.pk) is None
        assert tasks.run_job.apply(args=[job.pk]).get() is None
    assert importer.call_count == 1
    assert Job.objects.get(pk=job.pk).version == finished.version


def test_a_job_whose_worker_vanished_runs_again(world, media):
    job = queued_job(world.admin_a, media, state=JobState.RUNNING, progress=40)
    with mock.patch("reports.jobs.imports.import_workbook", return_value=outcome()):
        assert tasks.run_job.apply(args=[job.pk]).get() == JobState.DONE


def test_a_superseded_run_never_overwrites_the_result_of_the_run_that_holds_the_job(world, media):
    """Two deliveries of one job (the first thought dead): the run that claimed it last
    records the result; the earlier one, finishing later, changes nothing."""
    job = queued_job(world.admin_a, media, state=JobState.RUNNING, progress=40)
    stale = Job.objects.get(pk=job.pk)  # as the first run saw it
    with mock.patch("reports.jobs.imports.import_workbook", return_value=outcome()):
        running.run_job(job.pk)
    done = Job.objects.get(pk=job.pk)
    running.finish(stale, JobState.FAILED, "late failure", {})
    after = Job.objects.get(pk=job.pk)
    assert (after.state, after.message, after.version) == (
        JobState.DONE,
        done.message,
        done.version,
    )


def test_the_task_is_acknowledged_late():
    assert tasks.run_job.acks_late is True


def test_an_unexpected_error_fails_the_job_with_a_general_message_and_logs_it(
    world, media, caplog, run
):
    job = queued_job(world.admin_a, media)
    with (
        mock.patch(
            "reports.jobs.imports.import_workbook", side_effect=RuntimeError("disk on fire")
        ),
        caplog.at_level(logging.ERROR, logger="reports.jobs.running"),
    ):
        run(job.pk)
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    assert "意外错误" in job.message and "disk on fire" not in job.message
    assert "disk on fire" in caplog.text
    assert not stored_files(media) and not job.upload


def test_a_refused_workbook_ends_the_job_with_every_fault(world, media, run):
    job = queued_job(world.admin_a, media)
    faults = [CellError("评分", 17, "分数", "分数 7.5 超过该指标分值 6", "E")]
    with mock.patch("reports.jobs.imports.import_workbook", side_effect=ImportRejected(faults)):
        run(job.pk)
    job.refresh_from_db()
    assert job.state == JobState.DONE
    assert job.errors == [faults[0].as_dict()]
    assert job.errors[0]["ref"] == "评分!E17"
    assert not stored_files(media)


def test_a_partial_job_runs_only_while_its_requester_may_manage_the_cycle(world, cycle, media):
    job = queued_job(world.county_assessor_a, media, cycle=cycle)
    world.county_assessor_a.memberships.update(is_active=False)
    with mock.patch("reports.jobs.imports.import_workbook") as importer:
        running.run_job(job.pk)
    importer.assert_not_called()
    job.refresh_from_db()
    assert [e["message"] for e in job.errors] == ["您无权向该考核周期导入数据。"]


# ------------------------------------------------------------------------ confirming


def clean_preview(user, media, **fields):
    job = queued_job(user, media)
    with mock.patch("reports.jobs.imports.import_workbook", return_value=outcome()):
        running.run_job(job.pk)
    Job.objects.filter(pk=job.pk).update(**fields)
    return Job.objects.get(pk=job.pk)


def test_a_preview_that_would_change_nothing_or_found_faults_cannot_be_confirmed(world, media):
    faulty = clean_preview(world.admin_a, media, result={"errors": [{"ref": "评分!E2"}]})
    idle = clean_preview(world.admin_a, media, result=outcome(created=0).as_dict())
    running = queued_job(world.admin_a, media)
    for job in (faulty, idle, running):
        with pytest.raises(ValidationError):
            imports.confirm_import(actor=world.admin_a, job=job)
    assert not Job.objects.filter(kind=JobKind.IMPORT_APPLY).exists()


def test_a_preview_older_than_the_confirmation_window_is_refused(world, media, login):
    stale = timezone.now() - imports.CONFIRM_WITHIN - timedelta(minutes=1)
    preview = clean_preview(world.admin_a, media, finished_at=stale)
    with pytest.raises(ValidationError, match="12 小时"):
        imports.confirm_import(actor=world.admin_a, job=preview)
    page = login(world.admin_a).get(reverse("import-job", args=[preview.pk])).content.decode()
    assert 'data-testid="confirm-expired"' in page


def test_a_stored_file_that_changed_or_vanished_is_refused(world, media):
    preview = clean_preview(world.admin_a, media)
    Path(preview.upload.path).write_bytes(b"PK\x03\x04 something else")
    with pytest.raises(ValidationError, match="重新上传"):
        imports.confirm_import(actor=world.admin_a, job=preview)
    Path(preview.upload.path).unlink()
    with pytest.raises(ValidationError, match="重新上传"):
        imports.confirm_import(actor=world.admin_a, job=preview)


def test_the_requester_or_an_admin_of_the_county_confirms_nobody_else(
    world, cycle, media, django_capture_on_commit_callbacks
):
    other_assessor = person(Role.COUNTY_ASSESSOR, world.county_a, "county_a2", "县考核员乙")
    preview = clean_preview(world.county_assessor_a, media, county=world.county_a, cycle=cycle)
    for outsider in (other_assessor, world.split_person, world.town_assessor_a):
        with pytest.raises(PermissionDenied):
            imports.confirm_import(actor=outsider, job=preview)
    with (
        mock.patch.object(running, "enqueue") as enqueue,
        django_capture_on_commit_callbacks(execute=True),
    ):
        applied = imports.confirm_import(actor=world.admin_a, job=preview)
        enqueue.assert_not_called()  # the apply runs once the confirmation commits
    enqueue.assert_called_once_with(applied.pk)
    assert (applied.requested_by, applied.preview, applied.upload.name) == (
        world.admin_a,
        preview,
        preview.upload.name,
    )
    assert imports.confirm_import(actor=world.county_assessor_a, job=preview) == applied


def test_confirming_applies_the_file_and_then_deletes_it(world, media, run):
    preview = clean_preview(world.admin_a, media)
    assert stored_files(media)
    applied = imports.confirm_import(actor=world.admin_a, job=preview)
    with mock.patch(
        "reports.jobs.imports.import_workbook", return_value=outcome(applied=True)
    ) as importer:
        run(applied.pk)
    assert importer.call_args.kwargs["dry_run"] is False
    assert not stored_files(media)
    assert not Job.objects.get(pk=preview.pk).upload


def test_the_sweep_fails_abandoned_jobs_and_deletes_unconfirmed_previews(
    world, media, django_capture_on_commit_callbacks
):
    long_ago = timezone.now() - timedelta(days=1)
    abandoned = queued_job(world.admin_a, media, state=JobState.RUNNING)
    expired = clean_preview(world.admin_a, media, finished_at=long_ago)
    fresh = clean_preview(world.admin_a, media)
    Job.objects.filter(pk=abandoned.pk).update(created_at=long_ago)
    with django_capture_on_commit_callbacks(execute=True):
        sweeper.sweep_jobs()
    abandoned.refresh_from_db()
    assert abandoned.state == JobState.FAILED and "中断" in abandoned.message
    assert not Job.objects.get(pk=expired.pk).upload
    assert Job.objects.get(pk=fresh.pk).upload
    assert [p.name for p in stored_files(media)] == [Path(fresh.upload.name).name]


# ------------------------------------------------------------------------ who sees what


def test_imports_are_for_admins_and_county_assessors(world, login):
    for persona in ("town_assessor_a", "observer_a", "secretary_a1"):
        client = login(world.persona(persona))
        assert client.get(reverse("import-list")).status_code == 403, persona
        assert client.get(reverse("import-start")).status_code == 403, persona
    assert login(world.county_assessor_a).get(reverse("import-list")).status_code == 200
    # A whole cycle is its county admins' to import; assessors import parts of cycles.
    assert login(world.county_assessor_a).get(reverse("import-start")).status_code == 403
    listing = login(world.admin_a).get(reverse("import-list")).content.decode()
    assert reverse("import-start") in listing and reverse("import-template") in listing


def test_the_navigation_leads_admins_and_county_assessors_to_imports(world, login):
    def labels(user):
        return [str(i["label"]) for i in login(user).get(reverse("home")).context["nav_items"]]

    assert "数据导入" in labels(world.admin_a)
    assert "数据导入" in labels(world.county_assessor_a)
    assert "数据导入" not in labels(world.town_assessor_a)


def test_jobs_are_seen_by_their_requester_and_their_county_admins_only(world, cycle, media, login):
    job = clean_preview(world.county_assessor_a, media, county=world.county_a, cycle=cycle)
    other_assessor = person(Role.COUNTY_ASSESSOR, world.county_a, "county_a2", "县考核员乙")
    for user in (world.county_assessor_a, world.admin_a):
        client = login(user)
        assert client.get(reverse("import-job", args=[job.pk])).status_code == 200
        assert (
            reverse("import-job", args=[job.pk])
            in client.get(reverse("import-list")).content.decode()
        )
    for user in (other_assessor, world.split_person):
        client = login(user)
        assert client.get(reverse("import-job", args=[job.pk])).status_code == 404
        assert client.post(reverse("import-confirm", args=[job.pk])).status_code == 404
    assert set(Job.objects.for_user(other_assessor)) == set()
    assert not Job.objects.filter(kind=JobKind.IMPORT_APPLY).exists()


def test_partial_imports_of_a_cycle_are_for_those_who_manage_it(world, cycle, login):
    url = reverse("cycle-import", args=[cycle.pk])
    assert login(world.town_assessor_a).get(url).status_code == 403
    assert login(world.secretary_a1).get(url).status_code == 403
    # The split person administers another county: this cycle is not theirs to manage.
    assert login(world.split_person).get(url).status_code == 404
    assert login(world.admin_a).get(url).status_code == 200


def test_the_import_list_costs_a_fixed_number_of_queries(
    world, cycle, media, login, django_assert_max_num_queries
):
    for _i in range(5):
        clean_preview(world.county_assessor_a, media, county=world.county_a, cycle=cycle)
    client = login(world.admin_a)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("import-list"))
    assert len(response.context["jobs"]) == 5


# -------------------------------------------------------------------------- downloads


def assert_xlsx_attachment(response, filename):
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert f"filename*=utf-8''{quote(filename)}" in disposition
    return openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def test_the_empty_template_downloads_with_every_sheet_and_its_headers(world, login):
    for persona in ("admin_a", "county_assessor_a", "town_assessor_a", "observer_a"):
        response = login(world.persona(persona)).get(reverse("import-template"))
        book = assert_xlsx_attachment(response, TEMPLATE_FILENAME)
    assert set(SHEETS) <= set(book.sheetnames)
    for name, columns in SHEETS.items():
        headers = [cell.value for cell in book[name][1]]
        assert [c.header for c in columns] == headers[: len(columns)], name
    assert login(world.secretary_a1).get(reverse("import-template")).status_code == 403


@pytest.fixture
def scored_cycle(world, cycle):
    return complete_scoring(cycle, world.county_assessor_a)


def test_the_results_workbook_downloads_current_results_recomputed_first(
    world, scored_cycle, login
):
    mark_inputs_changed(scored_cycle)
    assert results_are_stale(Cycle.objects.get(pk=scored_cycle.pk))
    response = login(world.county_assessor_a).get(reverse("results-export", args=[scored_cycle.pk]))
    fresh = Cycle.objects.get(pk=scored_cycle.pk)
    book = assert_xlsx_attachment(response, f"2026年度{fresh.county.name}社区书记考核-排名.xlsx")
    assert not results_are_stale(fresh)
    assert book.sheetnames == ["排名", "明细"]
    staff = {row[1] for row in book["排名"].iter_rows(min_row=2, values_only=True)}
    assert staff == {"SA1", "SA2", "SB1"}
    assert current_results(fresh).inputs_version == fresh.inputs_version


def test_the_results_workbook_by_town_adds_a_sheet_per_town(world, scored_cycle, login):
    response = login(world.admin_a).get(
        reverse("results-export", args=[scored_cycle.pk]), {"by_town": "1"}
    )
    book = assert_xlsx_attachment(response, "2026年度青山县社区书记考核-排名（分镇街）.xlsx")
    assert book.sheetnames[:2] == ["排名", "明细"]
    assert {"城关镇", "东湖街道"} <= set(book.sheetnames[2:])


def test_the_results_workbook_is_for_those_who_see_the_whole_county(world, scored_cycle, login):
    url = reverse("results-export", args=[scored_cycle.pk])
    for persona in ("town_assessor_a", "secretary_a1"):
        assert login(world.persona(persona)).get(url).status_code == 403, persona
    # A town's observer and another county's admin reach this cycle but not all of it.
    for persona in ("observer_a", "split_person"):
        assert login(world.persona(persona)).get(url).status_code == 404, persona
    ranking = reverse("ranking", args=[scored_cycle.pk])
    assert url in login(world.admin_a).get(ranking).content.decode()
    assert url not in login(world.town_assessor_a).get(ranking).content.decode()


def test_a_cycle_without_results_has_no_workbook_and_says_why(world, login):
    draft = cycles.create_cycle(actor=None, county=world.county_a, name="草稿周期", year=2026)
    response = login(world.admin_a).get(reverse("results-export", args=[draft.pk]))
    assert response.status_code == 302 and response.url == reverse("ranking", args=[draft.pk])
