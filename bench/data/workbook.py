"""A whole cycle as the SPEC §4 import workbook, for the import benchmark.

The product exports results, not a cycle's inputs, so the workbook is written here from
the database: every sheet of `reports.excel.layout.SHEETS`, every row of the cycle (of
as many whole towns as Excel's row limit lets one file hold). Codes
that are unique across a deployment (units, 工号, rater accounts) get a prefix, so the
file imports as a county the database does not know yet (a fresh import, not a
re-import that finds nothing to change). Online ballots have no sheet (§4 carries paper
counts only); of the two agreeing keyings of each paper count, one is written.
"""

from decimal import Decimal

import openpyxl
from django.db.models import Count, Q

from assessment.models import Participant
from evidence.models import Event, MetricValue
from indicators.models import EventType, IndicatorNode, SurveyCategory
from org.models import OrgUnit
from reports.excel import layout
from reports.excel.importer.data_sheets import SOURCE_OF_WORD, STATUS_OF_WORD
from reports.excel.importer.setup_sheets import KIND_OF_WORD, METHOD_OF_WORD
from reports.excel.safety import EXCEL_MAX_ROWS
from scoring.models import ScoreEntry
from surveys.models import PaperTally

CHUNK = 20_000
WORD_OF_SOURCE = {v: k for k, v in SOURCE_OF_WORD.items()}
WORD_OF_STATUS = {v: k for k, v in STATUS_OF_WORD.items()}
WORD_OF_METHOD = {v: k for k, v in METHOD_OF_WORD.items()}
WORD_OF_KIND = {"county": "县", "town": "镇", "community": "社区", "grid": "网格"}
assert set(WORD_OF_KIND.values()) <= set(KIND_OF_WORD)


def _number(value):
    """A Decimal as the number a spreadsheet holds (the importer reads it back through
    its shortest text, so 1.5 stays 1.5)."""
    return None if value is None else float(value) if isinstance(value, Decimal) else value


def _yes(flag):
    return "是" if flag else "否"


def _settings(cycle):
    return [
        (key, _number(getattr(cycle, layout.SETTING_FIELDS[key]))) for key in layout.SETTING_KEYS
    ]


class _Sheet:
    """One sheet written row by row; counts its rows."""

    def __init__(self, book, name):
        self.sheet = book.create_sheet(name)
        self.rows = 0
        self.append([column.header for column in layout.SHEETS[name]])

    def append(self, values):
        self.sheet.append(values)
        self.rows += 1


def towns_that_fit(cycle, rows):
    """The cycle's towns, in order, as many as keep 评分 (by far the longest sheet) within
    `rows` rows."""
    chosen, total = [], 0
    for town, count in (
        ScoreEntry.objects.filter(participant__cycle=cycle)
        .values_list("participant__community__parent")
        .annotate(n=Count("pk"))
        .order_by("participant__community__parent__path")
    ):
        if total + count > rows:
            break
        chosen.append(town)
        total += count
    return chosen


def write_cycle_workbook(cycle, path, prefix):
    """Write `cycle` to `path` as a SPEC §4 workbook, its codes prefixed with `prefix`.
    A sheet holds at most Excel's 1,048,576 rows, so a cycle too large for one file (a
    city's 1.4 million score entries) is cut to the whole towns that fit. Returns
    {sheet name: data rows}."""

    def code(value):
        return prefix + value

    # openpyxl's write-only mode keeps text in a shared-string table, as Excel saves it
    # (XlsxWriter's constant-memory mode writes every string inline).
    book = openpyxl.Workbook(write_only=True)
    sheets = {name: _Sheet(book, name) for name in layout.SHEETS}
    template = cycle.frozen_template_id
    towns = OrgUnit.objects.filter(pk__in=towns_that_fit(cycle, EXCEL_MAX_ROWS - 1))
    within = Q(pk=cycle.county_id)
    for town in towns:
        within |= Q(path__startswith=town.path)
    participants = Participant.objects.filter(cycle=cycle, community__parent__in=towns)

    for row in _settings(cycle):
        sheets["设置"].append(row)
    for unit_code, name, kind, parent in (
        OrgUnit.objects.filter(within)
        .order_by("depth", "path")
        .values_list("code", "name", "kind", "parent__code")
        .iterator(CHUNK)
    ):
        parent = code(parent) if parent else None
        sheets["单位"].append((code(unit_code), name, WORD_OF_KIND[kind], parent))
    for staff_no, name, community, graded in (
        participants.order_by("pk")
        .values_list("secretary__staff_no", "secretary__name", "community__code", "is_graded")
        .iterator(CHUNK)
    ):
        sheets["书记"].append((code(staff_no), name, code(community), _yes(graded)))
    for node in IndicatorNode.objects.filter(template_id=template).select_related("parent"):
        sheets["指标"].append(
            (
                node.code,
                node.name,
                node.parent.code if node.parent_id else None,
                _number(node.points),
                WORD_OF_METHOD.get(node.method),
                node.metric_key or None,
                _number(node.target_value),
                ";".join(f"{t}:{v}" for t, v in node.bands) or None,
                _number(node.range_min),
                _number(node.range_max),
            )
        )
    for type_code, name, leaf, points, cap, veto in EventType.objects.filter(
        template_id=template
    ).values_list("code", "name", "leaf__code", "points", "cap", "is_veto"):
        sheets["事项类型"].append(
            (type_code, name, leaf, _number(points), _number(cap), _yes(veto))
        )
    for staff_no, type_code, on, text, status, exempt in (
        Event.objects.filter(participant__in=participants)
        .order_by("pk")
        .values_list(
            "participant__secretary__staff_no",
            "event_type__code",
            "occurred_on",
            "description",
            "status",
            "exempt",
        )
        .iterator(CHUNK)
    ):
        sheets["事项"].append(
            (code(staff_no), type_code, on.isoformat(), text, WORD_OF_STATUS[status], _yes(exempt))
        )
    for community, key, value in (
        MetricValue.objects.filter(cycle=cycle, community__parent__in=towns)
        .order_by("pk")
        .values_list("community__code", "key", "value")
        .iterator(CHUNK)
    ):
        sheets["指标数据"].append((code(community), key, _number(value.normalize())))
    for staff_no, leaf, source, rater, value, note in (
        ScoreEntry.objects.filter(participant__in=participants)
        .order_by("pk")
        .values_list(
            "participant__secretary__staff_no",
            "leaf__code",
            "source",
            "rater__username",
            "value",
            "note",
        )
        .iterator(CHUNK)
    ):
        rater = code(staff_no) if source == "self" else code(rater)
        sheets["评分"].append(
            (code(staff_no), leaf, WORD_OF_SOURCE[source], rater, _number(value), note or None)
        )
    seen = set()
    for community, category, *counts in (
        PaperTally.objects.filter(cycle=cycle, community__parent__in=towns)
        .order_by("community_id", "category_id", "pk")
        .values_list(
            "community__code", "category__name", "satisfied", "basic", "unsatisfied", "unknown"
        )
        .iterator(CHUNK)
    ):
        if (community, category) not in seen:
            seen.add((community, category))
            sheets["测评"].append((code(community), category, *counts))
    for name, weight in SurveyCategory.objects.filter(template_id=template).values_list(
        "name", "weight"
    ):
        sheets["测评类别"].append((name, _number(weight)))
    book.save(path)
    return {name: sheet.rows - 1 for name, sheet in sheets.items()}
