"""Reading the PDFs the product makes, for tests: their text and their fonts."""

import io

from pdfminer.high_level import extract_text
from pdfminer.pdfdocument import PDFDocument
from pdfminer.pdfpage import PDFPage
from pdfminer.pdfparser import PDFParser
from pdfminer.pdftypes import resolve1


def pdf_text(data):
    """The PDF's text with every blank removed (CJK text breaks anywhere)."""
    return "".join(extract_text(io.BytesIO(data)).split())


def embedded_fonts(data):
    """{font name: whether its file is embedded} over every page of the PDF."""
    document = PDFDocument(PDFParser(io.BytesIO(data)))
    found = {}
    for page in PDFPage.create_pages(document):
        fonts = resolve1(resolve1(page.resources).get("Font", {}))
        for font in fonts.values():
            font = resolve1(font)
            for part in resolve1(font.get("DescendantFonts")) or [font]:
                part = resolve1(part)
                descriptor = resolve1(part.get("FontDescriptor")) or {}
                name = resolve1(part.get("BaseFont")).name
                found[name] = any(k in descriptor for k in ("FontFile", "FontFile2", "FontFile3"))
    return found
