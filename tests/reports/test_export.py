"""The results workbook (SPEC §4 导出): 排名 and 明细 with the SPEC's headers in row 1,
numbers as numbers that read back exactly, ranking order with the vetoed and the
non-graded last, what a department prints, per-town sheets, no formula from user text
(DESIGN §4), and a fixed number of queries (DESIGN §7)."""

import io
import re
import zipfile
from datetime import date
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from openpyxl import load_workbook

from assessment import services as cycles
from assessment.models import Cycle
from org.models import OrgUnit, OrgUnitKind, Secretary
from reports.excel.export import results_filename, write_results
from reports.excel.layout import DETAIL_COLUMNS, RANKING_COLUMNS
from scoring import engine, inputs
from scoring.models import LeafResult, Result, ScoreEntry, Source
from scoring.services import compute_cycle, current_results
from tests.factories import OrgUnitFactory, SecretaryFactory, open_seed_cycle
from tests.reports.test_template import width_of


def enrol(world, cycle, staff_no, town):
    community = OrgUnitFactory(
        code=f"QA1{staff_no}", name=f"{staff_no}社区", kind=OrgUnitKind.COMMUNITY, parent=town
    )
    secretary = SecretaryFactory(community=community, name=f"{staff_no}书记", staff_no=staff_no)
    return cycles.enrol_secretary(actor=None, cycle=cycle, secretary=secretary)


def give_scores(cycle, shares, rater):
    """Every `rating` leaf at `share` of its points, in all three sources."""
    leaves = list(cycle.frozen_template.nodes.filter(method="rating", children__isnull=True))
    ScoreEntry.objects.bulk_create(
        ScoreEntry(
            participant=participant,
            leaf=leaf,
            source=source,
            rater=rater,
            value=(leaf.points * share).quantize(D("0.01")),
        )
        for participant, share in shares.items()
        for leaf in leaves
        for source in Source
    )
    cycles.mark_inputs_changed(cycle)
    compute_cycle(cycle.pk)


@pytest.fixture
def scored(world, monkeypatch):
    """Seven graded participants in two towns with distinct scores — 乙书记 (SA2) vetoed
    for a 越级信访 — and one non-graded participant (X9, town B). 三档 is 30%: two."""
    cycle = open_seed_cycle(
        world.county_a, direct=(), pay_base=D("1234.5"), tier_bottom_share=D(30)
    )
    people = {s: cycle.participants.get(secretary=world.secretaries[s]) for s in ("a1", "a2", "b1")}
    people["x1"] = enrol(world, cycle, "X1", world.town_a)
    people["x2"] = enrol(world, cycle, "X2", world.town_b)
    people["x3"] = enrol(world, cycle, "X3", world.town_b)
    people["x4"] = enrol(world, cycle, "X4", world.town_a)
    people["x9"] = enrol(world, cycle, "X9", world.town_b)
    x9 = people["x9"]
    cycles.set_grading(
        actor=None, participant=x9, version=x9.version, is_graded=False, reason="新任"
    )
    monkeypatch.setattr(
        inputs,
        "INPUT_SOURCES",
        [
            lambda cycle, cutoff, only=None: inputs.InputContribution(
                events=(
                    engine.Event(
                        str(people["a2"].pk), "YJXF", on=date(2026, 5, 4), description="越级上访"
                    ),
                )
            )
        ],
    )
    shares = {"a1": "1", "a2": ".99", "b1": ".7", "x1": ".93", "x2": ".855", "x3": ".81"}
    shares |= {"x4": ".6", "x9": ".9"}
    give_scores(cycle, {people[k]: D(v) for k, v in shares.items()}, world.county_assessor_a)
    return Cycle.objects.get(pk=cycle.pk)


def exported(cycle, **options):
    buffer = io.BytesIO()
    write_results(cycle, buffer, **options)
    return buffer.getvalue()


def workbook(data):
    return load_workbook(io.BytesIO(data))


def table(sheet):
    """(headers, [{header: cell}]) of a sheet whose header is row 1."""
    rows = list(sheet.iter_rows())
    headers = [cell.value for cell in rows[0]]
    return headers, [dict(zip(headers, row, strict=True)) for row in rows[1:]]


def stored_results(cycle):
    return {
        r.participant.secretary.staff_no: r
        for r in Result.objects.filter(version=current_results(cycle)).select_related(
            "participant__secretary"
        )
    }


def number(cell):
    """A number cell's value as SPEC §4 reads it: Decimal(str(x))."""
    assert cell.data_type == "n", f"{cell.coordinate} is not a number: {cell.value!r}"
    return D(str(cell.value))


RANKING_NUMBERS = {
    "自评": "self_total",
    "目标量评": "target_total",
    "组织考评": "org_total",
    "综合得分": "composite",
    "加分": "bonus",
    "最终得分": "final",
    "系数": "coefficient",
    "绩效报酬": "pay",
}


# -------------------------------------------------------------------------- layout


def test_the_sheets_have_the_spec_headers_in_row_1(scored):
    book = workbook(exported(scored))
    assert book.sheetnames == ["排名", "明细"]
    assert [c.value for c in book["排名"][1]] == list(RANKING_COLUMNS)
    assert [c.value for c in book["明细"][1]] == list(DETAIL_COLUMNS)
    assert RANKING_COLUMNS[:5] == ("排名", "工号", "姓名", "镇街", "社区")
    assert DETAIL_COLUMNS == (
        "工号",
        "姓名",
        "指标编码",
        "指标名称",
        "分值",
        "自评",
        "目标量评",
        "组织考评",
    )


def test_ranked_rows_come_in_rank_order_the_vetoed_last_then_the_non_graded(scored):
    _headers, rows = table(workbook(exported(scored))["排名"])
    assert [r["工号"].value for r in rows] == ["SA1", "X1", "X2", "X3", "SB1", "X4", "SA2", "X9"]
    assert [r["排名"].value for r in rows] == [1, 2, 3, 4, 5, 6, 7, None]
    vetoed = rows[6]
    assert (vetoed["一票否决"].value, vetoed["等次"].value, vetoed["档次"].value) == (
        "是",
        "不合格",
        "三档",
    )
    assert {r["一票否决"].value for r in rows if r["工号"].value != "SA2"} == {"否"}
    assert "越级信访（2026-05-04）：越级上访" in vetoed["一票否决"].comment.text


def test_non_graded_rows_leave_rank_tier_coefficient_and_pay_blank(scored):
    _headers, rows = table(workbook(exported(scored))["排名"])
    ungraded = rows[-1]
    assert ungraded["工号"].value == "X9" and ungraded["等次"].value == "不定等次"
    for header in ("排名", "档次", "系数", "绩效报酬"):
        assert ungraded[header].value is None
    assert ungraded["最终得分"].value > 0  # still scored and shown


def test_town_and_community_are_the_participants_units(world, scored):
    _headers, rows = table(workbook(exported(scored))["排名"])
    places = {r["工号"].value: (r["镇街"].value, r["社区"].value) for r in rows}
    assert places["SA1"] == ("城关镇", "城东社区")
    assert places["SB1"] == ("东湖街道", "东湖社区")
    assert places["X2"] == ("东湖街道", "X2社区")


# ---------------------------------------------------------------- numbers round-trip


def test_every_ranking_number_reads_back_as_the_stored_decimal(scored):
    """Export → re-read → the same numbers (SPEC §4: Decimal(str(x)))."""
    stored = stored_results(scored)
    _headers, rows = table(workbook(exported(scored))["排名"])
    assert len(rows) == len(stored) == 8
    for row in rows:
        result = stored[row["工号"].value]
        if result.graded:
            assert row["排名"].data_type == "n" and row["排名"].value == result.rank
        for header, field in RANKING_NUMBERS.items():
            value = getattr(result, field)
            if value is None:
                assert row[header].value is None
            else:
                assert number(row[header]) == value, (row["工号"].value, header)


def test_every_detail_number_reads_back_as_the_stored_leaf_values(scored):
    version = current_results(scored)
    stored = {
        (lr.sheet.participant.secretary.staff_no, lr.leaf.code): lr
        for lr in LeafResult.objects.filter(sheet__results__version=version).select_related(
            "leaf", "sheet__participant__secretary"
        )
    }
    _headers, rows = table(workbook(exported(scored))["明细"])
    assert len(rows) == len(stored)
    seen = set()
    for row in rows:
        key = (row["工号"].value, row["指标编码"].value)
        leaf = stored[key]
        seen.add(key)
        assert row["姓名"].value == leaf.sheet.participant.secretary.name
        assert row["指标名称"].value == leaf.leaf.name
        assert number(row["分值"]) == leaf.leaf.points
        assert number(row["自评"]) == leaf.self_value
        assert number(row["目标量评"]) == leaf.target_value
        assert number(row["组织考评"]) == leaf.org_value
    assert seen == set(stored)


def test_detail_rows_follow_the_ranking_and_each_participants_leaves_in_reading_order(scored):
    book = workbook(exported(scored))
    _headers, ranking = table(book["排名"])
    _headers, detail = table(book["明细"])
    leaves = list(
        scored.frozen_template.nodes.filter(children__isnull=True)
        .order_by("sort_key")
        .values_list("code", flat=True)
    )
    expected = [(r["工号"].value, code) for r in ranking for code in leaves]
    assert [(r["工号"].value, r["指标编码"].value) for r in detail] == expected


def test_number_cells_are_numbers_with_two_decimal_formats(scored):
    book = workbook(exported(scored))
    _headers, ranking = table(book["排名"])
    formats = dict.fromkeys(RANKING_NUMBERS, "0.00") | {"绩效报酬": "#,##0.00", "系数": "0.00#"}
    for row in ranking[:-1]:  # the non-graded row has blanks
        for header, number_format in formats.items():
            assert row[header].data_type == "n"
            assert row[header].number_format == number_format, header
    _headers, detail = table(book["明细"])
    for row in detail:
        for header in ("分值", "自评", "目标量评", "组织考评"):
            assert row[header].data_type == "n" and row[header].number_format == "0.00"


# --------------------------------------------------------------------- print layout


def test_sheets_are_ready_to_print_and_filter(scored):
    book = workbook(exported(scored, by_town=True))
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2"
        last = sheet.max_row
        columns = len(RANKING_COLUMNS) if sheet.title != "明细" else len(DETAIL_COLUMNS)
        assert sheet.auto_filter.ref == f"A1:{chr(ord('A') + columns - 1)}{last}"
        assert all(cell.font.b and cell.fill.fgColor.rgb.endswith("D9E1F2") for cell in sheet[1])
        assert sheet.print_title_rows == "$1:$1"
        assert sheet.page_setup.orientation == "landscape"


def test_column_widths_follow_the_content_with_chinese_counted_double(scored):
    sheet = workbook(exported(scored))["排名"]
    widths = {cell.value: width_of(sheet, cell.column) for cell in sheet[1]}
    assert widths["排名"] == 2 * 2 + 2  # the header: two CJK characters, and a margin
    assert widths["姓名"] == 2 * 3 + 2  # 甲书记, X1书记
    assert widths["社区"] == 2 * 4 + 2  # 城东社区
    assert widths["绩效报酬"] == 2 * 4 + 2 and widths["工号"] == 2 * 2 + 2


def test_tiers_are_coloured_and_vetoed_rows_marked(scored):
    _headers, rows = table(workbook(exported(scored))["排名"])
    fills = {r["工号"].value: r["姓名"].fill.fgColor.rgb[-6:] for r in rows}
    tiers = {r["工号"].value: r["档次"].value for r in rows}
    assert tiers["SA1"] == "一档" and fills["SA1"] == "E2EFDA"
    assert tiers["X4"] == "三档" and fills["X4"] == "FCE4D6"
    assert tiers["X2"] == "二档" and fills["X2"] == "000000"  # no fill
    assert fills["SA2"] == "F4B6B6"  # vetoed
    vetoed = next(r for r in rows if r["工号"].value == "SA2")
    assert vetoed["一票否决"].font.b and vetoed["一票否决"].font.color.rgb.endswith("C00000")


# ----------------------------------------------------------------------- per town


def test_per_town_sheets_only_when_asked_each_with_its_own_people(scored):
    assert workbook(exported(scored)).sheetnames == ["排名", "明细"]
    book = workbook(exported(scored, by_town=True))
    assert book.sheetnames == ["排名", "明细", "城关镇", "东湖街道"]
    for town, staff in (
        ("城关镇", ["SA1", "X1", "X4", "SA2"]),
        ("东湖街道", ["X2", "X3", "SB1", "X9"]),
    ):
        headers, rows = table(book[town])
        assert headers == list(RANKING_COLUMNS)
        assert [r["工号"].value for r in rows] == staff
        assert {r["镇街"].value for r in rows} == {town}


def test_town_sheet_names_are_made_valid_and_unique(world, scored):
    OrgUnit.objects.filter(pk=world.town_a.pk).update(name="城关/镇[一]:*?" + "长" * 40)
    OrgUnit.objects.filter(pk=world.town_b.pk).update(name="排名")
    names = workbook(exported(scored, by_town=True)).sheetnames
    assert names[:2] == ["排名", "明细"]
    assert names[2] == ("城关镇一" + "长" * 40)[:31]
    assert names[3] == "排名(2)"
    assert all(len(name) <= 31 and not re.search(r"[\[\]:*?/\\]", name) for name in names)


# -------------------------------------------------------------------- scope, errors


def test_with_a_user_only_the_participants_the_user_reaches(world, scored):
    _headers, rows = table(workbook(exported(scored, user=world.town_assessor_a))["排名"])
    assert [r["工号"].value for r in rows] == ["SA1", "X1", "X4", "SA2"]
    _headers, detail = table(workbook(exported(scored, user=world.town_assessor_a))["明细"])
    assert {r["工号"].value for r in detail} == {"SA1", "X1", "X4", "SA2"}


def test_a_cycle_without_results_is_refused(world):
    cycle = open_seed_cycle(world.county_a, direct=())
    with pytest.raises(ValidationError, match="还没有计算结果"):
        write_results(cycle, io.BytesIO())


# ---------------------------------------------------------------- formula injection

HOSTILE = {
    "secretary": '=HYPERLINK("http://x")',
    "community": "+1",
    "leaf_1": "@SUM(A1)",
    "leaf_2": "-2",
    "town": "\tx",
    "other_secretary": "#N/A",
}


def test_text_from_users_is_never_a_formula(world, scored):
    Secretary.objects.filter(pk=world.secretaries["a1"].pk).update(name=HOSTILE["secretary"])
    Secretary.objects.filter(pk=world.secretaries["b1"].pk).update(name="\rx")
    Secretary.objects.filter(pk=world.secretaries["a2"].pk).update(name=HOSTILE["other_secretary"])
    OrgUnit.objects.filter(pk=world.community_a1.pk).update(name=HOSTILE["community"])
    OrgUnit.objects.filter(pk=world.town_b.pk).update(name=HOSTILE["town"])
    leaves = scored.frozen_template.nodes.filter(children__isnull=True).order_by("sort_key")
    scored.frozen_template.nodes.filter(pk=leaves[0].pk).update(name=HOSTILE["leaf_1"])
    scored.frozen_template.nodes.filter(pk=leaves[1].pk).update(name=HOSTILE["leaf_2"])
    data = exported(scored, by_town=True)

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert not re.search(rb"<(\w+:)?f[ >/]", archive.read(name)), name

    book = workbook(data)
    texts = {
        cell.value: cell
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str)
    }
    for value in HOSTILE.values():
        assert value in texts, value
        assert texts[value].data_type == "s"
    for value in ('=HYPERLINK("http://x")', "+1", "@SUM(A1)", "-2", "\tx"):
        assert texts[value].quotePrefix, value
    # XML turns a bare CR into LF for every reader, so the export writes LF itself.
    assert texts["\nx"].data_type == "s"
    assert "x" in book.sheetnames  # the town's sheet, its name without the tab


# ------------------------------------------------------------------ queries, name


def test_the_export_needs_a_fixed_number_of_queries(world, scored, django_assert_max_num_queries):
    """DESIGN §7: no per-participant queries — the version, the event type names, the
    ranking notes, the results, the leaves and the leaf values; with a user, one more to
    read their scope and one to know which tied peers they may see named."""
    cycle = Cycle.objects.get(pk=scored.pk)
    with django_assert_max_num_queries(6):
        exported(cycle, by_town=True)
    for n in range(5):
        enrol(world, cycle, f"Y{n}", world.town_a)
    give_scores(
        cycle,
        {p: D(".8") for p in cycle.participants.filter(secretary__staff_no__startswith="Y")},
        world.county_assessor_a,
    )
    cycle = Cycle.objects.get(pk=scored.pk)
    with django_assert_max_num_queries(6):
        assert len(table(workbook(exported(cycle, by_town=True))["排名"])[1]) == 13
    user = type(world.town_assessor_a).objects.get(pk=world.town_assessor_a.pk)
    with django_assert_max_num_queries(8):
        exported(cycle, user=user)


def test_the_file_name_names_year_and_county_and_is_safe_in_a_header(world, scored):
    assert results_filename(scored) == "2026年度青山县社区书记考核-排名.xlsx"
    assert (
        results_filename(scored, by_town=True) == "2026年度青山县社区书记考核-排名（分镇街）.xlsx"
    )
    OrgUnit.objects.filter(pk=world.county_a.pk).update(name='青山"县/\\:*?<>|\r\n')
    cycle = Cycle.objects.select_related("county").get(pk=scored.pk)
    assert results_filename(cycle) == "2026年度青山县社区书记考核-排名.xlsx"
