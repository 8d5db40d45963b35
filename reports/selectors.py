"""Reads for the import pages: the jobs one may see, and a finished job's report laid
out for people (faults in workbook order, counts per sheet in workbook order)."""

from dataclasses import dataclass

from reports.excel.layout import SHEETS
from reports.models import IMPORT_KINDS, Job

RECENT_JOBS = 50
# The file as a whole first ("文件": not a workbook, too large…), then the sheets in the
# order the workbook lays them out; a sheet the layout does not know, last.
SHEET_ORDER = {"文件": -1, **{name: i for i, name in enumerate(SHEETS)}}


def recent_imports(user, cycle=None):
    """The latest import jobs the user may see (their own, and their county's if they
    administer it), newest first."""
    jobs = Job.objects.for_user(user).filter(kind__in=IMPORT_KINDS)
    if cycle is not None:
        jobs = jobs.filter(cycle=cycle)
    return jobs.select_related("requested_by", "cycle", "county")[:RECENT_JOBS]


def sheet_rank(sheet):
    return SHEET_ORDER.get(sheet, len(SHEET_ORDER))


def error_rows(job):
    """Every fault of a refused workbook, by sheet (workbook order), row, then column."""
    return sorted(
        job.errors,
        key=lambda e: (
            sheet_rank(e.get("sheet")),
            e.get("row") or 0,
            len(e.get("letter") or ""),
            e.get("letter") or "",
        ),
    )


@dataclass(frozen=True)
class SheetCounts:
    sheet: str
    created: int
    changed: int
    unchanged: int
    deleted: int

    @property
    def touched(self):
        return bool(self.created or self.changed or self.deleted)


def change_rows(job):
    """What the import changes (or would change), one row per sheet in workbook order."""
    changes = job.result.get("changes") or {}
    return [
        SheetCounts(
            sheet=sheet,
            created=counts.get("created", 0),
            changed=counts.get("changed", 0),
            unchanged=counts.get("unchanged", 0),
            deleted=counts.get("deleted", 0),
        )
        for sheet, counts in sorted(changes.items(), key=lambda item: sheet_rank(item[0]))
    ]
