"""A whole cycle as the SPEC §4 import workbook: every sheet of `layout.SHEETS`, filled
from the database so that `reports.excel.importer` reads it back into a cycle with the
same settings, units, secretaries, indicators and inputs (the cycle backup,
`reports.backups.cycle`, docs/operations.md §9).

What §4 has no sheet for stays out, and only the database dump keeps it: online ballots
(§4 carries paper counts: of those, the counts that count — under double entry the
agreed keying — one row per community and category), 数据项 counted from the records
(the importer refuses them), and everything that is not an input to scoring (records,
appeals, key tasks, results, the audit trail).

Written with XlsxWriter in constant-memory mode, like the results export. The file's
date is the cycle's creation, not the time of writing: unchanged data gives the same
bytes, so two backups of it carry the same checksum.
"""

from decimal import Decimal

import xlsxwriter
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from assessment.models import Participant
from evidence.models import Event, MetricValue
from indicators.models import EventType, IndicatorNode, MetricDefinition, SurveyCategory
from org.models import OrgUnit, OrgUnitKind
from reports.excel.cells import Formats, write_header, write_text
from reports.excel.importer.data_sheets import SOURCE_OF_WORD, STATUS_OF_WORD
from reports.excel.importer.setup_sheets import METHOD_OF_WORD
from reports.excel.layout import SETTING_FIELDS, SETTING_KEYS, SHEETS
from reports.excel.safety import EXCEL_MAX_ROWS
from scoring.models import ScoreEntry, Source
from surveys.inputs import paper_states
from surveys.models import PaperTally

CHUNK = 2_000
WORD_OF_KIND = {
    OrgUnitKind.COUNTY: "县",
    OrgUnitKind.TOWN: "镇",
    OrgUnitKind.COMMUNITY: "社区",
    OrgUnitKind.GRID: "网格",
}
# The words the importer reads, each for the value it reads it as.
WORD_OF_METHOD = {value: word for word, value in METHOD_OF_WORD.items()}
WORD_OF_SOURCE = {value: word for word, value in SOURCE_OF_WORD.items()}
WORD_OF_STATUS = {value: word for word, value in STATUS_OF_WORD.items()}


def write_cycle_workbook(cycle, target):
    """Write `cycle` to `target` (a path) as a SPEC §4 workbook; returns {sheet name:
    data rows}. A sheet longer than Excel allows raises a ValidationError."""
    book = xlsxwriter.Workbook(
        str(target),
        {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False},
    )
    book.set_properties(
        {"title": cycle.name, "company": cycle.county.name, "created": cycle.created_at}
    )
    formats = Formats(book)
    counts = {}
    try:
        for name, rows in _sheets(cycle):
            sheet = book.add_worksheet(name)
            write_header(sheet, [column.header for column in SHEETS[name]], formats)
            for column, spec in enumerate(SHEETS[name]):
                sheet.set_column(column, column, spec.width)
            written = 0
            for written, values in enumerate(rows, start=1):
                # XlsxWriter drops a row past Excel's last without a word: a workbook
                # that quietly lacks rows is no backup.
                if written >= EXCEL_MAX_ROWS:
                    raise ValidationError(
                        _(
                            "工作表“%(sheet)s”超过 Excel 的行数上限 %(limit)d 行，"
                            "该周期无法写成一个工作簿。"
                        )
                        % {"sheet": name, "limit": EXCEL_MAX_ROWS}
                    )
                for column, value in enumerate(values):
                    _write(sheet, written, column, value, formats)
            counts[name] = written
    finally:
        book.close()
    return counts


def _write(sheet, row, column, value, formats):
    """Numbers as numbers (the importer reads a float back through its shortest text,
    so 1.125 stays 1.125), text never a formula, nothing for None."""
    if value is None:
        return
    if isinstance(value, Decimal | int):
        sheet.write_number(row, column, float(value))
    else:
        write_text(sheet, row, column, value, formats)


def _yes(flag):
    return "是" if flag else "否"


def _sheets(cycle):
    """(sheet name, its rows) in `layout.SHEETS` order, each row in the sheet's column
    order; rows in a fixed order, so the same data writes the same file."""
    template = cycle.frozen_template_id or cycle.template_id
    participants = Participant.objects.filter(cycle=cycle)
    yield "设置", ((key, getattr(cycle, SETTING_FIELDS[key])) for key in SETTING_KEYS)
    yield "单位", _units(cycle.county)
    yield (
        "书记",
        (
            (staff_no, name, community, _yes(graded))
            for staff_no, name, community, graded in participants.order_by(
                "secretary__staff_no"
            ).values_list("secretary__staff_no", "secretary__name", "community__code", "is_graded")
        ),
    )
    yield "指标", _nodes(template)
    yield (
        "事项类型",
        (
            (code, name, leaf, points, cap, _yes(veto))
            for code, name, leaf, points, cap, veto in EventType.objects.filter(
                template_id=template
            )
            .order_by("code")
            .values_list("code", "name", "leaf__code", "points", "cap", "is_veto")
        ),
    )
    yield "事项", _events(participants)
    yield "指标数据", _metrics(cycle, template)
    yield "评分", _scores(participants)
    yield "测评", _tallies(cycle)
    yield (
        "测评类别",
        SurveyCategory.objects.filter(template_id=template)
        .order_by("name")
        .values_list("name", "weight"),
    )


def _units(county):
    """The county and every unit under it, parents first. The county's own 上级编码 is
    left blank: the file names its county by that (a city above it is not in the file)."""
    for code, name, kind, parent in (
        OrgUnit.objects.filter(path__startswith=county.path)
        .order_by("depth", "path")
        .values_list("code", "name", "kind", "parent__code")
        .iterator(CHUNK)
    ):
        yield code, name, WORD_OF_KIND[kind], None if code == county.code else parent


def _nodes(template):
    for node in (
        IndicatorNode.objects.filter(template_id=template)
        .select_related("parent")
        .order_by("sort_key")
    ):
        yield (
            node.code,
            node.name,
            node.parent.code if node.parent_id else None,
            node.points,
            WORD_OF_METHOD.get(node.method),
            node.metric_key or None,
            node.target_value,
            ";".join(f"{threshold}:{value}" for threshold, value in node.bands) or None,
            node.range_min,
            node.range_max,
        )


def _events(participants):
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
        yield staff_no, type_code, on.isoformat(), text, WORD_OF_STATUS[status], _yes(exempt)


def _metrics(cycle, template):
    counted = MetricDefinition.objects.filter(
        template_id=template, source=MetricDefinition.Source.COUNTED
    ).values("key")
    return (
        MetricValue.objects.filter(cycle=cycle)
        .exclude(key__in=counted)
        .order_by("community__path", "key")
        .values_list("community__code", "key", "value")
        .iterator(CHUNK)
    )


def _scores(participants):
    for staff_no, leaf, source, rater, value, note in (
        ScoreEntry.objects.filter(participant__in=participants)
        .order_by("participant__secretary__staff_no", "leaf__sort_key", "source", "rater__username")
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
        # A self-evaluation's rater is the secretary, named in §4 by 工号.
        rater = staff_no if source == Source.SELF else rater
        yield staff_no, leaf, WORD_OF_SOURCE[source], rater, value, note or None


def _tallies(cycle):
    states = paper_states(
        cycle, PaperTally.objects.filter(cycle=cycle), "community__code", "category__name"
    )
    for (community, category), (_status, counts) in sorted(states.items()):
        if counts is not None:
            yield community, category, *counts
