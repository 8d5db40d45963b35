"""The empty import template (SPEC §4 导入模板): the §4 sheets and headers in row 1,
drop-down lists with exactly the allowed words, the input hints, number checks, 设置
and 测评类别 pre-filled with a new cycle's defaults, and no formulas."""

import io
import re
import zipfile
from decimal import Decimal as D

import pytest
from openpyxl import load_workbook

from reports.excel.layout import SETTING_KEYS, SHEETS
from reports.excel.template import TEMPLATE_FILENAME, write_template

SPEC_SHEETS = {
    "设置": ["项目", "值"],
    "单位": ["编码", "名称", "类型", "上级编码"],
    "书记": ["工号", "姓名", "社区编码", "参加评定"],
    "指标": [
        "编码",
        "名称",
        "上级编码",
        "分值",
        "方法",
        "数据项",
        "目标值",
        "分档",
        "下限",
        "上限",
    ],
    "事项类型": ["编码", "名称", "指标编码", "分值", "上限", "一票否决"],
    "事项": ["工号", "事项类型编码", "日期", "说明", "状态", "免责"],
    "指标数据": ["社区编码", "数据项", "实际值"],
    "评分": ["工号", "指标编码", "来源", "评分人", "分数", "备注"],
    "测评": ["社区编码", "类别", "满意", "基本满意", "不满意", "不了解"],
    "测评类别": ["类别", "权重"],
}


@pytest.fixture(scope="module")
def data():
    buffer = io.BytesIO()
    write_template(buffer)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def book(data):
    return load_workbook(io.BytesIO(data))


def validation_of(sheet, letter):
    """The data validation covering the column's rows 2..2000 (None if none)."""
    for validation in sheet.data_validations.dataValidation:
        if f"{letter}2:{letter}2000" in str(validation.sqref):
            return validation
    return None


def test_every_spec_sheet_in_order_with_its_headers_in_row_1(book):
    assert book.sheetnames == list(SPEC_SHEETS)
    for title, headers in SPEC_SHEETS.items():
        sheet = book[title]
        assert [cell.value for cell in sheet[1]] == headers, title
        assert sheet.freeze_panes == "A2"
        assert all(cell.font.b for cell in sheet[1])
        assert all(cell.fill.fgColor.rgb.endswith("D9E1F2") for cell in sheet[1])


def width_of(sheet, index):
    """The width Excel shows for the 1-based column (a stored width includes the cell
    padding, 16 → 16.71; equal neighbours share one entry)."""
    for dimension in sheet.column_dimensions.values():
        if dimension.min <= index <= dimension.max:
            return int(dimension.width)
    return None


def test_column_widths_come_from_the_layout(book):
    for title, columns in SHEETS.items():
        for index, column in enumerate(columns, 1):
            assert width_of(book[title], index) == column.width, (title, column.header)


def test_every_choice_column_has_a_drop_down_of_exactly_its_words(book):
    choice_columns = 0
    for title, columns in SHEETS.items():
        for index, column in enumerate(columns):
            if not column.choices:
                continue
            choice_columns += 1
            validation = validation_of(book[title], chr(ord("A") + index))
            assert validation is not None, (title, column.header)
            assert validation.type == "list"
            assert validation.formula1.strip('"').split(",") == list(column.choices)
            assert validation.allow_blank and validation.showErrorMessage
    assert choice_columns == 8  # 项目, 类型, 参加评定, 方法, 一票否决, 状态, 免责, 来源


def test_the_yes_no_and_source_lists_are_the_spec_words(book):
    assert validation_of(book["书记"], "D").formula1 == '"是,否"'
    assert validation_of(book["评分"], "C").formula1 == '"自评,目标,组织"'
    assert validation_of(book["事项"], "E").formula1 == '"已核实,待核实,不予认定"'
    assert validation_of(book["指标"], "E").formula1 == '"评分,目标,分档,扣分,测评"'


def test_every_hint_is_a_header_comment_and_the_input_prompt(book):
    hints = 0
    for title, columns in SHEETS.items():
        for index, column in enumerate(columns):
            header = book[title].cell(1, index + 1)
            validation = validation_of(book[title], header.column_letter)
            if not column.hint:
                assert header.comment is None
                continue
            hints += 1
            assert header.comment.text == column.hint
            assert validation.showInputMessage
            assert (validation.promptTitle, validation.prompt) == (column.header, column.hint)
    assert hints >= 20


def test_numeric_columns_accept_numbers_or_blank(book):
    score = validation_of(book["评分"], "E")
    # "between" is Excel's default operator, so the file leaves it out.
    assert (score.type, score.operator, score.formula1, score.formula2) == (
        "decimal",
        None,
        "0",
        "100",
    )
    assert score.allow_blank
    target = validation_of(book["指标"], "G")
    assert (target.type, target.operator, target.formula1) == ("decimal", "greaterThan", "0")
    for letter in "CDEF":
        assert validation_of(book["测评"], letter).type == "whole"
    assert validation_of(book["事项类型"], "D").formula1 == "-100"


def test_settings_list_every_key_with_a_new_cycles_defaults(book):
    """The values are the Cycle model's defaults (SPEC §3.2, §3.3, §3.5)."""
    rows = {row[0]: row[1] for row in book["设置"].iter_rows(min_row=2, values_only=True)}
    assert list(rows) == list(SETTING_KEYS)
    expected = {
        "自评权重": 10,
        "目标权重": 50,
        "组织权重": 40,
        "加分上限": 20,
        "优秀线": 90,
        "合格线": 70,
        "基本合格线": 60,
        "优秀比例": 20,
        "一档比例": 20,
        "三档比例": 20,
        "一档系数": D("1.1"),
        "二档系数": 1,
        "三档系数": D("0.9"),
        "去极值人数": 5,
    }
    assert {key: D(str(value)) for key, value in rows.items() if value is not None} == {
        key: D(value) for key, value in expected.items()
    }
    # Name and year are the county's own; a pay base of 0 is no pay base.
    assert rows["考核名称"] is None and rows["年度"] is None and rows["绩效基数"] is None


def test_survey_categories_are_prefilled_with_the_default_weights(book):
    rows = list(book["测评类别"].iter_rows(min_row=2, values_only=True))
    assert rows == [("居民代表", 60), ("物业", 20), ("共建单位", 20)]


def test_the_template_holds_no_formulas(book, data):
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            assert all(cell.data_type != "f" for cell in row)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert not re.search(rb"<(\w+:)?f[ >/]", archive.read(name)), name


def test_the_file_name():
    assert TEMPLATE_FILENAME == "社区书记考核导入模板.xlsx"
