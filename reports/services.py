"""Workbooks to download (SPEC §4): a cycle's results and the empty import template."""

import io

from reports.excel.export import results_filename, write_results
from reports.excel.template import TEMPLATE_FILENAME, write_template
from scoring.services import compute_until_current

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RECOMPUTE_ATTEMPTS = 3


def bring_results_up_to_date(cycle):
    """Recompute when inputs changed since the current results (DESIGN §3), so the
    export never shows 待更新 numbers."""
    compute_until_current(cycle.pk, attempts=RECOMPUTE_ATTEMPTS)


def results_workbook(cycle, *, user, by_town=False):
    """(file, name) of the cycle's current results as `user` reaches them: 排名 and 明细,
    and a sheet per town when asked. A ValidationError when there are no results."""
    bring_results_up_to_date(cycle)
    buffer = io.BytesIO()
    write_results(cycle, buffer, by_town=by_town, user=user)
    buffer.seek(0)
    return buffer, results_filename(cycle, by_town=by_town)


def template_workbook():
    """(file, name) of the empty import template."""
    buffer = io.BytesIO()
    write_template(buffer)
    buffer.seek(0)
    return buffer, TEMPLATE_FILENAME
