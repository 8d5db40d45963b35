"""The guard in front of every Excel import (DESIGN §4 "Excel in"): a hostile file — a
zip bomb, XML entity expansion or external entities, a workbook claiming a million rows,
something that is not a workbook at all — is refused with a clear Chinese message, in
bounded time and memory, before the importer sees a single row. Nothing is written.

    wb = open_workbook(upload)           # WorkbookRefused, or a read-only openpyxl Workbook
    try:
        for ws in wb.worksheets:
            for number, values in iter_rows(ws):   # WorkbookRefused(sheet=ws.title)
                ...
    finally:
        wb.close()

`open_workbook` checks, in order and before openpyxl opens anything: the upload size;
the content (a ZIP, not an .xls or anything else); the ZIP directory (parts, encryption,
compression method, declared unpacked size and compression ratio); every part unpacked
in bounded chunks, never more than it declares, with its XML prologue parsed by defusedxml
(no DTD, no entities, no external references); no macro (a VBA project or an Excel 4.0
macro sheet, whatever the parts are called); the number of sheets. `iter_rows` ignores
the sheet's declared dimension and counts rows and columns as they stream.

openpyxl and defusedxml (openpyxl 3.1.5, read in openpyxl/xml/__init__.py and
xml/functions.py): openpyxl uses defusedxml's `fromstring` and `iterparse` when defusedxml
is importable and OPENPYXL_DEFUSEDXML is not "False"; the read-only worksheet reader
(worksheet/_reader.py), the shared strings and the workbook part all go through them, with
defusedxml's defaults — entities and external references forbidden, DTDs allowed. If lxml
were installed (it is not a dependency), `fromstring` would switch to lxml with
`resolve_entities=False`. The pre-scan here does not rely on either: it refuses any DTD at
all, whatever openpyxl is configured to do.
"""

import io
import os
import re
import zipfile
import zlib
from dataclasses import dataclass, replace
from xml.etree.ElementTree import ParseError

import openpyxl
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse
from django.conf import settings
from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from core.office import OLE2_MAGIC, Unreadable, holds_macros
from reports.excel.errors import WorkbookRefused

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """What an uploaded workbook may hold. The defaults apply unless
    `settings.EXCEL_LIMITS` (a dict of these field names) overrides some of them."""

    max_bytes: int = 20 * MB  # the file as uploaded
    max_uncompressed: int = 200 * MB  # all parts unpacked, as the ZIP directory declares
    max_ratio: int = 100  # unpacked / packed size, per part and for the whole file
    max_members: int = 1000  # parts inside the ZIP
    max_sheets: int = 50
    # Per sheet, by row number. A county of 500 secretaries, 60 leaves and ~6 entries per
    # leaf fills 评分 with ~180,000 rows; a city imports county by county.
    max_rows: int = 300_000
    max_columns: int = 50  # per row, up to its last non-empty cell


def limits():
    """The limits in force: `Limits` defaults overridden by `settings.EXCEL_LIMITS`."""
    return replace(Limits(), **getattr(settings, "EXCEL_LIMITS", {}))


# open_workbook and iter_rows take an argument named `limits`, which hides the function.
_limits_in_force = limits

ZIP_MAGIC = b"PK\x03\x04"
# Excel 97-2003 files, and .xlsx files saved with an opening password (Excel wraps those
# in an encrypted OLE2 container), start with OLE2_MAGIC.
CHUNK = 64 * 1024
SHEET_PART = re.compile(r"^xl/worksheets/[^/]+\.xml$")
# No real sheet reaches past Excel's last row. openpyxl pads the rows missing before a
# <row r="..."> with empty ones, about a million a second, so iteration stops here even
# when the rows past `max_rows` are empty.
EXCEL_MAX_ROWS = 1_048_576
# The OPC packaging of .xlsx allows only these two.
ALLOWED_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
# A part unpacking to less than this is harmless whatever its ratio: small, highly
# repetitive XML (a sheet of blank formatted cells) compresses far beyond 100:1.
RATIO_FLOOR = MB
# A directory entry of a real .xlsx takes about 100 bytes; allowing 1 KB per permitted
# part bounds what zipfile reads (and the objects it builds) before the parts are counted.
DIRECTORY_BYTES_PER_MEMBER = 1024
# A DTD can only come before the root element, so the scan stops there. Excel writes the
# root within the first hundred bytes; a part with a megabyte before it is not a workbook
# part, and stopping there keeps expat from buffering a giant leading token.
PROLOGUE_BYTES = MB
# Parts that must be XML. Any other part (images, printer settings) is scanned as well, and
# may fail to parse: it is then not XML, for openpyxl's parser as for ours.
XML_SUFFIXES = (".xml", ".rels", ".vml")
REQUIRED_PARTS = ("[Content_Types].xml", "xl/workbook.xml")
# What a broken archive or part raises from zipfile and zlib.
CORRUPT = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError)


def open_workbook(source, limits=None):
    """The workbook in `source` — a filesystem path or a binary file object such as a
    Django upload — opened by openpyxl with `read_only=True, data_only=True`, once it has
    passed every check; otherwise `WorkbookRefused` (sheet "文件") saying what is wrong
    and what is expected.

    A read-only workbook streams its sheets from the archive, which stays open: the caller
    closes it with `wb.close()` (or `with contextlib.closing(open_workbook(f)) as wb:`).
    A path is read into memory (at most `max_bytes`), so nothing is left open on disk; a
    file object stays the caller's to close, and must stay open while the workbook is used.
    """
    limits = limits or _limits_in_force()
    stream = _sized_stream(source, limits)
    _check_content_type(stream)
    archive = _open_archive(stream, limits)
    try:
        _check_directory(archive, limits)
        _scan_parts(archive, limits)
        _check_macros(archive)
        _check_sheet_count(archive, limits)
    finally:
        archive.close()
    stream.seek(0)
    try:
        return openpyxl.load_workbook(stream, read_only=True, data_only=True, keep_links=False)
    except Exception as exc:  # openpyxl fails in many ways; none may reach a user as a traceback
        raise WorkbookRefused(
            _("无法读取该工作簿：内容不符合 Excel 工作簿（.xlsx）的格式。") + _resave()
        ) from exc


def iter_rows(ws, limits=None):
    """(row number, values) for each row of `ws` that holds a value, the number being the
    sheet's own (1 = first row) and the values trimmed of trailing empty cells. Blank rows,
    and rows of formatted empty cells, are skipped.

    The sheet's declared dimension is ignored, so a `<dimension ref="A1:XFD1048576">` pads
    nothing. Rows are checked as they stream, so memory does not grow with the sheet: a row
    past `max_rows` holding a value, a value past `max_columns`, any row past Excel's last
    (1,048,576), or XML openpyxl cannot read raises `WorkbookRefused` with `sheet=ws.title`.
    """
    limits = limits or _limits_in_force()
    if isinstance(ws, ReadOnlyWorksheet):
        ws.reset_dimensions()
    # openpyxl yields an empty tuple for each row missing from the XML, so counting rows
    # gives the sheet's row numbers.
    rows = ws.iter_rows(values_only=True)
    number = 0
    while True:
        try:
            values = next(rows)
        except StopIteration:
            return
        except Exception as exc:  # a broken sheet part fails inside openpyxl's parser
            # openpyxl pads missing rows only once it has read the next row, so `number`
            # is the last row read in full.
            where = (
                _("工作表“%(sheet)s”第 %(row)d 行之后的内容已损坏或格式异常，无法读取。")
                if number
                else _("工作表“%(sheet)s”的内容已损坏或格式异常，无法读取。")
            )
            raise WorkbookRefused(
                where % {"sheet": ws.title, "row": number} + _resave(), sheet=ws.title
            ) from exc
        number += 1
        if number > EXCEL_MAX_ROWS:
            raise WorkbookRefused(
                _(
                    "工作表“%(sheet)s”的行号超出了 Excel 的上限 %(limit)d 行，不是正常的工作表，已拒绝。"
                )
                % {"sheet": ws.title, "limit": EXCEL_MAX_ROWS},
                sheet=ws.title,
            )
        end = len(values)
        while end and values[end - 1] is None:
            end -= 1
        if not end:
            continue
        if number > limits.max_rows:
            raise WorkbookRefused(
                _(
                    "工作表“%(sheet)s”超过 %(limit)d 行的上限（第 %(row)d 行仍有内容）。"
                    "请删去多余的行，或分批导入。"
                )
                % {"sheet": ws.title, "limit": limits.max_rows, "row": number},
                sheet=ws.title,
            )
        if end > limits.max_columns:
            raise WorkbookRefused(
                _(
                    "工作表“%(sheet)s”第 %(row)d 行的 %(letter)s 列有内容，超过 %(limit)d 列"
                    "（%(last)s 列）的上限。请删去多余的列后再导入。"
                )
                % {
                    "sheet": ws.title,
                    "row": number,
                    "letter": get_column_letter(end),
                    "limit": limits.max_columns,
                    "last": get_column_letter(limits.max_columns),
                },
                sheet=ws.title,
            )
        yield number, values[:end]


def _resave():
    return _("请用 Excel 打开并重新保存为 .xlsx 后再导入。")


def _size_text(size):
    """A size as the messages say it: 35.2 MB, 20 MB, 900 KB, 12 字节."""
    for unit, factor in (("MB", MB), ("KB", 1024)):
        if size >= factor:
            return f"{size / factor:.1f}".removesuffix(".0") + f" {unit}"
    return _("%(n)d 字节") % {"n": size}


def _sized_stream(source, limits):
    """`source` as a seekable binary stream at its start, once its size is allowed."""
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as file:
            # Reading one byte past the limit bounds memory even if the file grows meanwhile.
            data = file.read(limits.max_bytes + 1)
            size = max(len(data), os.fstat(file.fileno()).st_size)
        stream = io.BytesIO(data)
    else:
        stream = source
        stream.seek(0, os.SEEK_END)
        size = stream.tell()
        stream.seek(0)
    if not size:
        raise WorkbookRefused(_("文件是空的。请选择要导入的 Excel 工作簿（.xlsx）。"))
    if size > limits.max_bytes:
        raise WorkbookRefused(
            _("文件大小 %(size)s，超过上限 %(limit)s。请删去多余内容或分批导入。")
            % {"size": _size_text(size), "limit": _size_text(limits.max_bytes)}
        )
    return stream


def _check_content_type(stream):
    """A ZIP by its first bytes, whatever the file is called."""
    head = stream.read(len(OLE2_MAGIC))
    stream.seek(0)
    if head.startswith(OLE2_MAGIC):
        raise WorkbookRefused(
            _(
                "这是旧版 Excel 97-2003 工作簿（.xls）或设置了打开密码的工作簿，无法导入。"
                "请在 Excel 中取消打开密码，并“另存为” Excel 工作簿（.xlsx）后再导入。"
            )
        )
    if not head.startswith(ZIP_MAGIC):
        raise WorkbookRefused(
            _(
                "该文件不是 Excel 工作簿（.xlsx），无法导入。CSV、PDF 等其他格式的文件，"
                "请先在 Excel 中打开，再“另存为” Excel 工作簿（.xlsx）。"
            )
        )


def _check_macros(archive):
    """No macro inside, whatever the file is called (`core.office.holds_macros`): the
    importer reads only values, but a workbook carrying a VBA project or an Excel 4.0
    macro sheet is not the plain .xlsx the import asks for: the same rule as for evidence
    files (DESIGN §4 "Uploads")."""
    try:
        macros = holds_macros(archive)
    except Unreadable as exc:
        raise _corrupt() from exc
    if macros:
        raise WorkbookRefused(
            _(
                "该工作簿含有宏，无法导入。请在 Excel 中“另存为” Excel 工作簿（.xlsx，不含宏）"
                "后再导入。"
            )
        )


def _corrupt():
    return WorkbookRefused(_("文件已损坏或不完整，无法按 .xlsx 格式解压。") + _resave())


def _too_many_parts(limits):
    return WorkbookRefused(
        _("文件内部的部件超过 %(limit)d 个的上限，不是正常的 Excel 工作簿，已拒绝。")
        % {"limit": limits.max_members}
    )


def _open_archive(stream, limits):
    """The ZIP, once its end record shows a directory small enough to read."""
    # zipfile builds an object per directory entry as it opens the archive (a 20 MB file
    # can hold 250,000 entries: over 100 MB of them). Its own end-record reader, private
    # but in every Python 3, gives the sizes it is about to trust, so they are checked first.
    try:
        end = zipfile._EndRecData(stream)
    except CORRUPT as exc:
        raise _corrupt() from exc
    if end is None:
        raise _corrupt()
    if (
        end[zipfile._ECD_ENTRIES_TOTAL] > limits.max_members
        or end[zipfile._ECD_SIZE] > limits.max_members * DIRECTORY_BYTES_PER_MEMBER
    ):
        raise _too_many_parts(limits)
    try:
        return zipfile.ZipFile(stream)
    except CORRUPT as exc:
        raise _corrupt() from exc


def _check_directory(archive, limits):
    """Parts, encryption, compression method, declared sizes and ratios — read from the
    ZIP directory, before anything is unpacked."""
    parts = archive.infolist()
    if len(parts) > limits.max_members:
        raise _too_many_parts(limits)
    names = {part.filename for part in parts}
    if not all(name in names for name in REQUIRED_PARTS):
        raise WorkbookRefused(
            _(
                "该文件是压缩包，但不是 Excel 工作簿（.xlsx），无法导入（缺少工作簿部件）。"
                "请上传用 Excel 保存的 .xlsx 文件。"
            )
        )
    packed = unpacked = 0
    for part in parts:
        if part.flag_bits & 0x1:
            raise WorkbookRefused(
                _("文件中含有加密的内容，无法导入。请在 Excel 中取消密码后重新保存为 .xlsx。")
            )
        if part.compress_type not in ALLOWED_METHODS:
            raise WorkbookRefused(_("文件使用了 Excel 不使用的压缩方式，无法导入。") + _resave())
        packed += part.compress_size
        unpacked += part.file_size
    if unpacked > limits.max_uncompressed:
        raise WorkbookRefused(
            _(
                "文件解压后共 %(size)s，超过上限 %(limit)s（可能是恶意的“压缩炸弹”），已拒绝。"
                "请删去多余内容或分批导入。"
            )
            % {"size": _size_text(unpacked), "limit": _size_text(limits.max_uncompressed)}
        )
    for part in parts:
        if _ratio_exceeded(part.file_size, part.compress_size, limits):
            raise WorkbookRefused(
                _(
                    "文件中的“%(part)s”压缩比为 %(ratio)d 倍，超过上限 %(limit)d 倍"
                    "（可能是恶意的“压缩炸弹”），已拒绝。"
                )
                % {
                    "part": part.filename,
                    "ratio": part.file_size // max(part.compress_size, 1),
                    "limit": limits.max_ratio,
                }
            )
    if _ratio_exceeded(unpacked, packed, limits):
        raise WorkbookRefused(
            _(
                "文件的整体压缩比为 %(ratio)d 倍，超过上限 %(limit)d 倍（可能是恶意的“压缩炸弹”），已拒绝。"
            )
            % {"ratio": unpacked // max(packed, 1), "limit": limits.max_ratio}
        )


def _ratio_exceeded(unpacked, packed, limits):
    return unpacked > RATIO_FLOOR and unpacked > limits.max_ratio * max(packed, 1)


class _BoundedReader:
    """A part read in chunks of at most CHUNK bytes that refuses the file as soon as more
    bytes come out than `allowed` — so a size the ZIP directory lies about is never
    trusted, even though zipfile itself stops at the declared size."""

    def __init__(self, raw, allowed, refusal):
        self.raw = raw
        self.allowed = allowed
        self.refusal = refusal
        self.count = 0

    def read(self, size=CHUNK):
        data = self.raw.read(CHUNK if size < 0 else min(size, CHUNK))
        self.count += len(data)
        if self.count > self.allowed:
            raise WorkbookRefused(self.refusal)
        return data


def _scan_parts(archive, limits):
    """Unpack every part once, in bounded chunks (zipfile checks each CRC at its end), and
    parse the prologue of each with defusedxml. Rows of each sheet are counted on the way
    (a byte count, no parsing), so a sheet far over the row limit is refused here in a
    fraction of the time openpyxl would take to stream up to the limit."""
    titles = None
    for part in archive.infolist():
        try:
            with archive.open(part) as raw:
                reader = _BoundedReader(
                    raw,
                    part.file_size,
                    _("文件中的“%(part)s”解压后比它声明的大小更大（可能是恶意文件），已拒绝。")
                    % {"part": part.filename},
                )
                counter = _RowCounter(reader)
                is_sheet = SHEET_PART.match(part.filename)
                _check_prologue(counter, part.filename)
                while counter.read(CHUNK):
                    if is_sheet and counter.rows > limits.max_rows:
                        break
                if is_sheet and counter.rows > limits.max_rows:
                    titles = titles if titles is not None else _sheet_titles(archive)
                    title = titles.get(part.filename, part.filename)
                    raise WorkbookRefused(
                        _("工作表“%(sheet)s”超过 %(limit)d 行的上限。请删去多余的行，或分批导入。")
                        % {"sheet": title, "limit": limits.max_rows},
                        sheet=title,
                    )
        except CORRUPT as exc:
            raise WorkbookRefused(
                _("文件已损坏：其中的“%(part)s”无法正确解压。") % {"part": part.filename}
                + _resave()
            ) from exc


class _RowCounter:
    """A part reader that counts the <row> elements going through it. A token cut by a
    chunk boundary is found by carrying the previous chunk's last bytes (too short to
    hold a whole token themselves, so nothing is counted twice)."""

    def __init__(self, raw):
        self.raw = raw
        self.rows = 0
        self.tail = b""

    def read(self, size=CHUNK):
        data = self.raw.read(size)
        window = self.tail + data
        self.rows += window.count(b"<row ") + window.count(b"<row>")
        self.tail = window[-(len(b"<row ") - 1) :]
        return data


def _sheet_titles(archive):
    """{part name: sheet title}, from xl/workbook.xml and its relationships."""
    targets, titles = {}, {}
    try:
        with archive.open("xl/_rels/workbook.xml.rels") as raw:
            for _event, element in iterparse(raw, forbid_dtd=True, forbid_entities=True):
                if element.tag.rpartition("}")[2] == "Relationship":
                    target = element.get("Target", "").lstrip("/")
                    targets[element.get("Id")] = (
                        target if target.startswith("xl/") else f"xl/{target}"
                    )
        with archive.open("xl/workbook.xml") as raw:
            for _event, element in iterparse(raw, forbid_dtd=True, forbid_entities=True):
                if element.tag.rpartition("}")[2] == "sheet":
                    rid = next((v for k, v in element.attrib.items() if k.endswith("}id")), None)
                    if rid in targets:
                        titles[targets[rid]] = element.get("name", "").strip()
    except (KeyError, ParseError, *CORRUPT, DefusedXmlException):
        return {}
    return titles


def _check_prologue(reader, name):
    """Parse `name` up to its root element with DTDs, entities and external references
    forbidden. Everything that could expand or fetch lies before the root (expat reports
    the whole DTD, internal subset included, before the first start event), so this is
    enough and costs one chunk per part."""
    prologue = _BoundedReader(
        reader,
        PROLOGUE_BYTES,
        _("文件中的“%(part)s”开头异常（XML 根元素之前的内容过长），可能是恶意文件，已拒绝。")
        % {"part": name},
    )
    events = iterparse(
        prologue, events=("start",), forbid_dtd=True, forbid_entities=True, forbid_external=True
    )
    try:
        next(events, None)
    except DefusedXmlException as exc:
        raise WorkbookRefused(
            _(
                "文件中含有不允许的 XML 实体或文档类型声明（可能是恶意文件），已拒绝。"
                "用 Excel 保存的工作簿不含这类内容。"
            )
        ) from exc
    except ParseError as exc:
        if name.lower().endswith(XML_SUFFIXES):
            raise WorkbookRefused(
                _("文件已损坏：其中的“%(part)s”不是完整的 XML。") % {"part": name} + _resave()
            ) from exc


def _check_sheet_count(archive, limits):
    """Count the <sheet> entries of xl/workbook.xml, stopping one past the limit."""
    count = 0
    try:
        with archive.open("xl/workbook.xml") as raw:
            for _event, element in iterparse(
                raw, events=("end",), forbid_dtd=True, forbid_entities=True, forbid_external=True
            ):
                if element.tag.rpartition("}")[2] == "sheet":
                    count += 1
                    if count > limits.max_sheets:
                        raise WorkbookRefused(
                            _(
                                "工作簿中的工作表超过 %(limit)d 个的上限。请删去不需要的工作表后再导入。"
                            )
                            % {"limit": limits.max_sheets}
                        )
    except (ParseError, *CORRUPT) as exc:
        raise WorkbookRefused(
            _("文件已损坏：其中的“%(part)s”不是完整的 XML。") % {"part": "xl/workbook.xml"}
            + _resave()
        ) from exc
