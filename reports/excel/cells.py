"""What every workbook we write (XlsxWriter) shares: the header look, column widths from
content, and text cells that no spreadsheet runs as formulas (DESIGN §4 Excel out)."""

import unicodedata

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

HEADER = {
    "bold": True,
    "bg_color": "#D9E1F2",
    "align": "center",
    "valign": "vcenter",
    "text_wrap": True,
    "num_format": "@",
}
# Text format, so that what Excel users type over a cell stays text too.
TEXT = {"num_format": "@"}

# A cell starting with one of these is a formula to some spreadsheet (CSV/DDE injection);
# a leading CR is one too, but `safe_text` has already made it LF.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t")


class Formats:
    """A workbook's cell formats, each distinct set of properties made once."""

    def __init__(self, book):
        self.book = book
        self.made = {}

    def __call__(self, *parts):
        props = {key: value for part in parts for key, value in part.items()}
        key = tuple(sorted(props.items()))
        if key not in self.made:
            self.made[key] = self.book.add_format(props)
        return self.made[key]


def safe_text(value):
    """`value` as text a worksheet can hold: characters XML forbids are dropped and CR
    becomes LF, which is what any XML reader would make of it."""
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    return text.replace("\r\n", "\n").replace("\r", "\n")


def text_format(text, *parts):
    """The format parts of a text cell: text format, and Excel's quote prefix when the
    text starts like a formula, as Excel itself marks such text."""
    if text.startswith(FORMULA_PREFIXES):
        return (*parts, TEXT, {"quote_prefix": True})
    return (*parts, TEXT)


def write_text(sheet, row, col, value, formats, *parts):
    """Write `value` as a plain string cell (DESIGN §4, SPEC §4 export): never a formula,
    a URL or a number, whatever it starts with (`write_string`, not `write`)."""
    text = safe_text(value)
    sheet.write_string(row, col, text, formats(*text_format(text, *parts)))


def write_header(sheet, headers, formats):
    """Row 1: the headers, frozen below."""
    for col, header in enumerate(headers):
        sheet.write_string(0, col, header, formats(HEADER))
    sheet.freeze_panes(1, 0)


def display_width(text):
    """Width of `text` in spreadsheet character units: CJK and full-width characters
    take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(text))
