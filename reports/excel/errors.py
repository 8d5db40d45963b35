"""What a refused workbook reports: every fault, each at its sheet, row and column."""

from dataclasses import dataclass

from openpyxl.utils import get_column_letter


@dataclass(frozen=True)
class CellError:
    """One fault. `row` is the sheet's row number (1 = header row) and `column` the
    header text; either is None when the fault is about a whole sheet or column.
    `letter` is the column's letter in the file as uploaded."""

    sheet: str
    row: int | None
    column: str | None
    message: str
    letter: str | None = None

    @property
    def ref(self):
        """The cell as a spreadsheet names it: 评分!E17 (or 评分!E, 评分!17, 评分)."""
        place = f"{self.letter or ''}{self.row or ''}"
        return f"{self.sheet}!{place}" if place else self.sheet

    def __str__(self):
        # 评分!E17 分数 7.5 超过该指标分值 6
        return " ".join(part for part in (self.ref, self.column, self.message) if part)

    def as_dict(self):
        return {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "letter": self.letter,
            "ref": self.ref,
            "message": self.message,
        }


def letter_of(index):
    """Column letter of a 0-based column index."""
    return get_column_letter(index + 1)


class ImportRejected(Exception):
    """The whole file is refused; `errors` lists every fault found."""

    def __init__(self, errors):
        self.errors = list(errors)
        super().__init__("\n".join(str(e) for e in self.errors))


class WorkbookRefused(ImportRejected):
    """The file is not a workbook we will open (not a workbook, too large, a zip bomb,
    XML entities, too many sheets, rows or columns)."""

    def __init__(self, message, sheet="文件"):
        super().__init__([CellError(sheet, None, None, message)])
