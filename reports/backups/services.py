"""Backups as jobs (DESIGN §5, docs/operations.md §9): each run writes into
`settings.BACKUP_DIR` a dump of the database — PostgreSQL: `pg_dump -Fc`; SQLite (the
demo): the sqlite3 backup API — and a `.tar.gz` of MEDIA_ROOT without its transient
`outputs/` (what jobs made) and `imports/` (workbooks waiting for a confirmation), then
keeps the newest `settings.BACKUP_KEEP` runs. The schedule starts one every night
(`reports.tasks.backup`); whole-system staff start one from the 后台任务 page; operators
run `manage.py backup`.

- A file is written under a temporary name in the same directory and renamed into place
  only once complete and on disk, so a final name always means a whole file. What a
  killed run leaves is removed by the next one.
- One run at a time per directory (a lock on a file in it, which the kernel drops with
  the process that held it): the schedule, the button and the command may meet.
- Backups never leave the server through the web (they hold password hashes): the job
  records the names, sizes and SHA-256 of its files; operators take them from the disk.
"""

import fcntl
import hashlib
import logging
import os
import re
import sqlite3
import subprocess
import tarfile
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from org.scope import scope_of
from reports.jobs import running
from reports.models import Job, JobKind

logger = logging.getLogger(__name__)

# `backup-<local time>-<job id>` names one run's files; nothing else in the directory is
# ever deleted.
RUN_NAME = re.compile(r"^backup-(\d{8}-\d{6})-(\d+)(?:\.dump|\.sqlite3|-media\.tar\.gz)$")
TEMPORARY_PREFIX = ".partial-"
LOCK_NAME = ".lock"
# Folders of MEDIA_ROOT a restore does without (see the module).
TRANSIENT_MEDIA = ("outputs", "imports")
CHUNK = 1024 * 1024
# How long a copy of the demo's SQLite database waits for a writer, retrying every
# SQLITE_RETRY_SECONDS (Python's backup would otherwise retry for ever).
SQLITE_BUSY_SECONDS = 60
SQLITE_RETRY_SECONDS = 0.25


def may_back_up(user):
    """Backups are of the whole system, so only whole-system scope starts one."""
    return scope_of(user).is_global


def start_backup(actor):
    """立即备份: a backup job of `actor`'s (PermissionDenied unless `may_back_up`)."""
    if not may_back_up(actor):
        raise PermissionDenied
    return running.start_job(kind=JobKind.BACKUP, requested_by=actor, county=None)


def start_scheduled_backup():
    """The nightly backup (`reports.tasks.backup`): a job of nobody's."""
    return running.start_job(kind=JobKind.BACKUP, requested_by=None, county=None)


def back_up_now():
    """A backup run here and now (`manage.py backup`), whatever the broker: recorded as a
    job of nobody's, returned finished."""
    job = Job.objects.create(kind=JobKind.BACKUP, message=_("排队中"))
    running.run_job(job.pk)
    job.refresh_from_db()
    return job


def run_backup(job):
    """The work of a backup job (see the module). Returns its message and
    `{"directory", "files": [{"name", "size", "sha256"}], "removed": [names]}`; a run
    that cannot be made raises a ValidationError saying why, and leaves no file."""
    directory = Path(settings.BACKUP_DIR)
    stamp = f"backup-{timezone.localtime():%Y%m%d-%H%M%S}-{job.pk}"
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with _one_run_at_a_time(directory):
            _remove_temporaries(directory)
            files = _write_together(
                directory,
                job,
                [
                    (f"{stamp}{_database_suffix()}", _dump_database, _("正在导出数据库")),
                    (f"{stamp}-media.tar.gz", _archive_media, _("正在打包上传文件")),
                ],
            )
            removed = _prune(directory, keep=max(settings.BACKUP_KEEP, 1))
    except OSError:
        logger.exception("Backup into %s failed", directory)
        raise ValidationError(
            _(
                "备份失败：读写文件时出错（详情见服务器日志），没有留下新的备份文件。"
                "请检查备份目录 %(directory)s 的权限和磁盘空间。"
            )
            % {"directory": directory}
        ) from None
    database, media = files
    message = _(
        "已备份数据库（%(database)s）和上传文件（%(media)s），保存在服务器目录 %(directory)s。"
    ) % {
        "database": filesizeformat(database["size"]),
        "media": filesizeformat(media["size"]),
        "directory": directory,
    }
    return message, {"directory": str(directory), "files": files, "removed": removed}


def register():
    running.register_work(
        JobKind.BACKUP,
        run_backup,
        failed=gettext_lazy(
            "备份时发生意外错误，没有留下新的备份文件。请查看服务器日志；"
            "如仍失败，请联系系统管理员。"
        ),
        abandoned=gettext_lazy("备份中断（处理进程已停止），没有留下新的备份文件。请重新备份。"),
    )


# ------------------------------------------------------------------ writing the files


@contextmanager
def _one_run_at_a_time(directory):
    with open(directory / LOCK_NAME, "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ValidationError(_("另一次备份正在进行，请等它完成后再试。")) from None
        yield


def _remove_temporaries(directory):
    """What a killed run left (only a run holding the lock writes temporaries)."""
    for leftover in directory.glob(f"{TEMPORARY_PREFIX}*"):
        leftover.unlink(missing_ok=True)


def _write_together(directory, job, parts):
    """Make each `(name, make, progress message)` part under a temporary name, then
    rename them all into place: a run that fails halfway leaves none of its files."""
    temporaries = []
    try:
        files = []
        for index, (name, make, doing) in enumerate(parts):
            running.report_progress(job.pk, 10 + 80 * index // len(parts), doing)
            temporary = directory / f"{TEMPORARY_PREFIX}{name}"
            temporaries.append(temporary)
            make(temporary)
            # The files hold password hashes: readable by the app's own user only.
            temporary.chmod(0o600)
            files.append({"name": name, **_seal(temporary)})
        for temporary, file in zip(temporaries, files, strict=True):
            temporary.replace(directory / file["name"])
        _sync_directory(directory)
        return files
    finally:
        for temporary in temporaries:
            temporary.unlink(missing_ok=True)


def _seal(path):
    """Size and SHA-256 of a finished file, flushed to disk before it gets its name."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(CHUNK):
            digest.update(chunk)
        os.fsync(file.fileno())
    return {"size": path.stat().st_size, "sha256": digest.hexdigest()}


def _sync_directory(directory):
    """The renames themselves reach the disk (a crash right after keeps the names)."""
    handle = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def _prune(directory, keep):
    """Delete every run but the newest `keep`; returns the names deleted."""
    runs = {}
    for path in directory.iterdir():
        match = RUN_NAME.match(path.name)
        if match:
            runs.setdefault((match[1], int(match[2])), []).append(path)
    removed = []
    for run in sorted(runs, reverse=True)[keep:]:
        for path in runs[run]:
            path.unlink(missing_ok=True)
            removed.append(path.name)
    return sorted(removed)


# ------------------------------------------------------------------ the database


def _database_suffix():
    return ".sqlite3" if connection.vendor == "sqlite" else ".dump"


def _dump_database(target):
    if connection.vendor == "postgresql":
        _dump_postgresql(target)
    elif connection.vendor == "sqlite":
        _copy_sqlite(settings.DATABASES["default"]["NAME"], target)
    else:
        raise ValidationError(
            _("不支持备份这种数据库（%(vendor)s）。") % {"vendor": connection.vendor}
        )


def _dump_postgresql(target):
    """`pg_dump -Fc` of the product's database; the password goes through the
    environment, never the command line (which every user of the machine can read)."""
    database = settings.DATABASES["default"]
    command = ["pg_dump", "-Fc", "--no-password", "--file", str(target)]
    for option, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if database.get(key):
            command += [option, str(database[key])]
    command += ["--dbname", database["NAME"]]
    environment = dict(os.environ)
    if database.get("PASSWORD"):
        environment["PGPASSWORD"] = database["PASSWORD"]
    try:
        done = subprocess.run(command, env=environment, capture_output=True, check=False)
    except OSError:
        logger.exception("pg_dump could not be started")
        raise ValidationError(
            _(
                "找不到或无法运行 pg_dump，数据库没有备份。请在服务器上安装 PostgreSQL 客户端"
                "（postgresql-client，版本不低于数据库服务器）。"
            )
        ) from None
    if done.returncode != 0:
        # Its words may name hosts and accounts: for the log, not for the page.
        logger.error(
            "pg_dump exited with %s: %s",
            done.returncode,
            done.stderr.decode(errors="replace").strip(),
        )
        raise ValidationError(
            _("数据库备份失败：pg_dump 报告了错误（详情见服务器日志），没有留下备份文件。")
        )


def _copy_sqlite(name, target):
    """A consistent copy of what the demo's SQLite database `name` holds committed (the
    sqlite3 backup API), through a read-only connection of its own: a transaction open
    on Django's connection neither blocks it nor ends up in it. A writer committing at
    that moment is waited for, `SQLITE_BUSY_SECONDS` at most."""
    waits = 0

    def give_up_when_busy_too_long(status, remaining, total):
        nonlocal waits
        if status in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            waits += 1
            if waits * SQLITE_RETRY_SECONDS > SQLITE_BUSY_SECONDS:
                raise ValidationError(_("数据库一直忙于写入，备份未能完成。请稍后重试。"))

    source = sqlite3.connect(f"{Path(name).resolve().as_uri()}?mode=ro", uri=True)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy, progress=give_up_when_busy_too_long, sleep=SQLITE_RETRY_SECONDS)
    finally:
        copy.close()
        source.close()


# ------------------------------------------------------------------ uploaded files


def _archive_media(target):
    """MEDIA_ROOT as `media/…` (what the restore unpacks into the folder above it),
    without the transient folders nor, should it lie inside, the backup directory."""
    root = Path(settings.MEDIA_ROOT)
    skipped = {f"media/{folder}" for folder in TRANSIENT_MEDIA}
    backups = Path(settings.BACKUP_DIR).resolve()
    if backups.is_relative_to(root.resolve()):
        skipped.add(f"media/{backups.relative_to(root.resolve()).as_posix()}")

    def keep(member):
        return None if member.name in skipped else member

    with tarfile.open(target, "w:gz") as archive:
        if root.is_dir():
            archive.add(root, arcname="media", filter=keep)
