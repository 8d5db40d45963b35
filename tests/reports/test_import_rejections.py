"""SPEC §3.1, §4: the import is all or nothing. Each rule below is broken once in a copy
of the sample county's workbook; the import is refused with the fault at its exact
sheet, row, column (header and letter) and a Chinese message, and nothing is written.

For speed the copies keep only the first SCORE_ROWS rows of 评分 (a whole import does
not need every score: a missing one counts 0); `mutated(..., full=True)` keeps them all.

The helpers here (`mutated`, `rejected`, `table_counts`, `result_rows`, ...) are shared
by test_import_partial.py and test_import_commands.py."""

import io
from functools import cache
from pathlib import Path

import openpyxl
import pytest
from django.apps import apps
from django.db import transaction

from assessment.models import Cycle
from reports.excel.errors import CellError, ImportRejected
from reports.excel.importer import import_workbook
from reports.excel.layout import SHEETS
from scoring.models import LeafResult, Result
from scoring.services import compute_cycle

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SAMPLE = FIXTURES / "sample-county.xlsx"
APPS = ("org", "indicators", "assessment", "scoring", "evidence", "surveys")
SCORE_ROWS = 300  # rows 1–300 of 评分: the header and S001–S005's scores


# --- helpers ------------------------------------------------------------------------------


@cache
def _short_sample():
    workbook = openpyxl.load_workbook(SAMPLE)
    workbook["评分"].delete_rows(SCORE_ROWS + 1, workbook["评分"].max_row)
    data = io.BytesIO()
    workbook.save(data)
    return data.getvalue()


def mutated(tmp_path, change, name="broken.xlsx", full=False):
    """The sample workbook with `change(workbook)` applied, saved under tmp_path."""
    workbook = openpyxl.load_workbook(SAMPLE if full else io.BytesIO(_short_sample()))
    change(workbook)
    path = tmp_path / name
    workbook.save(path)
    return path


def headers(ws):
    return {cell.value: cell.column for cell in ws[1] if cell.value is not None}


def letter(ws, header):
    return openpyxl.utils.get_column_letter(headers(ws)[header])


def set_cell(ws, row, header, value):
    ws.cell(row=row, column=headers(ws)[header]).value = value  # None clears the cell


def row_where(ws, **where):
    """The number of the first row whose cells equal `where` (header → value)."""
    columns = headers(ws)
    for number in range(2, ws.max_row + 1):
        if all(ws.cell(number, columns[h]).value == v for h, v in where.items()):
            return number
    raise LookupError(where)


def add_row(ws, **values):
    """Append a row (header → value); its row number."""
    columns = headers(ws)
    number = ws.max_row + 1
    for header, value in values.items():
        ws.cell(row=number, column=columns[header]).value = value
    return number


def delete_column(ws, header):
    ws.delete_cols(headers(ws)[header])


def rejected(path, **options):
    """The faults an import of `path` is refused with."""
    with pytest.raises(ImportRejected) as refusal:
        import_workbook(path, **options)
    assert refusal.value.errors, "a refusal lists its faults"
    return refusal.value.errors


def only_error(errors):
    assert len(errors) == 1, [str(e) for e in errors]
    return errors[0]


def assert_fault(error, sheet, row, column, letter, *words):
    """`error` is at sheet!letter+row under `column`; its message holds every word."""
    assert (error.sheet, error.row, error.column, error.letter) == (sheet, row, column, letter), (
        str(error)
    )
    for word in words:
        assert word in error.message, (word, str(error))


def table_counts():
    """Rows of every model (historical tables included) of the apps an import writes."""
    return {
        model._meta.label: model._default_manager.count()
        for label in APPS
        for model in apps.get_app_config(label).get_models()
    }


def result_rows(cycle_id):
    """The current results of a cycle, every stored figure, as plain tuples."""
    results = Result.objects.filter(version__cycle_id=cycle_id, version__is_current=True)
    leaves = LeafResult.objects.filter(sheet__results__in=results)
    return (
        sorted(
            results.values_list(
                "version_id",
                "participant_id",
                "self_total",
                "target_total",
                "org_total",
                "composite",
                "bonus",
                "final",
                "taken",
                "veto",
                "rank",
                "grade",
                "tier",
                "coefficient",
                "pay",
            )
        ),
        sorted(
            leaves.values_list(
                "sheet__results__id", "leaf_id", "self_value", "target_value", "org_value", "basis"
            )
        ),
    )


@pytest.fixture
def unchanged(db):
    """Asserts at teardown that no table of the importing apps changed."""
    before = table_counts()
    yield
    assert table_counts() == before


# --- missing sheets and columns -------------------------------------------------------------


def test_missing_sheet_is_named(tmp_path, unchanged):
    path = mutated(tmp_path, lambda wb: wb.remove(wb["书记"]))
    error = only_error(rejected(path))
    assert_fault(error, "书记", None, None, None, "缺少工作表“书记”")
    assert str(error) == "书记 缺少工作表“书记”"


def test_missing_column_is_named(tmp_path, unchanged):
    path = mutated(tmp_path, lambda wb: delete_column(wb["评分"], "分数"))
    error = only_error(rejected(path))
    assert_fault(error, "评分", 1, "分数", None, "缺少列“分数”")


# --- unknown codes -----------------------------------------------------------------------


def test_unknown_secretary_in_scores(tmp_path, unchanged):
    path = mutated(tmp_path, lambda wb: set_cell(wb["评分"], 9, "工号", "S999"))
    error = only_error(rejected(path))
    assert_fault(error, "评分", 9, "工号", "A", "S999", "不是本周期的参评书记")


def test_unknown_secretary_in_events(tmp_path, unchanged):
    path = mutated(tmp_path, lambda wb: set_cell(wb["事项"], 5, "工号", "S999"))
    error = only_error(rejected(path))
    assert_fault(error, "事项", 5, "工号", "A", "S999", "不是本周期的参评书记")


def orphaned_data(errors, community):
    """The 指标数据 and 测评 rows of a community left without a secretary."""
    return [
        e
        for e in errors
        if e.sheet in ("指标数据", "测评")
        and (e.column, e.letter) == ("社区编码", "A")
        and e.message == f"社区编码 {community} 不是本周期参评书记所在的社区"
    ]


def test_unknown_unit_of_a_secretary(tmp_path, unchanged):
    """The secretary's row is refused; S003's scores and events are not reported again
    as unknown, but its old community's data now belongs to no participant, and says so."""
    path = mutated(tmp_path, lambda wb: set_cell(wb["书记"], 4, "社区编码", "36049999999"))
    errors = rejected(path)
    assert_fault(errors[0], "书记", 4, "社区编码", "C", "36049999999", "不是单位表中的社区")
    assert errors[1:] == orphaned_data(errors, "36040001003")
    assert len(errors[1:]) == 5 + 3  # 5 数据项, 3 测评类别


def test_a_secretary_on_a_town_is_refused(tmp_path, unchanged):
    """Only a 社区 may be a secretary's community."""
    path = mutated(tmp_path, lambda wb: set_cell(wb["书记"], 4, "社区编码", "36040001"))
    errors = rejected(path)
    assert_fault(errors[0], "书记", 4, "社区编码", "C", "36040001", "不是单位表中的社区")
    assert errors[1:] == orphaned_data(errors, "36040001003")


def test_unknown_parent_unit(tmp_path, unchanged):
    path = mutated(tmp_path, lambda wb: set_cell(wb["单位"], 8, "上级编码", "36049999"))
    error = only_error(rejected(path))
    assert_fault(error, "单位", 8, "上级编码", "D", "36049999", "不在单位表中")


def test_unknown_indicator_in_scores(tmp_path, unchanged):
    path = mutated(tmp_path, lambda wb: set_cell(wb["评分"], 12, "指标编码", "9.9"))
    error = only_error(rejected(path))
    assert_fault(error, "评分", 12, "指标编码", "B", "指标编码 9.9 不在指标表中")


def test_score_on_a_parent_indicator(tmp_path, unchanged):
    path = mutated(tmp_path, lambda wb: set_cell(wb["评分"], 12, "指标编码", "1"))
    error = only_error(rejected(path))
    assert_fault(error, "评分", 12, "指标编码", "B", "指标 1 有下级指标", "末级指标")


def test_unknown_event_type(tmp_path, unchanged):
    path = mutated(tmp_path, lambda wb: set_cell(wb["事项"], 6, "事项类型编码", "E99"))
    error = only_error(rejected(path))
    assert_fault(error, "事项", 6, "事项类型编码", "B", "E99", "不在事项类型表中")


def test_unknown_leaf_of_an_event_type(tmp_path, unchanged):
    path = mutated(tmp_path, lambda wb: set_cell(wb["事项类型"], 3, "指标编码", "2.9"))
    errors = rejected(path)
    assert_fault(errors[0], "事项类型", 3, "指标编码", "C", "2.9", "不在指标表中")


# --- duplicate codes ---------------------------------------------------------------------


def test_duplicate_unit_code(tmp_path, unchanged):
    def change(wb):
        set_cell(wb["单位"], 9, "编码", "36040001003")  # row 8 holds it; row 9 was its grid

    errors = rejected(mutated(tmp_path, change))
    assert_fault(errors[0], "单位", 9, "编码", "A", "编码 36040001003 重复", "第 8 行已有")
    assert len(errors) == 1, [str(e) for e in errors]


def test_duplicate_staff_number(tmp_path, unchanged):
    def change(wb):
        ws = wb["书记"]
        add_row(ws, 工号="S003", 姓名="张娟", 社区编码="36040001003", 参加评定="是")

    error = only_error(rejected(mutated(tmp_path, change)))
    assert_fault(error, "书记", 42, "工号", "A", "工号 S003 重复", "第 4 行已有")


def test_duplicate_indicator_code(tmp_path, unchanged):
    def change(wb):
        add_row(wb["指标"], 编码="1.2", 名称="主题党日", 上级编码="1", 分值=4, 方法="评分")

    error = only_error(rejected(mutated(tmp_path, change)))
    assert_fault(error, "指标", 27, "编码", "A", "编码 1.2 重复", "第 4 行已有")


def test_duplicate_event_type_code(tmp_path, unchanged):
    def change(wb):
        add_row(
            wb["事项类型"], 编码="E02", 名称="安全生产事故", 指标编码="2.1", 分值=-3, 一票否决="否"
        )

    error = only_error(rejected(mutated(tmp_path, change)))
    assert_fault(error, "事项类型", 17, "编码", "A", "编码 E02 重复", "第 3 行已有")


# --- the org tree ------------------------------------------------------------------------


def test_parent_cycle_between_units(tmp_path, unchanged):
    """A's parent is B and B's parent is A: both rows are named."""

    def change(wb):
        ws = wb["单位"]
        add_row(ws, 编码="X1", 名称="甲街道", 类型="街道", 上级编码="X2")
        add_row(ws, 编码="X2", 名称="乙街道", 类型="街道", 上级编码="X1")

    errors = rejected(mutated(tmp_path, change))
    assert [str(e) for e in errors] == [
        "单位!D87 上级编码 “乡镇/街道”不能挂在“乡镇/街道”（X2）下",
        "单位!D87 上级编码 上级编码形成循环：X1 → X2 → X1",
        "单位!D88 上级编码 “乡镇/街道”不能挂在“乡镇/街道”（X1）下",
        "单位!D88 上级编码 上级编码形成循环：X2 → X1 → X2",
    ]
    assert [(e.row, e.column, e.letter) for e in errors if "循环" in e.message] == [
        (87, "上级编码", "D"),
        (88, "上级编码", "D"),
    ]


# --- the indicator tree (SPEC §3.1) --------------------------------------------------------


def test_children_must_sum_to_their_parent(tmp_path, unchanged):
    path = mutated(tmp_path, lambda wb: set_cell(wb["指标"], 3, "分值", 7))  # 1.1: 6 → 7
    error = only_error(rejected(path))
    assert_fault(error, "指标", 2, "分值", "D", "下级指标分值合计 26", "本级分值 25")


def test_top_level_total_must_be_100(tmp_path, unchanged):
    def change(wb):
        ws = wb["指标"]
        set_cell(ws, row_where(ws, 编码="3"), "分值", 26)  # range 20–30
        set_cell(ws, row_where(ws, 编码="3.1"), "分值", 11)

    error = only_error(rejected(mutated(tmp_path, change)))
    assert_fault(error, "指标", None, "分值", "D", "一级指标分值合计 101", "应为 100")


def test_top_level_points_outside_their_range(tmp_path, unchanged):
    def change(wb):
        ws = wb["指标"]
        set_cell(ws, row_where(ws, 编码="4"), "上限", 14)  # points 15

    error = only_error(rejected(mutated(tmp_path, change)))
    assert_fault(error, "指标", 22, "分值", "D", "分值 15 不在允许范围 10–14 内")


def test_bad_band_syntax(tmp_path, unchanged):
    def change(wb):
        ws = wb["指标"]
        set_cell(ws, row_where(ws, 编码="1.5"), "分档", "0-0;60:2")

    errors = rejected(mutated(tmp_path, change))
    assert_fault(errors[0], "指标", 7, "分档", "H", "“0-0;60:2”格式不对", "0:0;60:2;80:4")


def test_points_must_be_a_number(tmp_path, unchanged):
    """Only the cell is reported: not the sum of 1 it is part of, nor the scores of 1.1."""
    error = only_error(
        rejected(mutated(tmp_path, lambda wb: set_cell(wb["指标"], 3, "分值", "六")))
    )
    assert_fault(error, "指标", 3, "分值", "D", "应为数字", "六")


# --- scores (SPEC §3.1, §3.2) ----------------------------------------------------------------


def test_score_above_the_leaf_points(tmp_path, unchanged):
    """The issue's example: 评分!E17 分数 7.5 超过该指标分值 6."""

    def change(wb):
        ws = wb["评分"]
        set_cell(ws, 17, "指标编码", "1.1")  # S001 · 1.1 (6 points) · 组织 · O6
        set_cell(ws, 17, "分数", 7.5)

    error = only_error(rejected(mutated(tmp_path, change)))
    assert_fault(error, "评分", 17, "分数", "E", "7.5 超过该指标分值 6")
    assert str(error) == "评分!E17 分数 7.5 超过该指标分值 6"


def test_negative_score(tmp_path, unchanged):
    error = only_error(rejected(mutated(tmp_path, lambda wb: set_cell(wb["评分"], 4, "分数", -1))))
    assert_fault(error, "评分", 4, "分数", "E", "-1 不能小于 0")


def test_text_in_a_number_cell(tmp_path, unchanged):
    error = only_error(
        rejected(mutated(tmp_path, lambda wb: set_cell(wb["评分"], 5, "分数", "七")))
    )
    assert_fault(error, "评分", 5, "分数", "E", "应为数字", "七")
    assert str(error) == "评分!E5 分数 应为数字，实际是文字“七”"


def test_target_value_on_an_automatic_leaf(tmp_path, unchanged):
    def change(wb):
        ws = wb["评分"]
        set_cell(ws, 3, "指标编码", "1.3")  # 目标 method: computed from the metric
        set_cell(ws, 3, "分数", 3)

    error = only_error(rejected(mutated(tmp_path, change)))
    assert_fault(error, "评分", 3, "来源", "C", "指标 1.3 自动计分", "不能录入目标量评分数")


def test_org_override_of_an_automatic_leaf_needs_a_note(tmp_path, unchanged):
    def change(wb):
        ws = wb["评分"]
        set_cell(ws, 197, "备注", None)  # S003 · 2.4 (扣分) · 组织 · O1 · 4

    error = only_error(rejected(mutated(tmp_path, change)))
    assert_fault(error, "评分", 197, "备注", "F", "组织考评改动自动计分指标 2.4", "备注")


def test_bad_source_word(tmp_path, unchanged):
    error = only_error(
        rejected(mutated(tmp_path, lambda wb: set_cell(wb["评分"], 6, "来源", "上级")))
    )
    assert_fault(error, "评分", 6, "来源", "C", "“上级”不是可选的值", "自评、目标、组织")


def test_self_score_by_someone_else(tmp_path, unchanged):
    error = only_error(
        rejected(mutated(tmp_path, lambda wb: set_cell(wb["评分"], 2, "评分人", "S002")))
    )
    assert_fault(error, "评分", 2, "评分人", "D", "书记本人工号 S001")


def test_a_score_given_twice(tmp_path, unchanged):
    def change(wb):
        add_row(wb["评分"], 工号="S001", 指标编码="1.1", 来源="组织", 评分人="O2", 分数=4)

    error = only_error(rejected(mutated(tmp_path, change)))
    assert_fault(error, "评分", SCORE_ROWS + 1, "评分人", "D", "重复", "第 5 行已有")


# --- settings and weights ----------------------------------------------------------------


def test_weights_must_sum_to_100(tmp_path, unchanged):
    def change(wb):
        set_cell(wb["设置"], row_where(wb["设置"], 项目="组织权重"), "值", 41)

    error = only_error(rejected(mutated(tmp_path, change)))
    assert_fault(error, "设置", 6, "值", "B", "三项权重合计 101", "应为 100")


def test_category_weights_must_sum_to_100(tmp_path, unchanged):
    def change(wb):
        set_cell(wb["测评类别"], 3, "权重", 30)  # 物业: 60 + 30 + 20

    error = only_error(rejected(mutated(tmp_path, change)))
    assert_fault(error, "测评类别", None, "权重", "B", "各类别权重合计 110", "应为 100")


def test_setting_out_of_range(tmp_path, unchanged):
    def change(wb):
        set_cell(wb["设置"], row_where(wb["设置"], 项目="优秀比例"), "值", 120)

    error = only_error(rejected(mutated(tmp_path, change)))
    assert_fault(error, "设置", 11, "值", "B", "120 超出允许范围 0–100")


def test_setting_rules_are_the_cycle_forms(tmp_path, unchanged):
    """Coefficients 一档 ≥ 二档 ≥ 三档 and grade lines 优秀 > 合格 > 基本合格, as the
    cycle's settings form requires (Cycle.clean), placed at the rows that break them."""

    def change(wb):
        set_cell(wb["设置"], row_where(wb["设置"], 项目="一档系数"), "值", 0.8)
        set_cell(wb["设置"], row_where(wb["设置"], 项目="合格线"), "值", 60)

    errors = rejected(mutated(tmp_path, change))
    assert [(e.sheet, e.row, e.column) for e in errors] == [("设置", 10, "值"), ("设置", 16, "值")]
    assert "优秀线 > 合格线 > 基本合格线" in errors[0].message
    assert "一档 ≥ 二档 ≥ 三档" in errors[1].message


# --- status words and dates --------------------------------------------------------------


def test_bad_event_status(tmp_path, unchanged):
    error = only_error(
        rejected(mutated(tmp_path, lambda wb: set_cell(wb["事项"], 7, "状态", "已确认")))
    )
    assert_fault(error, "事项", 7, "状态", "E", "“已确认”不是可选的值", "已核实、待核实、不予认定")


def test_bad_exemption_word(tmp_path, unchanged):
    error = only_error(
        rejected(mutated(tmp_path, lambda wb: set_cell(wb["事项"], 7, "免责", "可能")))
    )
    assert_fault(error, "事项", 7, "免责", "F", "“可能”不是可选的值", "是、否")


def test_bad_graded_word(tmp_path, unchanged):
    error = only_error(
        rejected(mutated(tmp_path, lambda wb: set_cell(wb["书记"], 10, "参加评定", "Y")))
    )
    assert_fault(error, "书记", 10, "参加评定", "D", "“Y”不是可选的值", "是、否")


def test_bad_unit_kind(tmp_path, unchanged):
    """Only the town's row: not its communities, their secretaries or their data."""
    error = only_error(
        rejected(mutated(tmp_path, lambda wb: set_cell(wb["单位"], 3, "类型", "乡镇")))
    )
    assert_fault(error, "单位", 3, "类型", "C", "“乡镇”不是可选的值", "县、区、镇")


@pytest.mark.parametrize("value", ["2026-13-01", "2026/03/05", "三月五日"])
def test_bad_date(tmp_path, unchanged, value):
    error = only_error(
        rejected(mutated(tmp_path, lambda wb: set_cell(wb["事项"], 8, "日期", value)))
    )
    assert_fault(error, "事项", 8, "日期", "C", "应为日期", value)


# --- every fault, in order ---------------------------------------------------------------


def test_every_fault_is_reported_in_sheet_and_row_order(tmp_path, unchanged):
    def change(wb):
        set_cell(wb["设置"], 6, "值", 41)  # 组织权重: sum 101
        set_cell(wb["单位"], 9, "编码", "36040001003")  # duplicate
        set_cell(wb["书记"], 10, "参加评定", "Y")  # S009: its data is not reported again
        add_row(wb["事项类型"], 编码="E02", 名称="重复", 分值=-1, 一票否决="否")
        set_cell(wb["事项"], 8, "日期", "2026-13-01")
        set_cell(wb["事项"], 7, "状态", "已确认")
        set_cell(wb["指标数据"], 4, "实际值", "很多")
        set_cell(wb["评分"], 17, "指标编码", "1.1")
        set_cell(wb["评分"], 17, "分数", 7.5)
        set_cell(wb["评分"], 5, "分数", "七")
        set_cell(wb["评分"], 6, "来源", "上级")
        set_cell(wb["测评"], 3, "满意", -2)

    errors = rejected(mutated(tmp_path, change))
    assert [(e.sheet, e.row, e.column) for e in errors] == [
        ("设置", 6, "值"),
        ("单位", 9, "编码"),
        ("书记", 10, "参加评定"),
        ("事项类型", 17, "编码"),
        ("事项", 7, "状态"),
        ("事项", 8, "日期"),
        ("指标数据", 4, "实际值"),
        ("评分", 5, "分数"),
        ("评分", 6, "来源"),
        ("评分", 17, "分数"),
        ("测评", 3, "满意"),
    ]
    assert str(errors[-2]) == "评分!E17 分数 7.5 超过该指标分值 6"


def test_error_as_dict_names_the_cell():
    error = CellError("评分", 17, "分数", "7.5 超过该指标分值 6", "E")
    assert error.as_dict() == {
        "sheet": "评分",
        "row": 17,
        "column": "分数",
        "letter": "E",
        "ref": "评分!E17",
        "message": "7.5 超过该指标分值 6",
    }


def test_sample_columns_are_the_layout():
    """The mutations above address columns by header; the sample has them all."""
    workbook = openpyxl.load_workbook(SAMPLE, read_only=True)
    for name, columns in SHEETS.items():
        first = next(workbook[name].iter_rows(values_only=True))
        assert set(first) == {c.header for c in columns}, name
    workbook.close()


# --- a refused re-import leaves the cycle as it was -----------------------------------------
# (last in the module: from here on the sample is in the database)


@pytest.fixture(scope="module")
def sample_cycle_id(django_db_setup, django_db_blocker):
    """The sample imported as the command line does (no actor) and computed, once for
    the module that uses it, inside a transaction rolled back when the module ends; each
    test runs in its own savepoint on top of it. Shared with test_import_partial.py and
    test_import_commands.py (assign it to a module-level name there)."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            cycle_id = import_workbook(SAMPLE).cycle_id
            compute_cycle(cycle_id)
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    yield cycle_id
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)


def test_refused_reimport_leaves_the_cycle_and_its_results(tmp_path, sample_cycle_id, db):
    cycle_id = sample_cycle_id
    cycle = Cycle.objects.get(pk=cycle_id)
    before = table_counts(), result_rows(cycle_id), cycle.inputs_version

    def change(wb):
        set_cell(wb["书记"], 3, "姓名", "李强强")  # a real change …
        set_cell(wb["评分"], 3, "分数", 4)  # … and another …
        set_cell(wb["评分"], 4, "分数", 9)  # … but one fault refuses them all

    error = only_error(rejected(mutated(tmp_path, change)))
    assert_fault(error, "评分", 4, "分数", "E", "9 超过该指标分值 6")
    cycle.refresh_from_db()
    assert (table_counts(), result_rows(cycle_id), cycle.inputs_version) == before
    assert result_rows(cycle_id)[0], "the results are still there"


def test_changing_the_tree_of_an_imported_cycle_is_refused(tmp_path, sample_cycle_id, db):
    """A fault only the database can show (the cycle's frozen tree) refuses as well."""
    cycle_id = sample_cycle_id
    before = table_counts(), result_rows(cycle_id)

    def change(wb):
        ws = wb["指标"]
        set_cell(ws, row_where(ws, 编码="4.4"), "编码", "4.5")
        set_cell(ws, 3, "名称", "三会一课")  # written first, then rolled back
        for row in wb["评分"].iter_rows(min_row=2, min_col=2, max_col=2):
            if row[0].value == "4.4":
                row[0].value = "4.5"

    error = only_error(rejected(mutated(tmp_path, change)))
    assert (error.sheet, error.row) == ("指标", None)
    assert "多出：4.5" in error.message and "缺少：4.4" in error.message
    assert (table_counts(), result_rows(cycle_id)) == before
