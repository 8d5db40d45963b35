"""Macros inside Office Open XML packages (.docx/.xlsx/.pptx), for every place that takes
Office files from people (DESIGN §4 "Uploads" and "Excel in").

A macro travels as a VBA project — always an OLE2 compound file, whatever the part is
called — or as an Excel 4.0 macro sheet; a package that carries either declares it in
`[Content_Types].xml` or in a relationship. `holds_macros` looks at all three and reads
little: the first bytes of each part, and the content types and relationship parts (XML,
parsed with defusedxml) up to a size cap each and in all.
"""

import zipfile
import zlib
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Content types and relationship types of VBA projects (application/vnd.ms-office.
# vbaProject, .../relationships/vbaProject), of the macro-enabled main parts (.docm, .xlsm,
# .pptm and their templates) and of Excel 4.0 macro sheets (xlMacrosheet, xlIntlMacrosheet).
MACRO_MARKERS = ("vbaproject", "macroenabled", "macrosheet")
# Office writes a few kilobytes of content types and relationships; a part or a package
# needing more than these is not one a person saved from Office, and reading it whole
# would let a small upload make the server unpack and parse without end.
XML_PART_MAX_BYTES = 2 * 1024 * 1024
XML_TOTAL_MAX_BYTES = 8 * 1024 * 1024
# The largest deck Office writes has a few thousand parts; zipfile has already built one
# object per directory entry, but each part is opened below.
MAX_PARTS = 10_000
# What a broken or unsupported part raises from zipfile, zlib and the XML parser.
UNREADABLE = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    ValueError,
    RuntimeError,  # an encrypted part
    NotImplementedError,  # a compression method zipfile lacks
    ParseError,
    DefusedXmlException,
)


class Unreadable(Exception):
    """The package could not be read within the bounds above, so nothing can be said
    about what it holds."""


def holds_macros(archive):
    """Whether the open `zipfile.ZipFile` of an Office Open XML package carries a macro:
    a part that is an OLE2 compound file (every VBA project is one, whatever its name; so
    are embedded legacy objects and ActiveX controls, which are refused with them) or is
    named like a VBA project, or a content type or relationship type naming a VBA
    project, a macro-enabled document or a macro sheet. `Unreadable` when a part cannot be
    read or the package is bigger than Office makes."""
    parts = archive.infolist()
    if len(parts) > MAX_PARTS:
        raise Unreadable
    budget = XML_TOTAL_MAX_BYTES
    for part in parts:
        name = part.filename.lower()
        if name.endswith("vbaproject.bin"):
            return True
        try:
            with archive.open(part) as stream:
                if stream.read(len(OLE2_MAGIC)) == OLE2_MAGIC:
                    return True
            if name == "[content_types].xml":
                attribute = "ContentType"
            elif name.endswith(".rels"):
                attribute = "Type"
            else:
                continue
            data = _read_capped(archive, part, min(XML_PART_MAX_BYTES, budget))
            budget -= len(data)
            for element in fromstring(data, forbid_dtd=True).iter():
                value = (element.get(attribute) or "").lower()
                if any(marker in value for marker in MACRO_MARKERS):
                    return True
        except UNREADABLE as exc:
            raise Unreadable from exc
    return False


def _read_capped(archive, part, cap):
    """The part's bytes; `Unreadable` past `cap`, however big the directory says it is
    (zipfile unpacks only as far as it is asked)."""
    with archive.open(part) as stream:
        data = stream.read(cap + 1)
    if len(data) > cap:
        raise Unreadable
    return data
