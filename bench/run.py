"""Run the benchmarks in a throw-away test database and record their results.

    make bench                       # SQLite, or PostgreSQL when DATABASE_URL is set

The foundation and scoring benchmarks need a database (scoring reuses foundation's org
trees); the engine benchmark (pure Python) does not.

Results print as a table and are written to bench/results/<name>.txt. Report ratios
measured in one run, never absolute timings across machines.
"""

import os
import sys
from pathlib import Path

import django

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")


def main():
    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    from bench import engine, excel_hostile, excel_import, foundation, scoring

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        report = foundation.run()
        scoring_report = scoring.run()
        excel_report = excel_import.run()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()
    reports = {
        f"foundation-{connection.vendor}": report,
        f"scoring-{connection.vendor}": scoring_report,
        f"excel-import-{connection.vendor}": excel_report,
        "engine": engine.run(),
        "excel-hostile": excel_hostile.run(),
    }
    for name, text in reports.items():
        print(text + "\n")
        out = ROOT / "bench" / "results" / f"{name}.txt"
        out.write_text(text + "\n")
        print(f"written to {out.relative_to(ROOT)}\n")


if __name__ == "__main__":
    main()
