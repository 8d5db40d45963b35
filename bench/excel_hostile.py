"""Excel hostile-file benchmark: how long does each hostile upload take to be refused?

Builds the corpus of tests/reports/test_hostile_files.py (a normal workbook, files that
are not workbooks, a 300 MB zip bomb, entity expansion, a lying dimension, 310,000 rows)
in a temporary directory and times what an import does with each: `open_workbook`, then
`iter_rows` over every sheet, until the file is refused or read. Every refusal should
come within seconds; the 310,000-row sheet is the slowest, being refused at its
300,001st row (the default limit) after openpyxl has parsed the rows before it.

    python bench/excel_hostile.py        # this benchmark alone
"""

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPEAT = 3


def run():
    from reports.excel.errors import WorkbookRefused
    from tests.reports.test_hostile_files import CORPUS, read_all, workbook_bytes

    cases = {"normal workbook": lambda d: _written(d / "normal.xlsx", workbook_bytes())}
    cases.update(CORPUS)
    lines = [
        f"Excel hostile-file benchmark: open_workbook + iter_rows, median of {REPEAT} runs",
        "",
        f"{'case':<24}{'bytes':>12}{'ms':>10}  outcome",
    ]
    with tempfile.TemporaryDirectory() as directory:
        for name, build in cases.items():
            path = build(Path(directory))
            samples = []
            for _ in range(REPEAT):
                start = time.perf_counter()
                try:
                    read_all(path)
                    outcome = "read"
                except WorkbookRefused as exc:
                    outcome = "refused: " + exc.errors[0].message[:28]
                samples.append(time.perf_counter() - start)
            median = statistics.median(samples) * 1000
            lines.append(f"{name:<24}{path.stat().st_size:>12,}{median:>10.1f}  {outcome}")
    return "\n".join(lines)


def _written(path, data):
    path.write_bytes(data)
    return path


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django

    django.setup()
    print(run())
