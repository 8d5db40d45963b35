"""A workbook read into plain rows: header row 1, column order free, unknown columns
ignored, blank rows skipped (SPEC §4). Missing sheets and columns are reported here."""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from reports.excel.errors import CellError, letter_of
from reports.excel.importer import cells
from reports.excel.layout import SHEETS
from reports.excel.safety import iter_rows


@dataclass
class Row:
    sheet: "Sheet"
    number: int
    values: dict  # header → raw cell value

    def raw(self, header):
        return self.values.get(header)

    def error(self, header, message):
        """Record a fault at this row's cell under `header`."""
        self.sheet.errors.append(
            CellError(self.sheet.name, self.number, header, message, self.sheet.letters.get(header))
        )

    def read(self, header, reader, *args, required=True):
        """The cell through a `cells` reader; a fault is recorded and None returned."""
        value = self.raw(header)
        if cells.is_blank(value):
            if required:
                self.error(header, _("不能为空"))
            return None
        try:
            return reader(value, *args)
        except cells.BadCell as problem:
            self.error(header, str(problem))
            return None

    def text(self, header, required=True):
        result = self.read(header, cells.text, required=required)
        return result or ""


@dataclass
class Sheet:
    name: str
    letters: dict = field(default_factory=dict)  # header → column letter
    rows: list = field(default_factory=list)
    has_header: bool = False
    errors: list = field(default_factory=list)

    def error(self, message, header=None, row=None):
        self.errors.append(
            CellError(self.name, row, header, message, self.letters.get(header) if header else None)
        )

    def faulty(self, header):
        """The texts under `header` in rows with a fault: codes the file gives but could
        not take, which other sheets need not report again as unknown."""
        numbers = {e.row for e in self.errors}
        return {cells.text(r.raw(header)) for r in self.rows if r.number in numbers} - {""}


def read_sheet(worksheet, name):
    """The §4 sheet `name` from an openpyxl worksheet."""
    sheet = Sheet(name)
    header_index = {}
    for number, values in iter_rows(worksheet):
        if not sheet.has_header:
            sheet.has_header = True
            _read_header(sheet, values, header_index)
            if number != 1:
                sheet.error(_("表头应在第 1 行（实际在第 %(n)d 行）") % {"n": number}, row=number)
            continue
        if all(cells.is_blank(v) for v in values):
            continue
        row = {h: values[i] if i < len(values) else None for h, i in header_index.items()}
        sheet.rows.append(Row(sheet, number, row))
    if not sheet.has_header:
        sheet.error(_("工作表是空的，第 1 行应为表头"))
        return sheet
    for column in SHEETS[name]:
        if column.required and column.header not in header_index:
            sheet.error(
                _("缺少列“%(column)s”") % {"column": column.header}, header=column.header, row=1
            )
    return sheet


def _read_header(sheet, values, header_index):
    known = {c.header for c in SHEETS[sheet.name]}
    for index, value in enumerate(values):
        header = cells.text(value)
        if header not in known:
            continue  # unknown columns are ignored (SPEC §4)
        if header in header_index:
            sheet.errors.append(
                CellError(
                    sheet.name,
                    1,
                    header,
                    _("列“%(column)s”出现了两次") % {"column": header},
                    letter_of(index),
                )
            )
            continue
        header_index[header] = index
        sheet.letters[header] = letter_of(index)


def read_workbook(workbook, wanted):
    """{sheet name: Sheet} for the wanted §4 sheets present in the workbook."""
    titles = {ws.title.strip(): ws for ws in workbook.worksheets}
    return {name: read_sheet(titles[name], name) for name in wanted if name in titles}
