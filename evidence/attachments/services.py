"""Evidence files (佐证材料): attach to a leaf of one's own self-evaluation or to one's own
appeal, and remove (SPEC §2 "Attachments are checked (type and size) and stored outside
the web root"; DESIGN §4 "Uploads").

- The type is read from the content — the first bytes, and for Office Open XML the ZIP
  directory — never from the name or the browser's content type; the name's extension
  must agree with it. Allowed: PDF, PNG, JPEG, GIF, WebP, docx/xlsx/pptx, doc/xls/ppt.
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
import unicodedata
import zipfile
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_UP, Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.numbers import plain_number
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

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# An OLE2 compound file does not say in its header which program wrote it, so the
# extension picks among the three legacy Office types (and nothing else).
LEGACY_OFFICE = (DOC, XLS, PPT)
OOXML_PARTS = (("word/", DOCX), ("xl/", XLSX), ("ppt/", PPTX))
ALLOWED = (PDF, PNG, JPEG, GIF, WEBP, DOCX, XLSX, PPTX, DOC, XLS, PPT)
ACCEPT = ",".join(extension for kind in ALLOWED for extension in kind.extensions)


@dataclass(frozen=True)
class CheckedFile:
    upload: object
    name: str
    kind: Kind


def _candidates(upload):
    """The allowed kinds the content may be (empty: none)."""
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if head.startswith(b"%PDF-"):
        return (PDF,)
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return (PNG,)
    if head.startswith(b"\xff\xd8\xff"):
        return (JPEG,)
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return (GIF,)
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return (WEBP,)
    if head.startswith(OLE2_MAGIC):
        return LEGACY_OFFICE
    if head.startswith(b"PK\x03\x04"):
        return _office_open_xml(upload)
    return ()


def _office_open_xml(upload):
    """docx/xlsx/pptx: a ZIP with `[Content_Types].xml` and the program's folder. Only
    the ZIP directory is read, nothing is unpacked. Macro-enabled files (a VBA project
    inside) are not allowed, whatever their name."""
    try:
        with zipfile.ZipFile(upload) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError):
        return ()
    finally:
        upload.seek(0)
    if "[Content_Types].xml" not in names or any(n.endswith("vbaProject.bin") for n in names):
        return ()
    for prefix, kind in OOXML_PARTS:
        if any(name.startswith(prefix) for name in names):
            return (kind,)
    return ()


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
    candidates = _candidates(upload)
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
