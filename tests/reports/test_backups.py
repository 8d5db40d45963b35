"""Backups as jobs (DESIGN §5, docs/operations.md §9): a run writes a restorable dump of
the database and an archive of the uploaded files without the transient folders, each
under its final name only once complete; the newest BACKUP_KEEP runs are kept; a dump
that fails leaves no file and says why in Chinese (pg_dump's own words go to the log);
only whole-system staff start one in the browser, nobody downloads one there; the
schedule runs one every night and `manage.py backup` one now."""

import fcntl
import hashlib
import io
import sqlite3
import subprocess
import tarfile

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from reports import tasks
from reports.backups import services
from reports.models import Job, JobKind, JobState
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def places(settings, tmp_path):
    """BACKUP_DIR and a MEDIA_ROOT holding an evidence file, a job's output and an
    uploaded workbook."""
    settings.BACKUP_DIR = tmp_path / "backups"
    settings.MEDIA_ROOT = tmp_path / "media"
    for name, content in (
        ("evidence/2026/0a1b2c", b"%PDF-1.4 evidence"),
        ("outputs/2026/3d4e5f", b"an export"),
        ("imports/2026/6a7b8c", b"a workbook"),
    ):
        path = settings.MEDIA_ROOT / name
        path.parent.mkdir(parents=True)
        path.write_bytes(content)
    return settings.BACKUP_DIR


@pytest.fixture(autouse=True)
def _sqlite_source(tmp_path, monkeypatch):
    """SQLite's test database lives in memory, where no second connection reads it while
    the test's transaction holds it: there, backups copy a file database instead (the
    copy itself is tested on file databases below)."""
    if connection.vendor == "sqlite":
        source = tmp_path / "source.sqlite3"
        sqlite_database(source).close()
        monkeypatch.setattr(
            services, "_dump_database", lambda target: services._copy_sqlite(str(source), target)
        )


@pytest.fixture
def root():
    """A break-glass account: the only whole-system scope there is."""
    return UserFactory(username="root", is_superuser=True)


def written(directory):
    return sorted(path.name for path in directory.iterdir() if not path.name.startswith("."))


def fake_pg_dump(tmp_path, monkeypatch, script):
    """A `pg_dump` of the test's own on PATH, run on every database (SQLite too)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    program = bin_dir / "pg_dump"
    program.write_text(f"#!/bin/sh\n{script}\n")
    program.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}")
    monkeypatch.setattr(services, "_dump_database", services._dump_postgresql)


def test_a_backup_records_its_files_with_size_and_checksum_readable_by_the_app_alone(places):
    job = services.back_up_now()
    assert job.state == JobState.DONE, job.message
    assert job.requested_by is None and job.county is None
    database, media = job.result["files"]
    assert written(places) == sorted([database["name"], media["name"]])
    for file in (database, media):
        path = places / file["name"]
        assert path.stat().st_size == file["size"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == file["sha256"]
        assert path.stat().st_mode & 0o777 == 0o600
    assert job.message.startswith("已备份数据库") and str(places) in job.message


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_dump needs PostgreSQL")
def test_on_postgresql_the_dump_is_an_archive_pg_restore_reads(places):
    job = services.back_up_now()
    name = job.result["files"][0]["name"]
    assert name.endswith(".dump")
    listing = subprocess.run(
        ["pg_restore", "--list", str(places / name)], capture_output=True, text=True, check=True
    ).stdout
    assert "TABLE public assessment_cycle" in listing


def sqlite_database(path):
    """A file database with one committed row and, on the connection returned, one
    uncommitted."""
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("CREATE TABLE assessment_cycle (name TEXT)")
    writer.execute("INSERT INTO assessment_cycle VALUES ('committed')")
    writer.execute("BEGIN")
    writer.execute("INSERT INTO assessment_cycle VALUES ('uncommitted')")
    return writer


def test_the_demos_sqlite_database_is_copied_as_committed_while_a_writer_is_at_work(tmp_path):
    writer = sqlite_database(tmp_path / "db.sqlite3")
    services._copy_sqlite(str(tmp_path / "db.sqlite3"), tmp_path / "copy.sqlite3")
    writer.close()
    copy = sqlite3.connect(tmp_path / "copy.sqlite3")
    assert copy.execute("SELECT name FROM assessment_cycle").fetchall() == [("committed",)]
    copy.close()


def test_a_sqlite_database_locked_for_too_long_fails_the_copy_in_chinese(tmp_path, monkeypatch):
    writer = sqlite_database(tmp_path / "db.sqlite3")
    writer.execute("COMMIT")
    writer.execute("BEGIN EXCLUSIVE")
    monkeypatch.setattr(services, "SQLITE_BUSY_SECONDS", 0)
    with pytest.raises(ValidationError, match="数据库一直忙于写入，备份未能完成"):
        services._copy_sqlite(str(tmp_path / "db.sqlite3"), tmp_path / "copy.sqlite3")
    writer.close()


def test_the_media_archive_holds_the_uploads_but_not_outputs_nor_imports(places):
    job = services.back_up_now()
    media = job.result["files"][1]["name"]
    assert media.endswith("-media.tar.gz")
    with tarfile.open(places / media) as archive:
        names = archive.getnames()
        evidence = archive.extractfile("media/evidence/2026/0a1b2c").read()
    assert evidence == b"%PDF-1.4 evidence"
    assert not [name for name in names if name.startswith(("media/outputs", "media/imports"))]


def test_only_the_newest_backup_keep_runs_stay_and_nothing_else_is_touched(places, settings):
    settings.BACKUP_KEEP = 2
    places.mkdir()
    older = ["backup-20261101-023000-1", "backup-20261102-023000-2", "backup-20261103-023000-3"]
    for run in older:
        (places / f"{run}.dump").write_bytes(b"old")
        (places / f"{run}-media.tar.gz").write_bytes(b"old")
    (places / "README.txt").write_text("the operator's notes")
    (places / ".partial-backup-20261104-023000-4.dump").write_bytes(b"killed halfway")
    job = services.back_up_now()
    newest = [file["name"] for file in job.result["files"]]
    assert written(places) == sorted(
        ["README.txt", "backup-20261103-023000-3.dump", "backup-20261103-023000-3-media.tar.gz"]
        + newest
    )
    assert job.result["removed"] == sorted(
        f"{run}{suffix}" for run in older[:2] for suffix in (".dump", "-media.tar.gz")
    )
    assert not list(places.glob(".partial-*"))


def test_a_missing_pg_dump_fails_the_job_in_chinese_and_leaves_no_file(
    places, tmp_path, monkeypatch
):
    monkeypatch.setattr(services, "_dump_database", services._dump_postgresql)
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    job = services.back_up_now()
    assert job.state == JobState.FAILED
    assert job.message.startswith("找不到或无法运行 pg_dump，数据库没有备份。")
    assert written(places) == [] and not list(places.glob(".partial-*"))


def test_a_failing_pg_dump_says_so_without_its_words_which_go_to_the_log(
    places, tmp_path, monkeypatch, caplog
):
    fake_pg_dump(
        tmp_path, monkeypatch, 'echo "half a dump" > "$4"; echo "FATAL: db-7 refused" >&2; exit 1'
    )
    job = services.back_up_now()
    assert job.state == JobState.FAILED
    assert job.message == (
        "数据库备份失败：pg_dump 报告了错误（详情见服务器日志），没有留下备份文件。"
    )
    assert "db-7" not in job.message and "FATAL: db-7 refused" in caplog.text
    assert written(places) == [] and not list(places.glob(".partial-*"))


def test_the_password_reaches_pg_dump_through_the_environment_not_its_command_line(
    places, tmp_path, monkeypatch, settings
):
    monkeypatch.setitem(settings.DATABASES["default"], "PASSWORD", "s3cret-pw")
    seen = tmp_path / "seen"
    fake_pg_dump(
        tmp_path, monkeypatch, f'echo "$@" > {seen}; echo "$PGPASSWORD" >> {seen}; echo dump > "$4"'
    )
    job = services.back_up_now()
    assert job.state == JobState.DONE, job.message
    arguments, password = seen.read_text().splitlines()
    assert arguments.startswith("-Fc --no-password --file ") and "s3cret-pw" not in arguments
    assert password == "s3cret-pw"


def test_a_run_that_fails_halfway_leaves_no_file_under_a_final_name(places, monkeypatch):
    def broken(target):
        target.write_bytes(b"half an archive")
        raise RuntimeError("disk gone")

    monkeypatch.setattr(services, "_archive_media", broken)
    job = services.back_up_now()
    assert job.state == JobState.FAILED and job.message.startswith("备份时发生意外错误")
    assert written(places) == [] and not list(places.glob(".partial-*"))


def test_a_second_run_while_one_runs_is_refused(places):
    places.mkdir()
    with open(places / ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        job = services.back_up_now()
    assert job.state == JobState.FAILED
    assert job.message == "另一次备份正在进行，请等它完成后再试。"
    assert written(places) == []


def test_whole_system_staff_start_a_backup_and_see_its_files_but_no_download(
    places, root, login, django_capture_on_commit_callbacks
):
    client = login(root)
    page = client.get(reverse("job-list")).content.decode()
    assert 'data-testid="backup-start"' in page and reverse("job-backup") in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("job-backup"))
    job = Job.objects.get(kind=JobKind.BACKUP)
    assert response.status_code == 302 and response.url == reverse("job-detail", args=[job.pk])
    job.refresh_from_db()
    assert job.state == JobState.DONE and job.requested_by == root
    detail = client.get(response.url).content.decode()
    assert str(places) in detail
    for file in job.result["files"]:
        assert file["name"] in detail
    assert reverse("job-output", args=[job.pk]) not in detail and not job.output


def test_a_county_admin_neither_sees_the_button_nor_reaches_the_route(world, places, login):
    client = login(world.admin_a)
    assert 'data-testid="backup-start"' not in client.get(reverse("job-list")).content.decode()
    assert client.post(reverse("job-backup")).status_code == 404
    assert not Job.objects.filter(kind=JobKind.BACKUP).exists()
    assert not places.exists()


def test_the_nightly_task_starts_a_backup_of_nobodys(places, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job_id = tasks.backup()
    job = Job.objects.get(pk=job_id)
    assert job.kind == JobKind.BACKUP and job.state == JobState.DONE
    assert job.requested_by is None and job.county is None


def test_the_backup_runs_daily_at_half_past_two_from_a_fresh_database(installed_schedules):
    task = PeriodicTask.objects.select_related("crontab").get(task="reports.tasks.backup")
    crontab = task.crontab
    assert task.enabled
    assert (crontab.minute, crontab.hour, crontab.day_of_week) == ("30", "2", "*")
    assert str(crontab.timezone) == "Asia/Shanghai"


def test_the_command_prints_the_paths_it_wrote(places):
    out = io.StringIO()
    call_command("backup", stdout=out)
    paths = out.getvalue().split()
    assert len(paths) == 2 and all(places.joinpath(path).is_file() for path in paths)
    assert Job.objects.get(kind=JobKind.BACKUP).state == JobState.DONE


def test_the_command_fails_with_the_jobs_chinese_message(places, tmp_path, monkeypatch):
    monkeypatch.setattr(services, "_dump_database", services._dump_postgresql)
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    with pytest.raises(CommandError, match="找不到或无法运行 pg_dump"):
        call_command("backup", stdout=io.StringIO())
