"""Excel interchange (SPEC §4): a whole cycle imported through the product's importer and
the results exported by the product's writer, each beside its floor."""

from pathlib import Path

import openpyxl
import xlsxwriter

from assessment import services as cycles
from bench.data.workbook import write_cycle_workbook
from bench.measure import median_of, timed
from indicators.models import IndicatorNode
from reports.excel.errors import ImportRejected
from reports.excel.export import write_results
from reports.excel.importer import import_workbook
from reports.excel.layout import DETAIL_COLUMNS, RANKING_COLUMNS
from scoring.services import current_results

# The import's units, secretaries and raters get this prefix: a county new to the database.
IMPORT_PREFIX = "X"


def read_every_cell(path):
    """The import's floor: openpyxl in read-only mode going over every cell."""
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    cells = 0
    try:
        for sheet in book.worksheets:
            for row in sheet.iter_rows(values_only=True):
                cells += len(row)
    finally:
        book.close()
    return cells


def measure_import(cycle, folder):
    """Write the cycle as a workbook with fresh codes (a city's cut to the towns that fit
    in one file), then time reading every cell of it (median) and importing it (once: it
    creates a county). Recompute listeners are off
    during the import: in production the recompute it asks for is a job of its own, so
    it is not part of the import's time."""
    path = Path(folder) / "cycle.xlsx"
    sheet_rows = write_cycle_workbook(cycle, path, IMPORT_PREFIX)
    floor, floor_samples = median_of(lambda: read_every_cell(path))
    listeners = list(cycles.INPUTS_LISTENERS)
    cycles.INPUTS_LISTENERS.clear()
    try:
        seconds = timed(lambda: _import(path))
    finally:
        cycles.INPUTS_LISTENERS.extend(listeners)
    return {
        "import_s": seconds,
        "import_floor_s": floor,
        "import_floor_samples": floor_samples,
        "import_participants": sheet_rows["书记"],
        "workbook_bytes": path.stat().st_size,
        "workbook_rows": sheet_rows,
    }


def _import(path):
    try:
        import_workbook(path)
    except ImportRejected as refused:
        listed = "\n".join(str(error) for error in refused.errors[:20])
        raise RuntimeError(f"the benchmark workbook was refused:\n{listed}") from refused


def _floor_rows(participants, leaves):
    """Rows shaped like the export's: 排名 (text and numbers in its columns) and 明细."""
    ranking = (
        [n, f"S{n:05d}", "书记", "某镇", "某社区", 8.5, 40.1, 32.2, 80.8, 3.0, 83.8, "合格"]
        + ["", "二档", 1.0, 8380.0, ""]
        for n in range(participants)
    )
    detail = (
        [f"S{n:05d}", "书记", f"{leaf // 15 + 1}.{leaf % 15 + 1}", "指标名称", 1.5, 1.2, 1.1, 1.3]
        for n in range(participants)
        for leaf in range(leaves)
    )
    return ranking, detail


def write_as_many_cells(path, participants, leaves):
    """The export's floor: XlsxWriter in constant-memory mode writing the export's cells
    (two sheets, the same rows and columns, the same mix of text and numbers)."""
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ranking, detail = _floor_rows(participants, leaves)
    for name, header, rows in (
        ("排名", RANKING_COLUMNS, ranking),
        ("明细", DETAIL_COLUMNS, detail),
    ):
        sheet = book.add_worksheet(name)
        sheet.write_row(0, 0, header)
        for number, row in enumerate(rows, start=1):
            sheet.write_row(number, 0, row)
    book.close()


def measure_export(cycle, folder):
    version = current_results(cycle)
    participants = version.results.count()
    leaves = IndicatorNode.objects.filter(
        template_id=cycle.frozen_template_id, children__isnull=True
    ).count()
    path = Path(folder) / "results.xlsx"
    seconds, samples = median_of(lambda: write_results(cycle, path))
    floor_path = Path(folder) / "floor.xlsx"
    floor, floor_samples = median_of(lambda: write_as_many_cells(floor_path, participants, leaves))
    return {
        "export_s": seconds,
        "export_samples": samples,
        "export_floor_s": floor,
        "export_floor_samples": floor_samples,
        "export_cells": (participants + 1) * len(RANKING_COLUMNS)
        + (participants * leaves + 1) * len(DETAIL_COLUMNS),
        "export_bytes": path.stat().st_size,
        "export_floor_bytes": floor_path.stat().st_size,
    }
