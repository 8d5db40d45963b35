"""Evidence files (佐证材料): attach to a leaf of one's own self-evaluation or to one's own
appeal, and remove (SPEC §2 "Attachments are checked (type and size) and stored outside
the web root"; DESIGN §4 "Uploads").

- The type is read from the content — the first bytes, for Office Open XML the ZIP
  directory, for doc/xls/ppt the OLE2 structure and its document stream — never from the
  name or the browser's content type; the name's extension must agree with it. Allowed:
  PDF, PNG, JPEG, GIF, WebP, docx/xlsx/pptx, doc/xls/ppt.
- Refused whatever the name says: a file a browser could run as a web page (HTML or script
  tags in its first KB, or anywhere in a PDF); an Office file with a macro (VBA, Excel 4.0
  macro sheets) or, for xls/ppt, a password that would hide one; a doc/xls/ppt whose OLE2
  structure does not parse.
- At most `settings.EVIDENCE_MAX_BYTES`; an empty file is refused.
- Every file of a request is checked before anything is written. A refusal names each
  bad file, and nothing is stored: no row, no file (SPEC §7).
- Files go under MEDIA_ROOT at a random path (`Attachment.file`), outside the web root;
  only the scoped download view reads them back.
- Who and when: self-evaluation evidence by the participant's own secretary while the
  self-evaluation is editable (`scoring.selfeval.lock_for_editing`, the same rules as
  saving it); appeal evidence by the appeal's secretary while it is 待受理. A file is
  removed by its uploader under the same conditions. Every change is audited.
"""

import hashlib
import os
import re
import struct
import unicodedata
import zipfile
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_UP, Decimal

import olefile
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.numbers import plain_number
from core.office import OLE2_MAGIC, Unreadable, holds_macros
from evidence.models import Attachment
from scoring.models import Appeal, AppealStatus
from scoring.selfeval import lock_for_editing


@dataclass(frozen=True)
class Kind:
    """An allowed type: what people call it, the content type served, its extensions."""

    label: str
    content_type: str
    extensions: tuple


PDF = Kind(gettext_lazy("PDF 文档"), "application/pdf", (".pdf",))
PNG = Kind(gettext_lazy("PNG 图片"), "image/png", (".png",))
JPEG = Kind(gettext_lazy("JPEG 图片"), "image/jpeg", (".jpg", ".jpeg"))
GIF = Kind(gettext_lazy("GIF 图片"), "image/gif", (".gif",))
WEBP = Kind(gettext_lazy("WebP 图片"), "image/webp", (".webp",))
DOCX = Kind(
    gettext_lazy("Word 文档"),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    (".docx",),
)
XLSX = Kind(
    gettext_lazy("Excel 表格"),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    (".xlsx",),
)
PPTX = Kind(
    gettext_lazy("PowerPoint 演示文稿"),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    (".pptx",),
)
DOC = Kind(gettext_lazy("Word 97-2003 文档"), "application/msword", (".doc",))
XLS = Kind(gettext_lazy("Excel 97-2003 表格"), "application/vnd.ms-excel", (".xls",))
PPT = Kind(gettext_lazy("PowerPoint 97-2003 演示文稿"), "application/vnd.ms-powerpoint", (".ppt",))

# An OLE2 compound file does not say in its header which program wrote it: the stream at
# its top level that holds the document does (MS-DOC, MS-XLS — "Book" for Excel 5/95 —
# and MS-PPT), and a .doc must hold a Word document, not merely start like one.
LEGACY_STREAMS = (
    ("worddocument", DOC),
    ("workbook", XLS),
    ("book", XLS),
    ("powerpoint document", PPT),
)
# A VBA project is a storage named VBA holding the _VBA_PROJECT and dir streams (MS-OVBA
# §2.2), kept in Macros by Word and in _VBA_PROJECT_CUR by Excel, at the top level or
# inside an embedded object. Office finds it by these names only, so any of them anywhere
# refuses the file.
VBA_NAMES = frozenset({"macros", "_vba_project_cur", "vba", "_vba_project"})
# Streams whose bytes are looked into for macros that live inside them, not in a storage.
MACRO_STREAMS = frozenset({"workbook", "book", "powerpoint document", "current user"})
# BIFF records of an Excel workbook's globals (MS-XLS §2.3): a sheet entry whose type is
# 1 (Excel 4.0 macro sheet) or 6 (Excel 5 VBA module) carries macros; FILEPASS means the
# rest, those types included, is encrypted and cannot be checked.
BIFF_BOUNDSHEET, BIFF_FILEPASS, BIFF_EOF = 0x0085, 0x002F, 0x000A
MACRO_SHEET_TYPES = (0x01, 0x06)
# PowerPoint keeps a presentation's VBA project inside its document stream, compressed, and
# finds it through the one VBAInfoAtom (MS-PPT §2.4.11: record type 0x0400, length 12).
PPT_VBA_INFO_ATOM = b"\x00\x04\x0c\x00\x00\x00"
# The Current User stream's headerToken (MS-PPT §2.3.2) of an encrypted presentation, whose
# records, the VBAInfoAtom included, cannot then be read.
PPT_ENCRYPTED_TOKEN = (0xF3D1C4DF).to_bytes(4, "little")
OOXML_PARTS = (("word/", DOCX), ("xl/", XLSX), ("ppt/", PPTX))
ALLOWED = (PDF, PNG, JPEG, GIF, WEBP, DOCX, XLSX, PPTX, DOC, XLS, PPT)
ACCEPT = ",".join(extension for kind in ALLOWED for extension in kind.extensions)
# A file that a browser or an old viewer could take for a web page and run: any of these
# tags at its start. A PDF is scanned whole for the tags a PDF/HTML polyglot needs, since
# a PDF reader skips over them wherever they sit and PDF syntax itself never spells them.
MARKUP_HEAD_BYTES = 1024
MARKUP = re.compile(rb"<(?:!doctype|html|head|body|script|iframe|svg)", re.IGNORECASE)
PDF_MARKUP = re.compile(rb"<(?:!doctype|html|script)", re.IGNORECASE)
# Bytes of one chunk carried into the next, so that a tag cut by the boundary is found.
PDF_MARKUP_OVERLAP = 16


@dataclass(frozen=True)
class CheckedFile:
    upload: object
    name: str
    kind: Kind


def _macros(name):
    return ValidationError(
        _(
            "“%(name)s”含有宏，为安全起见不能上传。"
            "请另存为不含宏的格式（如 .docx、.xlsx、.pptx）后再上传。"
        )
        % {"name": name}
    )


def _encrypted(name):
    return ValidationError(
        _("“%(name)s”设置了打开密码，无法检查其中是否含有宏，不能上传。请取消密码后再上传。")
        % {"name": name}
    )


def _damaged(name):
    return ValidationError(
        _("“%(name)s”已损坏或结构异常，无法检查其内容，不能上传。请重新保存后再上传。")
        % {"name": name}
    )


def _candidates(upload, name):
    """The allowed kinds the content may be (empty: none). A file of an allowed kind that
    is unsafe or cannot be checked — markup a browser would run, a macro, a password, a
    broken structure — raises a ValidationError naming it instead."""
    upload.seek(0)
    head = upload.read(MARKUP_HEAD_BYTES)
    upload.seek(0)
    if head.startswith(b"%PDF-"):
        kinds = (PDF,)
    elif head.startswith(b"\x89PNG\r\n\x1a\n"):
        kinds = (PNG,)
    elif head.startswith(b"\xff\xd8\xff"):
        kinds = (JPEG,)
    elif head[:6] in (b"GIF87a", b"GIF89a"):
        kinds = (GIF,)
    elif head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        kinds = (WEBP,)
    elif head.startswith(OLE2_MAGIC) or head.startswith(b"PK\x03\x04"):
        kinds = None
    else:
        return ()
    if MARKUP.search(head) or (kinds == (PDF,) and _pdf_holds_markup(upload)):
        raise ValidationError(
            _("“%(name)s”含有网页（HTML）或脚本内容，为安全起见不能上传。") % {"name": name}
        )
    if kinds is not None:
        return kinds
    if head.startswith(OLE2_MAGIC):
        return _legacy_office(upload, name)
    return _office_open_xml(upload, name)


def _pdf_holds_markup(upload):
    tail = b""
    try:
        for chunk in upload.chunks():
            if PDF_MARKUP.search(tail + chunk):
                return True
            tail = chunk[-PDF_MARKUP_OVERLAP:]
        return False
    finally:
        upload.seek(0)


def _office_open_xml(upload, name):
    """docx/xlsx/pptx: a ZIP with `[Content_Types].xml` and the program's folder. Only
    the ZIP directory and small parts are read (`core.office.holds_macros`), nothing is
    unpacked to disk. A macro inside refuses the file, whatever its parts are called."""
    try:
        with zipfile.ZipFile(upload) as archive:
            names = archive.namelist()
            kind = next(
                (k for prefix, k in OOXML_PARTS if any(n.startswith(prefix) for n in names)),
                None,
            )
            if "[Content_Types].xml" not in names or kind is None:
                return ()
            if holds_macros(archive):
                raise _macros(name)
    except Unreadable as exc:
        raise _damaged(name) from exc
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError):
        return ()
    finally:
        upload.seek(0)
    return (kind,)


def _legacy_office(upload, name):
    """doc/xls/ppt: an OLE2 compound file that olefile parses without finding anything
    incorrect in its structure, holding no macro (`VBA_NAMES`, Excel macro sheets, a
    presentation's VBAInfoAtom) and not encrypted where that would hide one. The kinds are
    those whose document stream it holds."""
    compound = _compound_file(upload)
    if compound is None:
        raise _damaged(name)
    names, top_streams, streams = compound
    if names & VBA_NAMES:
        raise _macros(name)
    for stream, data in streams:
        if stream in ("workbook", "book"):
            _check_excel_globals(data, name)
        elif stream == "powerpoint document" and PPT_VBA_INFO_ATOM in data:
            raise _macros(name)
        elif stream == "current user" and data[12:16] == PPT_ENCRYPTED_TOKEN:
            raise _encrypted(name)
    return tuple(dict.fromkeys(kind for s, kind in LEGACY_STREAMS if s in top_streams))


def _compound_file(upload):
    """(every storage's and stream's name, the streams at the top level, [(name, bytes)]
    of each of `MACRO_STREAMS` at any depth), names in lower case as OLE2 compares them; or
    None when the file is not a compound file olefile can read. olefile is told to raise
    every defect it rates incorrect, as it advises for security checks, and every stream
    is read once, so one with sectors missing fails too. No sector can belong to two
    streams, so streams adding up to more than the file mean a looping allocation table,
    which would otherwise be read round and round."""
    try:
        with olefile.OleFileIO(upload, raise_defects=olefile.DEFECT_INCORRECT) as ole:
            entries = ole.listdir(streams=True, storages=True)
            paths = [path for path in entries if ole.get_type(path) == olefile.STGTY_STREAM]
            if sum(ole.get_size(path) for path in paths) > upload.size:
                return None
            streams = []
            for path in paths:
                data = ole.openstream(path).read()
                if path[-1].lower() in MACRO_STREAMS:
                    streams.append((path[-1].lower(), data))
    except Exception:  # olefile fails in many ways on hostile input; no traceback may reach a user
        return None
    finally:
        upload.seek(0)
    names = {part.lower() for path in entries for part in path}
    top_streams = {path[0].lower() for path in paths if len(path) == 1}
    return names, top_streams, streams


def _check_excel_globals(data, name):
    """Walk the BIFF records of a workbook's globals, up to their EOF record."""
    offset = 0
    while offset + 4 <= len(data):
        record, length = struct.unpack_from("<HH", data, offset)
        body = data[offset + 4 : offset + 4 + length]
        if record == BIFF_FILEPASS:
            raise _encrypted(name)
        if record == BIFF_BOUNDSHEET and len(body) >= 6 and body[5] in MACRO_SHEET_TYPES:
            raise _macros(name)
        if record == BIFF_EOF:
            return
        offset += 4 + length


def _clean_name(name):
    """The file's own name as people see it: no folders, no control characters."""
    name = os.path.basename(str(name or "").replace("\\", "/"))
    name = "".join(c for c in name if not unicodedata.category(c).startswith("C")).strip()
    if len(name) > 255:
        stem, extension = os.path.splitext(name)
        name = stem[: 255 - len(extension)] + extension
    return name


def _size_text(size, rounding):
    for unit, factor in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= factor:
            value = (Decimal(size) / factor).quantize(Decimal("0.1"), rounding=rounding)
            return f"{plain_number(value)} {unit}"
    return _("%(n)d 字节") % {"n": size}


def limit_text():
    """The size limit as the messages and forms say it, e.g. "10 MB"."""
    return _size_text(settings.EVIDENCE_MAX_BYTES, ROUND_DOWN)


def check_upload(upload):
    """The upload as it will be stored (clean name, detected kind), or a ValidationError
    naming the file and what is wrong with it."""
    name = _clean_name(getattr(upload, "name", ""))
    limit = settings.EVIDENCE_MAX_BYTES
    if not upload.size:
        raise ValidationError(_("“%(name)s”是空文件，请选择有内容的文件。") % {"name": name})
    if upload.size > limit:
        raise ValidationError(
            _("“%(name)s”有 %(size)s，超过 %(limit)s 的上限。")
            % {
                "name": name,
                "size": _size_text(upload.size, ROUND_UP),
                "limit": limit_text(),
            }
        )
    candidates = _candidates(upload, name)
    if not candidates:
        raise ValidationError(
            _(
                "“%(name)s”不是允许的文件类型：只能上传 PDF、图片（JPG/PNG/GIF/WebP）或 Office 文档。"
            )
            % {"name": name}
        )
    extension = os.path.splitext(name)[1].lower()
    kind = next((k for k in candidates if extension in k.extensions), None)
    if kind is None:
        expected = "、".join(e for k in candidates for e in k.extensions)
        label = candidates[0].label if len(candidates) == 1 else _("Office 97-2003 文档")
        if not extension:
            message = _(
                "“%(name)s”没有扩展名；它的内容是 %(kind)s，请加上扩展名（%(expected)s）后再上传。"
            )
        else:
            message = _(
                "“%(name)s”的内容是 %(kind)s，与扩展名“%(extension)s”不符，"
                "请改用正确的扩展名（%(expected)s）后再上传。"
            )
        raise ValidationError(
            message % {"name": name, "kind": label, "extension": extension, "expected": expected}
        )
    return CheckedFile(upload=upload, name=name, kind=kind)


def check_uploads(uploads):
    """Every upload checked; one ValidationError listing every bad file, if any."""
    checked, problems = [], []
    for upload in uploads:
        try:
            checked.append(check_upload(upload))
        except ValidationError as exc:
            problems.extend(exc.messages)
    if problems:
        raise ValidationError(problems)
    return checked


def _check_may_change(actor, participant, *, leaf, appeal):
    """Lock what the change depends on and apply the who/when rules; returns the
    participant as it is now. Self-evaluation evidence follows the self-evaluation's
    own editing rules; appeal evidence, the appeal's secretary while it is 待受理."""
    if (leaf is None) == (appeal is None):
        raise ValueError("Evidence belongs to one leaf or one appeal.")
    if leaf is not None:
        participant, _evaluation = lock_for_editing(actor, participant)
        if leaf.template_id != participant.cycle.frozen_template_id or leaf.children.exists():
            raise ValidationError(_("只能为本周期指标体系中的末级指标上传佐证材料。"))
        return participant
    appeal = (
        Appeal.objects.select_for_update(of=("self",))
        .select_related("participant__secretary", "participant__community")
        .get(pk=appeal.pk)
    )
    if appeal.participant_id != participant.pk:
        raise PermissionDenied
    participant = appeal.participant
    if participant.secretary.user_id != actor.pk:
        raise PermissionDenied
    if appeal.status != AppealStatus.FILED:
        raise ValidationError(
            _("申诉当前为“%(status)s”，只有待受理的申诉可以增删佐证材料。")
            % {"status": appeal.get_status_display()}
        )
    return participant


def _sha256(upload):
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    return digest.hexdigest()


@transaction.atomic
def attach_files(*, actor, participant, uploads, leaf=None, appeal=None):
    """Attach the uploads to one leaf of the participant's self-evaluation or to one
    appeal, all or none: who and when first, then every file checked and stored
    (`store_files`)."""
    participant = _check_may_change(actor, participant, leaf=leaf, appeal=appeal)
    return store_files(
        actor=actor, uploads=uploads, participant=participant, leaf=leaf, appeal=appeal
    )


@transaction.atomic
def store_files(*, actor, uploads, participant=None, community=None, **owner):
    """Check every upload, then write and record each one, all or none. The caller has
    already applied its own who/when rules; `owner` names what the files belong to
    (`leaf=`, `appeal=`, `event=`, `progress_report=`, `rectification=`). Files of a
    community's records without a participant pass `community=`. A file already written
    is deleted again if recording fails."""
    if not uploads:
        raise ValidationError(_("请选择要上传的文件。"))
    if participant is None and community is None:
        raise ValueError("Evidence belongs to a participant or a community.")
    checked = check_uploads(uploads)
    saved, written = [], []
    try:
        with transaction.atomic():
            for item in checked:
                attachment = Attachment(
                    participant=participant,
                    community=community or participant.community,
                    original_name=item.name,
                    content_type=item.kind.content_type,
                    size=item.upload.size,
                    sha256=_sha256(item.upload),
                    uploaded_by=actor,
                    **owner,
                )
                attachment.file.save("evidence", item.upload, save=False)
                written.append((attachment.file.storage, attachment.file.name))
                attachment._history_user = actor
                attachment.save()
                saved.append(attachment)
    except Exception:
        for storage, name in written:
            storage.delete(name)
        raise
    return saved


def attach(*, actor, participant, upload, leaf=None, appeal=None):
    """One file: see `attach_files`."""
    return attach_files(
        actor=actor, participant=participant, uploads=[upload], leaf=leaf, appeal=appeal
    )[0]


@transaction.atomic
def remove(*, actor, attachment):
    """The uploader takes a file back from a self-evaluation leaf or an appeal, under
    the same conditions as adding one (other owners' services call `delete_stored`)."""
    _check_may_change(actor, attachment.participant, leaf=attachment.leaf, appeal=attachment.appeal)
    delete_stored(actor=actor, attachment=attachment)


@transaction.atomic
def delete_stored(*, actor, attachment):
    """Delete an attachment its uploader takes back, once the caller's rules allow it.
    The row goes at once (audited: name, size, checksum, who); the file once that is
    committed, so a rolled-back removal keeps its file."""
    attachment = Attachment.objects.select_for_update().filter(pk=attachment.pk).first()
    if attachment is None:
        raise ValidationError(_("该文件已被删除。"))
    if attachment.uploaded_by_id != actor.pk:
        raise PermissionDenied
    storage, name = attachment.file.storage, attachment.file.name
    attachment._history_user = actor
    attachment.delete()
    transaction.on_commit(lambda: storage.delete(name))


def leaf_files(participant):
    """The participant's self-evaluation files, by leaf id."""
    files = {}
    for attachment in Attachment.objects.filter(participant=participant, leaf__isnull=False):
        files.setdefault(attachment.leaf_id, []).append(attachment)
    return files
