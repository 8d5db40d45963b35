"""The bulletin's workbook: one sheet per table of `reports.bulletins.tables`, headers
in row 1 (sheet `暂定排名` reads back like the results export's 排名), numbers as numbers,
text never a formula — formatted as the results export (`reports.excel`)."""

import io
from decimal import Decimal

import xlsxwriter

from reports.bulletins.tables import tables
from reports.excel.cells import Formats, display_width, write_header, write_text

SCORE = {"num_format": "0.00"}
COUNT = {"num_format": "0"}
MAX_WIDTH = 40
FLAGGED = {"bg_color": "#FCE4D6", "bold": True}


def write_workbook(bulletin, snapshot, target=None):
    """The workbook's bytes (or written to the path `target`)."""
    output = target or io.BytesIO()
    book = xlsxwriter.Workbook(output, {"in_memory": True})
    book.set_properties(
        {
            "title": snapshot["title"],
            "subject": bulletin.number or "草稿",
            "company": snapshot["county"],
            "comments": "暂定（数据截至 %s）" % snapshot["cutoff"],
            # The version's own date, not the time of writing: one version is one file
            # (a cycle backup's checksums repeat).
            "created": bulletin.generated_at,
        }
    )
    formats = Formats(book)
    for table in tables(snapshot).values():
        sheet = book.add_worksheet(table.key)
        write_header(sheet, table.headers, formats)
        widths = [display_width(h) for h in table.headers]
        for r, row in enumerate(table.rows, start=1):
            flagged = table.key == "各镇街情况" and row[-1] in ("偏宽", "偏严")
            extra = (FLAGGED,) if flagged else ()
            for c, cell in enumerate(row):
                if c in table.numbers and isinstance(cell, (Decimal, int)):
                    is_score = isinstance(cell, Decimal)
                    sheet.write_number(
                        r, c, float(cell), formats(SCORE if is_score else COUNT, *extra)
                    )
                    text = f"{cell:.2f}" if is_score else str(cell)
                else:
                    text = "" if cell is None else str(cell)
                    write_text(sheet, r, c, text, formats, *extra)
                widths[c] = max(widths[c], display_width(text))
        for c, width in enumerate(widths):
            sheet.set_column(c, c, min(width + 2, MAX_WIDTH))
    book.close()
    if target is None:
        return output.getvalue()
    return None
