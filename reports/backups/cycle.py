"""A backup of one cycle (docs/operations.md §9, `manage.py backup_cycle ID DIR`): what
a county keeps of a finished cycle, or hands on, apart from the whole database. DIR gets

- `workbook.xlsx`: the cycle as the SPEC §4 import workbook
  (`reports.excel.cycle_workbook`), which `import_cycle` reads back;
- `attachments/secretaries/<工号>/<original name>` and
  `attachments/communities/<社区编码>/<original name>`: every evidence file (SPEC §2
  Attachments) of the cycle's participants (self-evaluation, appeals, events) and of
  its communities' key-task progress reports and rectification items, under the name it
  was uploaded with (a second file of the same name in one folder gets " (2)");
- `bulletins/q<quarter>-r<revision>.pdf`, `.xlsx` and `.json`: each version of each
  季度通报 (SPEC §2 Bulletin) as its PDF and workbook, rendered from its stored snapshot,
  and the snapshot itself with the version's number, state and dates;
- `manifest.json`, written last: the cycle (id, name, year, county, status), when the
  backup was made, every file with its size and SHA-256 (an attachment also with its id,
  original name and where MEDIA_ROOT stores it), and the problems met: an attachment
  whose stored file is gone (left out) or no longer has the SHA-256 recorded at upload
  (copied as it is).

Every file is written into a hidden staging folder in DIR (`.partial-…`), flushed to
disk, and moved to its name only once all are complete; the manifest comes last, so a
DIR without one is not a whole backup. A killed run leaves its staging folder, which the
next run into DIR removes. The same data gives the same files: two backups differ only
in the manifest's time.
"""

import json
import re
import shutil
import tempfile
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from evidence.models import Attachment
from reports.backups.services import _seal, _sync_directory
from reports.bulletins import render
from reports.bulletins.workbook import write_workbook
from reports.excel.cycle_workbook import write_cycle_workbook
from reports.models import Bulletin

MANIFEST = "manifest.json"
WORKBOOK = "workbook.xlsx"
STAGING_PREFIX = ".partial-"
# The problems an attachment may have (see the module).
MISSING = "missing"
ALTERED = "altered"
# Linux allows 255 bytes per name; a Chinese character takes three.
NAME_BYTES = 200
UNSAFE_IN_NAME = re.compile(r"[/\\\x00-\x1f\x7f]")


def backup_cycle(cycle, directory, *, force=False):
    """Write the backup of `cycle` into `directory` (see the module); returns the
    manifest. Refused with a ValidationError saying why in Chinese, leaving no file: a
    `directory` that is not a folder or cannot be written, or that holds anything and
    `force` is not given (with `force`, files of the same name are replaced and others
    left as they are)."""
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise ValidationError(_("%(directory)s 不是目录。") % {"directory": directory})
    if not force and _holds_anything(directory):
        raise ValidationError(
            _("目录 %(directory)s 不是空的。请换一个空目录，或加 --force 覆盖其中的同名文件。")
            % {"directory": directory}
        )
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for leftover in directory.glob(f"{STAGING_PREFIX}*"):
            shutil.rmtree(leftover, ignore_errors=True)
        staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=directory))
    except OSError as problem:
        raise ValidationError(
            _("无法写入目录 %(directory)s：%(reason)s")
            % {"directory": directory, "reason": problem.strerror or problem}
        ) from None
    try:
        problems = []
        files = [
            *_workbook(cycle, staging),
            *_attachments(cycle, staging, problems),
            *_bulletins(cycle, staging),
        ]
        manifest = {
            "cycle": {
                "id": cycle.pk,
                "name": cycle.name,
                "year": cycle.year,
                "county": {"code": cycle.county.code, "name": cycle.county.name},
                "status": cycle.status,
                "status_name": cycle.get_status_display(),
            },
            "made_at": timezone.localtime().isoformat(timespec="seconds"),
            "files": sorted(files, key=lambda file: file["path"]),
            "problems": problems,
        }
        (staging / MANIFEST).write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2, cls=DjangoJSONEncoder) + "\n",
            encoding="utf-8",
        )
        _sealed(staging, MANIFEST)
        for file in manifest["files"]:
            target = directory / file["path"]
            target.parent.mkdir(parents=True, exist_ok=True)
            (staging / file["path"]).replace(target)
        # Every folder the files went into, up to DIR, so the new names reach the disk.
        for folder in {parent for file in files for parent in Path(file["path"]).parents}:
            _sync_directory(directory / folder)
        # The manifest last: a backup that has one is whole.
        (staging / MANIFEST).replace(directory / MANIFEST)
        _sync_directory(directory)
        return manifest
    except OSError as problem:
        raise ValidationError(
            _("备份失败：读写文件时出错（%(reason)s）。请检查目录 %(directory)s 的权限和磁盘空间。")
            % {"reason": problem.strerror or problem, "directory": directory}
        ) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _holds_anything(directory):
    """Anything in `directory` but what a killed run left."""
    return directory.is_dir() and any(
        not path.name.startswith(STAGING_PREFIX) for path in directory.iterdir()
    )


def _sealed(staging, path, **about):
    """The manifest's entry of the finished file `path` (relative to `staging`): made
    readable by its owner only (it holds people's names and scores) and on disk."""
    (staging / path).chmod(0o600)
    return {"path": path, **_seal(staging / path), **about}


def _workbook(cycle, staging):
    rows = write_cycle_workbook(cycle, staging / WORKBOOK)
    yield _sealed(staging, WORKBOOK, kind="workbook", rows=rows)


def _attachments(cycle, staging, problems):
    attachments = (
        Attachment.objects.filter(
            Q(participant__cycle=cycle)
            | Q(progress_report__assignment__task__cycle=cycle)
            | Q(rectification__cycle=cycle)
        )
        .select_related("participant__secretary", "community", "leaf")
        .order_by("pk")
    )
    taken = set()
    for attachment in attachments:
        about = {
            "attachment": attachment.pk,
            "original_name": attachment.original_name,
            "stored_as": attachment.file.name,
        }
        try:
            source = attachment.file.storage.open(attachment.file.name, "rb")
        except FileNotFoundError:
            problems.append({**about, "problem": MISSING})
            continue
        if attachment.participant_id:
            owner = {"secretary": attachment.participant.secretary.staff_no}
            folder = f"attachments/secretaries/{_safe_name(owner['secretary'])}"
        else:
            owner = {"community": attachment.community.code}
            folder = f"attachments/communities/{_safe_name(owner['community'])}"
        path = _free_path(folder, _safe_name(attachment.original_name), taken)
        (staging / path).parent.mkdir(parents=True, exist_ok=True)
        with source, open(staging / path, "wb") as copy:
            shutil.copyfileobj(source, copy)
        entry = _sealed(
            staging,
            path,
            kind="attachment",
            **about,
            **owner,
            attached_to=_attached_to(attachment),
        )
        if entry["sha256"] != attachment.sha256:
            problems.append({**about, "problem": ALTERED})
        yield entry


def describe(problem):
    """A problem of the manifest in Chinese, for the operator."""
    if problem["problem"] == MISSING:
        text = _("附件 %(id)d“%(name)s”的文件 %(stored)s 不存在，未能备份。")
    else:
        text = _("附件 %(id)d“%(name)s”的文件 %(stored)s 与上传时的 SHA-256 不符，已按现状备份。")
    return text % {
        "id": problem["attachment"],
        "name": problem["original_name"],
        "stored": problem["stored_as"],
    }


def _attached_to(attachment):
    """What the file is evidence of, as the manifest names it."""
    if attachment.leaf_id:
        return {"leaf": attachment.leaf.code}
    for field in ("appeal", "event", "progress_report", "rectification"):
        if getattr(attachment, f"{field}_id"):
            return {field: getattr(attachment, f"{field}_id")}
    return {}


def _safe_name(text):
    """`text` as one file or folder name: no separator or control character, not `.` or
    `..`, at most NAME_BYTES bytes (the suffix kept when shortened)."""
    name = UNSAFE_IN_NAME.sub("_", text).strip() or "_"
    if name in (".", ".."):
        name = name.replace(".", "_")
    if len(name.encode()) <= NAME_BYTES:
        return name
    suffix = Path(name).suffix
    if len(suffix.encode()) > NAME_BYTES // 4:
        suffix = ""
    stem = name[: len(name) - len(suffix)]
    while len((stem + suffix).encode()) > NAME_BYTES:
        stem = stem[:-1]
    return stem + suffix


def _free_path(folder, name, taken):
    """`folder/name`, or `folder/stem (2).suffix` and so on when taken already."""
    path = f"{folder}/{name}"
    number = 1
    while path in taken:
        number += 1
        stem, suffix = Path(name).stem, Path(name).suffix
        path = f"{folder}/{stem} ({number}){suffix}"
    taken.add(path)
    return path


def _bulletins(cycle, staging):
    for bulletin in Bulletin.objects.filter(cycle=cycle).order_by("quarter", "revision"):
        stem = f"bulletins/q{bulletin.quarter}-r{bulletin.revision}"
        about = {
            "kind": "bulletin",
            "bulletin": bulletin.pk,
            "quarter": bulletin.quarter,
            "revision": bulletin.revision,
            "state": bulletin.state,
            "number": bulletin.number,
        }
        snapshot = bulletin.content
        (staging / "bulletins").mkdir(exist_ok=True)
        (staging / f"{stem}.pdf").write_bytes(render.pdf_document(bulletin, snapshot))
        yield _sealed(staging, f"{stem}.pdf", **about)
        write_workbook(bulletin, snapshot, staging / f"{stem}.xlsx")
        yield _sealed(staging, f"{stem}.xlsx", **about)
        record = {
            **about,
            "cutoff": bulletin.cutoff,
            "generated_at": bulletin.generated_at,
            "issued_at": bulletin.issued_at,
            "requirements": bulletin.requirements,
            "content": snapshot,
        }
        (staging / f"{stem}.json").write_text(
            json.dumps(record, ensure_ascii=False, indent=1, sort_keys=True, cls=DjangoJSONEncoder)
            + "\n",
            encoding="utf-8",
        )
        yield _sealed(staging, f"{stem}.json", **about)
