"""The results workbook (SPEC §4 导出): sheet 排名, one row per participant in ranking
order, and sheet 明细, one row per participant and leaf; optionally one 排名 sheet per
town. Headers come from `layout`, in row 1, so the file reads back by the §4 rules.

Written with XlsxWriter in constant-memory mode (DESIGN §1 allows it for large exports):
a city's 3,000 participants × 60 leaves are 180,000 detail rows, which XlsxWriter streams
several times faster than openpyxl and without holding them in memory.
"""

import re
from dataclasses import dataclass

import xlsxwriter
from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from indicators.models import IndicatorNode
from reports.excel.cells import Formats, display_width, safe_text, text_format, write_header
from reports.excel.layout import DETAIL_COLUMNS, RANKING_COLUMNS
from scoring.models import LeafResult, Result
from scoring.results.selectors import (
    TIERS,
    describe_vetoes,
    event_type_names,
    rank_notes,
    visible_results,
)
from scoring.services import current_results

RANKING_SHEET = "排名"
DETAIL_SHEET = "明细"

SCORE = "0.00"
MONEY = "#,##0.00"
# Coefficients are kept to 3 decimals (1.125); two show, a third only when there is one.
COEFFICIENT = "0.00#"
RANKING_FORMATS = {
    "自评": SCORE,
    "目标量评": SCORE,
    "组织考评": SCORE,
    "综合得分": SCORE,
    "加分": SCORE,
    "最终得分": SCORE,
    "系数": COEFFICIENT,
    "绩效报酬": MONEY,
}
DETAIL_FORMATS = {"分值": SCORE, "自评": SCORE, "目标量评": SCORE, "组织考评": SCORE}

TIER_FILLS = {
    TIERS.top: {"bg_color": "#E2EFDA"},
    TIERS.bottom: {"bg_color": "#FCE4D6"},
}
VETO_FILL = {"bg_color": "#F4B6B6"}
VETO_MARK = {"bold": True, "font_color": "#C00000"}

MAX_WIDTH = 40
# Excel's own limits on sheet names.
SHEET_NAME_LENGTH = 31
SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\\x00-\x1f]")
FILENAME_FORBIDDEN = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')


@dataclass(frozen=True)
class RankingRow:
    """One participant's line of the 排名 sheet, with what colours it."""

    values: tuple
    tier: str
    veto: bool
    veto_text: str
    town_key: str
    town: str


def results_filename(cycle, by_town=False):
    """The export's file name, e.g. 2026年度青山县社区书记考核-排名.xlsx: no path, quote or
    control characters, so it is safe in a Content-Disposition header."""
    suffix = _("排名（分镇街）") if by_town else pgettext("file name", "排名")
    name = _("%(year)s年度%(county)s社区书记考核-%(suffix)s") % {
        "year": cycle.year,
        "county": cycle.county.name,
        "suffix": suffix,
    }
    return FILENAME_FORBIDDEN.sub("", name).strip() + ".xlsx"


def write_results(cycle, target, *, by_town=False, user=None):
    """Write the cycle's current results to `target` (a path or a binary file) as the
    SPEC §4 export: 排名 (`layout.RANKING_COLUMNS`) in ranking order — ranked rows by
    rank (the vetoed rank last, SPEC §3.3), then the non-graded, unranked (§3.5) — and
    明细 (`layout.DETAIL_COLUMNS`), each participant's leaves in reading order. With
    `by_town`, one more 排名 sheet per town.

    The current version is written as it is: a caller that must not export stale results
    recomputes first (`scoring.services.results_are_stale`, `compute_cycle`). With `user`,
    only the participants that user reaches (DESIGN §4). Six queries (eight with a user),
    whatever the number of participants. Returns how many participants it wrote."""
    version = current_results(cycle)
    if version is None:
        raise ValidationError(_("该考核周期还没有计算结果，请先计算。"))
    results = visible_results(user, version) if user else Result.objects.filter(version=version)
    notes = rank_notes(version, cycle, visible=results if user else None)
    rows = _ranking_rows(results, event_type_names(cycle), notes)
    leaves = list(
        IndicatorNode.objects.filter(template_id=cycle.frozen_template_id, children__isnull=True)
        .order_by("sort_key")
        .values_list("pk", "code", "name", "points")
    )
    leaf_values = (
        LeafResult.objects.filter(sheet__results__in=results)
        .order_by(*_ranking_order("sheet__results__"), "leaf__sort_key")
        .values_list("sheet__results__id", "leaf_id", "self_value", "target_value", "org_value")
    )

    book = xlsxwriter.Workbook(
        target,
        {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False},
    )
    formats = Formats(book)
    _write_ranking(book.add_worksheet(RANKING_SHEET), formats, list(rows.values()))
    _write_detail(book.add_worksheet(DETAIL_SHEET), formats, rows, leaves, leaf_values)
    if by_town:
        taken = {RANKING_SHEET, DETAIL_SHEET}
        for key, town in sorted({(row.town_key, row.town) for row in rows.values()}):
            sheet = book.add_worksheet(_sheet_name(town, taken))
            _write_ranking(sheet, formats, [row for row in rows.values() if row.town_key == key])
    book.close()
    return len(rows)


def _ranking_order(prefix=""):
    """The ranking page's order (`scoring.results.selectors.ranking_rows` by rank): graded
    first, by ranking group and rank, ties by staff number; the non-graded last."""
    return [
        F(f"{prefix}graded").desc(),
        F(f"{prefix}group").asc(),
        F(f"{prefix}rank").asc(nulls_last=True),
        F(f"{prefix}participant__secretary__staff_no").asc(),
    ]


def _ranking_rows(results, type_names, notes):
    """{result pk: RankingRow} in ranking order (one query)."""
    rows = {}
    for r in results.select_related(
        "participant__secretary", "participant__community__parent"
    ).order_by(*_ranking_order()):
        community = r.participant.community
        town = community.parent
        values = (
            r.rank,
            r.participant.secretary.staff_no,
            r.participant.secretary.name,
            town.name if town else "",
            community.name,
            r.self_total,
            r.target_total,
            r.org_total,
            r.composite,
            r.bonus,
            r.final,
            r.grade,
            _("是") if r.veto else _("否"),
            r.tier or None,
            r.coefficient,
            r.pay,
            notes[r.pk].text if r.pk in notes else "",
        )
        rows[r.pk] = RankingRow(
            values=values,
            tier=r.tier,
            veto=r.veto,
            veto_text="\n".join(describe_vetoes(r.veto_reasons, type_names)),
            town_key=town.path if town else "",
            town=town.name if town else "",
        )
    return rows


def _prepare(sheet, formats, headers, columns, number_formats):
    """Header, column widths from content, and the page set up for printing: landscape,
    one page wide, the header repeated on every page, gridlines."""
    write_header(sheet, headers, formats)
    for col, (header, values) in enumerate(zip(headers, columns, strict=True)):
        shown = (display_width(_shown(v, number_formats.get(header))) for v in values)
        sheet.set_column(col, col, min(MAX_WIDTH, 2 + max(display_width(header), *shown, 0)))
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(0)
    sheet.hide_gridlines(0)


def _shown(value, number_format):
    """The text a column shows for `value`, to size the column."""
    if value is None:
        return ""
    if number_format == MONEY:
        return f"{value:,.2f}"
    if number_format == SCORE:
        return f"{value:.2f}"
    return str(value)


def _write_ranking(sheet, formats, rows):
    headers = RANKING_COLUMNS
    columns = list(zip(*(row.values for row in rows), strict=True)) or [()] * len(headers)
    _prepare(sheet, formats, headers, columns, RANKING_FORMATS)
    veto_col = headers.index("一票否决")
    for number, row in enumerate(rows, 1):
        fill = VETO_FILL if row.veto else TIER_FILLS.get(row.tier, {})
        for col, (header, value) in enumerate(zip(headers, row.values, strict=True)):
            mark = VETO_MARK if row.veto and col == veto_col else {}
            if isinstance(value, str):
                text = safe_text(value)
                sheet.write_string(number, col, text, formats(*text_format(text, fill, mark)))
            elif value is None:
                sheet.write_blank(number, col, None, formats(fill))
            else:
                number_format = {"num_format": RANKING_FORMATS.get(header, "0")}
                sheet.write_number(number, col, value, formats(fill, number_format))
        if row.veto_text:
            sheet.write_comment(
                number,
                veto_col,
                safe_text(row.veto_text),
                {"author": _("一票否决事项"), "x_scale": 2, "y_scale": 1.5},
            )
    sheet.autofilter(0, 0, len(rows), len(headers) - 1)


def _write_detail(sheet, formats, rows, leaves, leaf_values):
    """One row per participant and leaf, streamed from the database in ranking order;
    each participant's and each leaf's text is prepared once."""
    headers = DETAIL_COLUMNS
    people = {
        pk: [_text_cell(formats, row.values[1]), _text_cell(formats, row.values[2])]
        for pk, row in rows.items()
    }
    leaf_cells = {
        pk: [_text_cell(formats, code), _text_cell(formats, name), points]
        for pk, code, name, points in leaves
    }
    columns = [
        [row.values[1] for row in rows.values()],
        [row.values[2] for row in rows.values()],
        [code for _pk, code, _name, _points in leaves],
        [name for _pk, _code, name, _points in leaves],
        [points for *_rest, points in leaves],
        [],
        [],
        [],
    ]
    _prepare(sheet, formats, headers, columns, DETAIL_FORMATS)
    score = formats({"num_format": SCORE})
    number = 0
    for result_id, leaf_id, self_value, target_value, org_value in leaf_values.iterator(
        chunk_size=5000
    ):
        number += 1
        (staff_no, staff_format), (name, name_format) = people[result_id]
        (code, code_format), (leaf_name, leaf_format), points = leaf_cells[leaf_id]
        sheet.write_string(number, 0, staff_no, staff_format)
        sheet.write_string(number, 1, name, name_format)
        sheet.write_string(number, 2, code, code_format)
        sheet.write_string(number, 3, leaf_name, leaf_format)
        sheet.write_number(number, 4, points, score)
        sheet.write_number(number, 5, self_value, score)
        sheet.write_number(number, 6, target_value, score)
        sheet.write_number(number, 7, org_value, score)
    sheet.autofilter(0, 0, number, len(headers) - 1)


def _text_cell(formats, value):
    text = safe_text(value)
    return text, formats(*text_format(text))


def _sheet_name(name, taken):
    """`name` as a sheet may be called — no []:*?/\\ or control characters, at most 31
    characters, not quoted — and unlike the names in `taken` (Excel compares them
    without case); added to `taken`."""
    base = SHEET_NAME_FORBIDDEN.sub("", str(name)).strip("' ")
    base = base[:SHEET_NAME_LENGTH] or _("镇街")
    title, n = base, 1
    while title.casefold() in {t.casefold() for t in taken}:
        n += 1
        tag = f"({n})"
        title = base[: SHEET_NAME_LENGTH - len(tag)] + tag
    taken.add(title)
    return title
