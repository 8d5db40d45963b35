"""Office files made byte by byte for the upload tests, so no binary fixture is kept:
OLE2 compound files (MS-CFB; olefile only reads them) holding legacy Word, Excel and
PowerPoint streams, and Office Open XML packages."""

import io
import struct
import zipfile

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
SECTOR = 512
FREESECT, ENDOFCHAIN, FATSECT, NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
# Streams shorter than this live in the mini stream; padding every stream up to it keeps
# the writer to the one allocation table.
MINI_STREAM_CUTOFF = 4096
STORAGE, STREAM, ROOT = 1, 2, 5


def compound_file(tree):
    """A version 3 compound file (512-byte sectors). `tree` maps names to bytes (a
    stream) or to another such dict (a storage), e.g.
    `{"WordDocument": b"...", "Macros": {"VBA": {"dir": b"..."}}}`."""
    names, kinds, datas, children = ["Root Entry"], [ROOT], [b""], {0: []}

    def add(parent, branch):
        for name, value in branch.items():
            index = len(names)
            children[parent].append(index)
            names.append(name)
            if isinstance(value, dict):
                kinds.append(STORAGE)
                datas.append(b"")
                children[index] = []
                add(index, value)
            else:
                kinds.append(STREAM)
                datas.append(value.ljust(MINI_STREAM_CUTOFF, b"\0") if value else b"")

    add(0, tree)
    sectors = [-(-len(data) // SECTOR) for data in datas]
    dir_sectors = -(-len(names) // 4)
    fat_sectors = 1
    while fat_sectors * (SECTOR // 4) < fat_sectors + dir_sectors + sum(sectors):
        fat_sectors += 1
    fat = [FATSECT] * fat_sectors

    def chain(count):
        start = len(fat)
        fat.extend(range(start + 1, start + count))
        fat.append(ENDOFCHAIN)
        return start

    first_dir = chain(dir_sectors)
    starts = {i: chain(n) for i, n in enumerate(sectors) if n}
    fat.extend([FREESECT] * (fat_sectors * (SECTOR // 4) - len(fat)))

    # Each storage's children in the order the format sorts names (length, then upper
    # case), each pointing right to the next: a valid, if lopsided, tree.
    first_child, right = {}, {}
    for parent, ids in children.items():
        ids = sorted(ids, key=lambda i: (len(names[i]), names[i].upper()))
        if ids:
            first_child[parent] = ids[0]
        right.update(zip(ids, ids[1:], strict=False))
    directory = b""
    for index, name in enumerate(names):
        encoded = (name + "\0").encode("utf-16-le")
        directory += struct.pack(
            "<64sHBBIII16sIQQIQ",
            encoded,
            len(encoded),
            kinds[index],
            1,  # black
            NOSTREAM,
            right.get(index, NOSTREAM),
            first_child.get(index, NOSTREAM),
            bytes(16),
            0,
            0,
            0,
            starts.get(index, 0 if kinds[index] == STORAGE else ENDOFCHAIN),
            len(datas[index]),
        )
    # Unused entries: empty, naming no sibling or child.
    unused = struct.pack(
        "<64sHBBIII16sIQQIQ", b"", 0, 0, 0, *[NOSTREAM] * 3, bytes(16), 0, 0, 0, 0, 0
    )
    directory += unused * (dir_sectors * 4 - len(names))

    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII",
        OLE2_MAGIC,
        bytes(16),
        0x003E,  # minor version
        3,  # major version: 512-byte sectors
        0xFFFE,  # little-endian
        9,  # sector shift
        6,  # mini sector shift
        bytes(6),
        0,  # directory sectors: always 0 in version 3
        fat_sectors,
        first_dir,
        0,
        MINI_STREAM_CUTOFF,
        ENDOFCHAIN,  # no mini FAT
        0,
        ENDOFCHAIN,  # no DIFAT sectors beyond the header's
        0,
    )
    header += struct.pack("<109I", *range(fat_sectors), *[FREESECT] * (109 - fat_sectors))
    body = struct.pack(f"<{len(fat)}I", *fat) + directory
    for data in datas:
        body += data.ljust(-(-len(data) // SECTOR) * SECTOR, b"\0")
    return header + body


def _record(kind, body, version=0):
    """A PowerPoint record: version and instance, type, length (MS-PPT §2.3.1)."""
    return struct.pack("<HHI", version, kind, len(body)) + body


def _biff(kind, body=b""):
    """An Excel BIFF record: type, length (MS-XLS §2.1.4)."""
    return struct.pack("<HH", kind, len(body)) + body


def word_document(**extra):
    """A .doc: a WordDocument stream beginning with the FIB's identifier, and a table."""
    return compound_file(
        {"WordDocument": b"\xec\xa5\xc1\x00" + bytes(28), "1Table": bytes(64), **extra}
    )


def excel_workbook(sheet_type=0, encrypted=False, **extra):
    """An .xls whose globals declare one sheet of `sheet_type` (0 worksheet, 1 Excel 4.0
    macro sheet, 6 VBA module), encrypted with FILEPASS if asked."""
    globals_ = _biff(0x0809, struct.pack("<HHHHII", 0x0600, 0x0005, 0, 0, 0, 0))
    if encrypted:
        globals_ += _biff(0x002F, bytes(6))
    globals_ += _biff(0x0085, struct.pack("<IBBBB", 0, 0, sheet_type, 1, 0) + b"S")
    globals_ += _biff(0x000A)
    return compound_file({"Workbook": globals_, **extra})


def powerpoint_presentation(vba=False, encrypted=False):
    """A .ppt: a document container, with a VBA information container if asked, and the
    Current User stream saying whether it is encrypted."""
    document = _record(0x03E9, bytes(40), version=1)
    if vba:
        document += _record(
            0x03FF, _record(0x0400, struct.pack("<III", 1, 1, 2), version=2), version=0xF
        )
    token = 0xF3D1C4DF if encrypted else 0xE391C05F
    current_user = _record(0x0FF6, struct.pack("<II", 0x14, token) + bytes(12))
    return compound_file(
        {
            "PowerPoint Document": _record(0x03E8, document, version=0xF),
            "Current User": current_user,
        }
    )


WORD_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="{main}"/>'
    "</Types>"
)
WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
WORD_MACRO_MAIN = "application/vnd.ms-word.document.macroEnabled.main+xml"
PACKAGE_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="word/document.xml"/>'
    "</Relationships>"
)
DOCUMENT = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    "<w:body><w:p><w:r><w:t>台账</w:t></w:r></w:p></w:body></w:document>"
)


def word_package(main=WORD_MAIN, parts=None):
    """A .docx: content types (with `main` as the document's), the package relationships
    and the document, plus `parts` ({name: bytes or str})."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", WORD_CONTENT_TYPES.replace("{main}", main))
        archive.writestr("_rels/.rels", PACKAGE_RELS)
        archive.writestr("word/document.xml", DOCUMENT)
        for name, content in (parts or {}).items():
            archive.writestr(name, content)
    return buffer.getvalue()
