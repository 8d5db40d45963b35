"""Import a cycle from a SPEC §4 workbook (all or nothing, idempotent by codes).

    outcome = import_workbook(path_or_file, actor=user)               # a whole cycle
    outcome = import_workbook(f, actor=user, cycle=c, only={"评分"})  # part of a cycle
    outcome = import_workbook(f, actor=user, dry_run=True)            # preview only

Raises `ImportRejected` (every fault, sheet/row/column) or its subclass
`WorkbookRefused` (a hostile or oversized file); nothing is written then.
"""

from reports.excel.importer.apply_setup import closed_reason
from reports.excel.importer.outcome import ImportOutcome, SheetChanges
from reports.excel.importer.run import import_workbook

__all__ = ["ImportOutcome", "SheetChanges", "closed_reason", "import_workbook"]
