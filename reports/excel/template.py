"""The empty import template (SPEC §4 导入模板): every sheet of `layout.SHEETS` in order,
its headers in row 1, each column's input hint as a header comment and as the input
prompt of its cells, drop-down lists for enumerated columns and number checks for
numeric ones; 设置 and 测评类别 pre-filled with the defaults a new cycle gets."""

import xlsxwriter
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from assessment.models import Cycle
from indicators.services import DEFAULT_SURVEY_CATEGORIES
from reports.excel.cells import Formats, write_header, write_text
from reports.excel.layout import SETTING_FIELDS, SETTING_KEYS, SHEETS

TEMPLATE_FILENAME = "社区书记考核导入模板.xlsx"

# Rows 2..LAST_ROW carry the drop-down lists and number checks.
LAST_ROW = 2000

# 设置 keys whose 值 is pre-filled with the Cycle field's default. 考核名称 and 年度 have
# none; 绩效基数's default 0 only means "not set", so each county enters its own.
PREFILLED = tuple(k for k in SETTING_FIELDS if k not in ("考核名称", "年度", "绩效基数"))

# (sheet, column) → Excel's check: type, criteria, bounds, and what the error asks for.
NUMBER_RULES = {
    ("指标", "分值"): ("decimal", "between", 0, 100, gettext_noop("0 到 100 之间的数字")),
    ("指标", "目标值"): ("decimal", ">", 0, None, gettext_noop("大于 0 的数字")),
    ("指标", "下限"): ("decimal", "between", 0, 100, gettext_noop("0 到 100 之间的数字")),
    ("指标", "上限"): ("decimal", "between", 0, 100, gettext_noop("0 到 100 之间的数字")),
    ("事项类型", "分值"): ("decimal", "between", -100, 100, gettext_noop("-100 到 100 之间的数字")),
    ("事项类型", "上限"): ("decimal", "between", 0, 100, gettext_noop("0 到 100 之间的数字")),
    ("指标数据", "实际值"): ("decimal", "between", -(10**15), 10**15, gettext_noop("数字")),
    ("评分", "分数"): ("decimal", "between", 0, 100, gettext_noop("0 到 100 之间的数字")),
    ("测评", "满意"): ("whole", ">=", 0, None, gettext_noop("不小于 0 的整数")),
    ("测评", "基本满意"): ("whole", ">=", 0, None, gettext_noop("不小于 0 的整数")),
    ("测评", "不满意"): ("whole", ">=", 0, None, gettext_noop("不小于 0 的整数")),
    ("测评", "不了解"): ("whole", ">=", 0, None, gettext_noop("不小于 0 的整数")),
    ("测评类别", "权重"): ("decimal", "between", 0, 100, gettext_noop("0 到 100 之间的数字")),
}


def setting_defaults():
    """设置 key → the value a new cycle gets (SPEC §4 设置; Cycle's field defaults), for
    the keys that have one."""
    return {key: Cycle._meta.get_field(SETTING_FIELDS[key]).get_default() for key in PREFILLED}


def write_template(target):
    """Write the empty import template (SPEC §4) to `target`, a path or a binary file."""
    book = xlsxwriter.Workbook(target, {"strings_to_formulas": False, "strings_to_urls": False})
    formats = Formats(book)
    for title, columns in SHEETS.items():
        sheet = book.add_worksheet(title)
        write_header(sheet, [column.header for column in columns], formats)
        for col, column in enumerate(columns):
            sheet.set_column(col, col, column.width)
            if column.hint:
                sheet.write_comment(
                    0, col, column.hint, {"author": _("导入模板"), "x_scale": 2, "y_scale": 1.5}
                )
            validation = _validation(column, NUMBER_RULES.get((title, column.header)))
            if validation is not None:
                sheet.data_validation(1, col, LAST_ROW - 1, col, validation)
        if title == "设置":
            defaults = setting_defaults()
            for row, key in enumerate(SETTING_KEYS, 1):
                write_text(sheet, row, 0, key, formats)
                if key in defaults:
                    sheet.write_number(row, 1, defaults[key])
        elif title == "测评类别":
            for row, (category, weight) in enumerate(DEFAULT_SURVEY_CATEGORIES, 1):
                write_text(sheet, row, 0, category, formats)
                sheet.write_number(row, 1, weight)
    book.close()


def _validation(column, rule):
    """The column's check — a drop-down list, a number rule, or none — carrying its
    hint as the input prompt; None when the column has neither check nor hint."""
    if column.choices:
        check = {
            "validate": "list",
            "source": list(column.choices),
            "error_message": _("请从下拉列表中选择：%(choices)s")
            % {"choices": "、".join(column.choices)},
        }
    elif rule is not None:
        kind, criteria, low, high, wanted = rule
        check = {
            "validate": kind,
            "criteria": criteria,
            "error_message": _("请填写%(wanted)s。") % {"wanted": _(wanted)},
        }
        if high is None:
            check["value"] = low
        else:
            check.update(minimum=low, maximum=high)
    elif column.hint:
        check = {"validate": "any"}
    else:
        return None
    check["ignore_blank"] = True
    if "error_message" in check:
        check["error_title"] = column.header
    if column.hint:
        check["input_title"] = column.header
        check["input_message"] = column.hint
    return check
