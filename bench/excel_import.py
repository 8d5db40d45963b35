"""Excel interchange benchmark: import, re-import (nothing changes) and export of a
county workbook at two sizes (SPEC §4, §6).

The workbooks are the sample county (40 secretaries, 21 leaves, ~2,600 score rows)
copied k times into one county, so the larger one has the same shape per secretary.
The ratio to look at is time per secretary, large / small: near 1 means linear.
"""

import statistics
import tempfile
import time
from pathlib import Path

import openpyxl

from assessment.models import Cycle
from reports.excel.export import write_results
from reports.excel.importer import import_workbook
from scoring.services import compute_cycle

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "tests" / "fixtures" / "sample-county.xlsx"
SIZES = (1, 10)  # copies of the sample: 40 and 400 secretaries
REPEAT = 2

# Columns holding a code that must differ between copies, per sheet.
CODE_COLUMNS = {
    "单位": ("编码", "上级编码"),
    "书记": ("工号", "社区编码"),
    "事项": ("工号",),
    "指标数据": ("社区编码",),
    "评分": ("工号",),
    "测评": ("社区编码",),
}
COUNTY = "360400"


def scaled_workbook(copies, path):
    """The sample with its towns, communities and secretaries repeated `copies` times."""
    source = openpyxl.load_workbook(SAMPLE, read_only=True)
    out = openpyxl.Workbook(write_only=True)
    for sheet in source.worksheets:
        rows = list(sheet.iter_rows(values_only=True))
        header, body = rows[0], rows[1:]
        target = out.create_sheet(sheet.title)
        target.append(header)
        columns = [header.index(c) for c in CODE_COLUMNS.get(sheet.title, ())]
        if sheet.title == "设置":  # one cycle per size
            body = [(k, f"{v}×{copies}" if k == "考核名称" else v) for k, v in body]
        for copy in range(copies if sheet.title in CODE_COLUMNS else 1):
            for row in body:
                if sheet.title == "单位" and row[0] == COUNTY and copy:
                    continue
                values = list(row)
                for index in columns:
                    if values[index] not in (None, COUNTY):
                        values[index] = f"{values[index]}x{copy}" if copy else values[index]
                if sheet.title == "评分" and values[header.index("来源")] == "自评" and copy:
                    values[header.index("评分人")] = values[header.index("工号")]
                target.append(values)
    out.save(path)
    source.close()


def timed(action):
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def run():
    lines = ["Excel import/export (sample county ×k in one county)", ""]
    figures = {}
    with tempfile.TemporaryDirectory() as folder:
        for copies in SIZES:
            path = Path(folder) / f"county-{copies}.xlsx"
            scaled_workbook(copies, path)
            first, outcome = timed(lambda path=path: import_workbook(path))
            compute_cycle(outcome.cycle_id)
            again = [timed(lambda path=path: import_workbook(path))[0] for _ in range(REPEAT)]
            cycle = Cycle.objects.get(pk=outcome.cycle_id)
            export = [
                timed(lambda cycle=cycle: write_results(cycle, Path(folder) / "out.xlsx"))[0]
                for _ in range(REPEAT)
            ]
            people = cycle.participants.count()
            figures[copies] = (people, first, statistics.median(again), statistics.median(export))
            lines.append(
                f"{people:>5} secretaries: import {first * 1000:8.0f} ms   "
                f"re-import (no change) {statistics.median(again) * 1000:8.0f} ms   "
                f"export {statistics.median(export) * 1000:8.0f} ms"
            )
    (small, *a), (large, *b) = figures[SIZES[0]], figures[SIZES[-1]]
    per = [(y / large) / (x / small) for x, y in zip(a, b, strict=True)]
    lines += [
        "",
        "time per secretary, large / small (1 = linear): "
        f"import {per[0]:.2f}, re-import {per[1]:.2f}, export {per[2]:.2f}",
    ]
    return "\n".join(lines)
