"""What an uploaded file may hold (DESIGN §4 "Uploads"; SPEC §2 "Attachments are checked
(type and size)", §7): legacy Office files are parsed as OLE2 compound files and must hold
the document their extension names; no Office file may carry a macro, legacy or Office
Open XML, whatever its parts are called; no file may double as a web page. Every file is
made here byte by byte (tests/office_files.py), and a refusal stores nothing, on every
path that takes files."""

import struct
from datetime import date

import olefile
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile

from evidence.attachments import services as evidence
from evidence.events import services as events
from evidence.models import Attachment, Event
from tests.evidence import stored_files
from tests.office_files import (
    OLE2_MAGIC,
    WORD_MACRO_MAIN,
    compound_file,
    excel_workbook,
    powerpoint_presentation,
    word_document,
    word_package,
)

pytestmark = pytest.mark.usefixtures("shared_world")

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(17)
HTML = b"<!DOCTYPE html><html><body><script>fetch('/api/')</script></body></html>"
# A VBA project as Office stores it: a compound file with a VBA storage.
VBA_PROJECT = compound_file({"VBA": {"dir": b"\x01", "_VBA_PROJECT": b"\xcc\x61"}})
VBA_CONTENT_TYPE = "application/vnd.ms-office.vbaProject"

MACROS = "含有宏，为安全起见不能上传"
MARKUP = "含有网页（HTML）或脚本内容，为安全起见不能上传"
DAMAGED = "已损坏或结构异常，无法检查其内容"
ENCRYPTED = "设置了打开密码，无法检查其中是否含有宏"


def upload(name, content):
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def refusal(name, content):
    with pytest.raises(ValidationError) as refused:
        evidence.check_upload(upload(name, content))
    (message,) = refused.value.messages
    assert message.startswith(f"“{name}”")
    return message


# ------------------------------------------------------------- legacy Office (OLE2)


@pytest.mark.parametrize(
    ("content", "name", "content_type", "wrong_name", "said"),
    [
        (word_document(), "旧台账.doc", "application/msword", "旧台账.xls", "Word 97-2003 文档"),
        (
            excel_workbook(),
            "旧统计.xls",
            "application/vnd.ms-excel",
            "旧统计.ppt",
            "Excel 97-2003 表格",
        ),
        (
            powerpoint_presentation(),
            "旧汇报.ppt",
            "application/vnd.ms-powerpoint",
            "旧汇报.doc",
            "PowerPoint 97-2003 演示文稿",
        ),
    ],
)
def test_a_legacy_office_file_is_known_by_its_document_stream_not_its_extension(
    content, name, content_type, wrong_name, said
):
    assert evidence.check_upload(upload(name, content)).kind.content_type == content_type
    assert f"的内容是 {said}，与扩展名" in refusal(wrong_name, content)


def test_a_compound_file_holding_no_office_document_is_not_an_allowed_type():
    assert "不是允许的文件类型" in refusal("附件.doc", compound_file({"Contents": b"x"}))


def test_an_ole2_header_followed_by_html_is_refused_as_a_web_page():
    assert MARKUP in refusal("旧台账.doc", OLE2_MAGIC + bytes(504) + HTML)


# Where the writer puts things: the one FAT sector right after the header, then the
# directory, 128 bytes an entry, each entry's stream size at byte 120.
FAT_AT, ENTRY, SIZE_AT = 512, 128, 120


def directory_entries(content):
    """{name: (entry offset in the file, first sector, sectors)} of each stream."""
    ole = olefile.OleFileIO(content)
    at = 512 * (ole.first_dir_sector + 1)
    found = {}
    for entry in ole.direntries:
        if entry is not None and entry.entry_type == olefile.STGTY_STREAM:
            found.setdefault(entry.name, []).append(
                (at + ENTRY * entry.sid, entry.isectStart, -(-entry.size // 512))
            )
    return found


def stream_larger_than_the_file():
    content = bytearray(word_document())
    ((entry, _start, _sectors),) = directory_entries(bytes(content))["WordDocument"]
    struct.pack_into("<I", content, entry + SIZE_AT, 10**6)
    return bytes(content)


def streams_looping_into_each_other():
    """Two Workbook streams whose chains run on into each other's, each declaring both
    chains' length: read alone, each is a well-formed stream."""
    content = bytearray(excel_workbook(S={"Workbook": b"\x09\x08"}))
    first, second = directory_entries(bytes(content))["Workbook"]
    for (entry, start, sectors), (_entry, next_start, next_sectors) in [
        (first, second),
        (second, first),
    ]:
        struct.pack_into("<I", content, FAT_AT + 4 * (start + sectors - 1), next_start)
        struct.pack_into("<I", content, entry + SIZE_AT, 512 * (sectors + next_sectors))
    return bytes(content)


@pytest.mark.parametrize(
    "content",
    [
        OLE2_MAGIC + bytes(504),
        OLE2_MAGIC + bytes(range(256)) * 8,
        word_document()[:1536],
        stream_larger_than_the_file(),
        streams_looping_into_each_other(),
    ],
    ids=["header only", "garbage after the header", "truncated", "too large", "looping"],
)
def test_an_ole2_file_whose_structure_does_not_parse_is_refused_as_damaged(content):
    assert DAMAGED in refusal("旧台账.doc", content)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        (
            "宏.doc",
            word_document(
                Macros={"VBA": {"dir": b"\x01", "_VBA_PROJECT": b"\xcc"}, "PROJECT": b"ID="}
            ),
        ),
        ("宏.doc", word_document(Macros={})),
        ("宏.xls", excel_workbook(_VBA_PROJECT_CUR={"VBA": {"dir": b"\x01"}})),
        # An embedded workbook whose project sits deep inside the document's object pool.
        ("嵌入.doc", word_document(ObjectPool={"_1": {"_VBA_PROJECT_CUR": {"VBA": {}}}})),
        ("宏表.xls", excel_workbook(sheet_type=0x01)),
        ("模块.xls", excel_workbook(sheet_type=0x06)),
        ("宏.ppt", powerpoint_presentation(vba=True)),
    ],
    ids=["word project", "empty Macros", "excel project", "embedded", "xlm sheet", "module", "ppt"],
)
def test_a_legacy_office_file_with_a_macro_is_refused(name, content):
    assert MACROS in refusal(name, content)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("加密.xls", excel_workbook(encrypted=True)),
        ("加密.ppt", powerpoint_presentation(encrypted=True)),
    ],
)
def test_an_encrypted_xls_or_ppt_is_refused_since_it_could_hide_a_macro(name, content):
    assert ENCRYPTED in refusal(name, content)


# ------------------------------------------------------------ Office Open XML macros


def test_a_docx_with_a_vba_project_under_another_name_is_refused():
    assert MACROS in refusal(
        "图片.docx", word_package(parts={"word/media/image1.png": VBA_PROJECT})
    )


def relationships(type_, target):
    return (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId9" Type="{type_}" Target="{target}"/></Relationships>'
    )


@pytest.mark.parametrize(
    "content",
    [
        word_package(main=WORD_MACRO_MAIN),
        word_package(main=VBA_CONTENT_TYPE),
        word_package(
            parts={
                "word/_rels/document.xml.rels": relationships(
                    "http://schemas.microsoft.com/office/2006/relationships/vbaProject",
                    "data.bin",
                ),
                "word/data.bin": b"not yet a project",
            }
        ),
    ],
    ids=["macro-enabled main part", "vbaProject content type", "vbaProject relationship"],
)
def test_a_docx_declaring_a_macro_in_its_content_types_or_relationships_is_refused(content):
    assert MACROS in refusal("台账.docx", content)


def test_a_docx_with_relationships_too_big_to_check_is_refused_as_damaged():
    big = relationships("http://example.invalid/x", "x" * (3 * 1024 * 1024))
    assert DAMAGED in refusal(
        "台账.docx", word_package(parts={"word/_rels/document.xml.rels": big})
    )


# ----------------------------------------------------------------------- polyglots


def kept_on_disk(name, content):
    """An upload as Django keeps a big one: in a temporary file, read in 64 KB chunks
    (one kept in memory is read in a single chunk)."""
    kept = TemporaryUploadedFile(name, "application/octet-stream", len(content), None)
    kept.write(content)
    kept.seek(0)
    return kept


@pytest.mark.parametrize(
    "content",
    [
        PDF[:9] + b"%" + HTML + PDF[9:],
        PDF + bytes(200_000) + b"<SCRIPT>alert(1)</SCRIPT>",
        # The tag cut in two by the 64 KB chunks of a file kept on disk.
        PDF + bytes(64 * 1024 - len(PDF) - 3) + b"<html>",
    ],
    ids=["html after the header", "script near the end", "tag across chunks"],
)
def test_a_pdf_that_is_also_a_web_page_is_refused_in_memory_or_on_disk(content):
    assert MARKUP in refusal("通报.pdf", content)
    with kept_on_disk("通报.pdf", content) as kept, pytest.raises(ValidationError, match=MARKUP):
        evidence.check_upload(kept)


def test_an_image_whose_first_kilobyte_holds_markup_is_refused():
    assert MARKUP in refusal("现场.png", PNG + b"tEXt<svg onload=alert(1)>")


# ---------------------------------------------------------------- what still passes


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("会议记录.pdf", PDF + b"<< /Length 5 >>\nstream\n<48656c6c6f>\nendstream\n"),
        ("台账.docx", word_package()),
        ("旧台账.doc", word_document()),
        ("旧统计.xls", excel_workbook()),
        ("旧汇报.ppt", powerpoint_presentation()),
    ],
)
def test_clean_pdf_office_open_xml_and_legacy_files_are_stored_whole(
    world, me, leaf, media, name, content
):
    attachment = evidence.attach(
        actor=world.secretary_a1, participant=me, upload=upload(name, content), leaf=leaf
    )
    (path,) = stored_files(media)
    assert attachment.original_name == name and path.read_bytes() == content


def test_a_macro_among_good_files_refuses_them_all_and_nothing_is_stored(world, me, leaf, media):
    with pytest.raises(ValidationError) as refused:
        evidence.attach_files(
            actor=world.secretary_a1,
            participant=me,
            uploads=[upload("会议记录.pdf", PDF), upload("宏.xls", excel_workbook(sheet_type=1))],
            leaf=leaf,
        )
    assert refused.value.messages == [
        "“宏.xls”含有宏，为安全起见不能上传。请另存为不含宏的格式（如 .docx、.xlsx、.pptx）后再上传。"
    ]
    assert not Attachment.objects.exists() and stored_files(media) == []


def test_an_event_report_refuses_the_same_files_and_stores_nothing(world, cycle, media):
    a1 = cycle.participants.get(secretary=world.secretaries["a1"])
    for name, content, message in [
        ("宏.doc", word_document(Macros={"VBA": {}}), MACROS),
        ("旧台账.doc", OLE2_MAGIC + bytes(504) + HTML, MARKUP),
    ]:
        with pytest.raises(ValidationError, match=message):
            events.report_event(
                actor=world.town_assessor_a,
                participant=a1,
                event_type=cycle.frozen_template.event_types.get(code="ZJXF"),
                occurred_on=date(2026, 5, 10),
                description="镇级信访案一件",
                uploads=[upload("通报.pdf", PDF), upload(name, content)],
            )
    assert not Event.objects.exists() and not Attachment.objects.exists()
    assert stored_files(media) == []
