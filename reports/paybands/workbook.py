"""The 分档定薪表 workbook (SPEC §2 Pay band sheet, §4 export conventions): sheet 分档定薪
(one row per graded participant, headers in row 1), 专项奖励 (every line, with its
status), 汇总 (per tier, per town, overall) and 说明 (what the sheet reflects: the
published version and its date, or the 草稿 mark of a draft). Formatted like the results
export (`reports.excel.export`); every text cell is written as text, never a formula.
"""

from dataclasses import dataclass
from decimal import Decimal

import xlsxwriter
from django.utils import timezone
from django.utils.translation import gettext as _

from core.numbers import money
from reports.excel.cells import Formats, display_width, safe_text, text_format, write_header
from reports.excel.export import COEFFICIENT, FILENAME_FORBIDDEN, MONEY, SCORE, TIER_FILLS

SHEET_SHEET = "分档定薪"
REWARDS_SHEET = "专项奖励"
TOTALS_SHEET = "汇总"
NOTES_SHEET = "说明"

SHEET_COLUMNS = (
    "排名",
    "工号",
    "姓名",
    "镇街",
    "社区",
    "最终得分",
    "等次",
    "档次",
    "系数",
    "绩效报酬",
    "专项奖励",
    "合计",
)
REWARD_COLUMNS = (
    "工号",
    "姓名",
    "镇街",
    "社区",
    "奖励类别",
    "奖励事由",
    "奖励金额",
    "状态",
    "计入合计",
    "登记人",
    "登记时间",
    "审批人",
    "审批时间",
    "审批意见",
)
TOTAL_COLUMNS = (
    "分类",
    "项目",
    "系数",
    "人数",
    "绩效报酬",
    "绩效基数×人数",
    "专项奖励（已批准）",
    "合计",
)
NOTE_COLUMNS = ("项目", "内容")

NUMBER_FORMATS = {
    "排名": "0",
    "人数": "0",
    "最终得分": SCORE,
    "系数": COEFFICIENT,
    "绩效报酬": MONEY,
    "专项奖励": MONEY,
    "合计": MONEY,
    "奖励金额": MONEY,
    "绩效基数×人数": MONEY,
    "专项奖励（已批准）": MONEY,
}
MAX_WIDTH = 50
PENDING_FILL = {"font_color": "#7F6000"}
REJECTED_FILL = {"font_color": "#808080", "font_strikeout": True}
TOTAL_ROW = {"bold": True, "top": 1}


@dataclass(frozen=True)
class Line:
    values: tuple
    look: dict


def pay_bands_filename(cycle, extension, *, draft=False):
    """e.g. 2026年度考核-分档定薪表.xlsx (草稿 marked): no path, quote or control
    characters, so it is safe in a Content-Disposition header."""
    suffix = _("分档定薪表（草稿）") if draft else _("分档定薪表")
    return FILENAME_FORBIDDEN.sub("", f"{cycle.name}-{suffix}").strip() + f".{extension}"


def _when(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def _sheet_lines(sheet):
    lines = []
    for row in sheet.rows:
        r, participant = row.result, row.participant
        values = (
            r.rank,
            participant.secretary.staff_no,
            participant.secretary.name,
            row.town.name if row.town else "",
            participant.community.name,
            r.final,
            r.grade,
            r.tier,
            r.coefficient,
            r.pay,
            row.rewards,
            row.total,
        )
        lines.append(Line(values, TIER_FILLS.get(r.tier, {})))
    lines.append(
        Line(
            (
                None,
                "",
                _("合计"),
                "",
                "",
                None,
                "",
                "",
                None,
                sheet.pay_total,
                sheet.rewards_total,
                sheet.grand_total,
            ),
            TOTAL_ROW,
        )
    )
    return lines


def _reward_lines(sheet):
    lines = []
    for line in sheet.rewards:
        participant = line.participant
        town = participant.community.parent
        look = PENDING_FILL if line.is_pending else {} if line.is_approved else REJECTED_FILL
        values = (
            participant.secretary.staff_no,
            participant.secretary.name,
            town.name if town else "",
            participant.community.name,
            line.get_kind_display(),
            line.reason,
            line.amount,
            line.get_status_display(),
            _("是") if line.is_approved else _("否"),
            str(line.added_by),
            _when(line.added_at),
            str(line.decided_by) if line.decided_by else "",
            _when(line.decided_at),
            line.decision_reason,
        )
        lines.append(Line(values, look))
    return lines


def _total_lines(sheet):
    base = sheet.cycle.pay_base
    lines = [
        Line(
            (_("档次"), t.label, t.coefficient, t.count, t.pay, base * t.count, None, None),
            TIER_FILLS.get(t.label, {}),
        )
        for t in sheet.tiers
    ]
    lines += [
        Line(
            (_("镇街"), t.name, None, t.count, t.pay, t.base, t.rewards, t.total),
            {},
        )
        for t in sheet.towns
    ]
    lines.append(
        Line(
            (
                _("合计"),
                _("全部"),
                None,
                sheet.count,
                sheet.pay_total,
                sheet.pay_expected,
                sheet.rewards_total,
                sheet.grand_total,
            ),
            TOTAL_ROW,
        )
    )
    return lines


def _note_lines(sheet):
    cycle, version = sheet.cycle, sheet.version
    lines = []
    if sheet.draft:
        lines.append(
            (
                _("草稿"),
                _("考核结果尚未发布：本表按当前计算结果生成，仅供核对，以发布后的分档定薪表为准。"),
            )
        )
    else:
        published = _("随 %(at)s 发布的考核结果锁定；只有复核后重新发布才会更新。") % {
            "at": _when(sheet.published_at) or _("发布")
        }
        lines.append((_("状态"), published))
    lines += [
        (_("考核周期"), cycle.name),
        (_("县/区"), cycle.county.name),
        (
            _("结果版本"),
            _("#%(pk)d（计算于 %(at)s）") % {"pk": version.pk, "at": _when(version.computed_at)},
        ),
    ]
    if sheet.published_by is not None or sheet.published_at is not None:
        lines.append((_("发布人"), str(sheet.published_by or "—")))
    lines += [
        (_("绩效基数"), money(cycle.pay_base)),
        (
            _("档次系数"),
            "；".join(f"{t.label} {t.coefficient:.2f}" for t in sheet.tiers),
        ),
        (_("参加评定"), _("%(n)d 人") % {"n": sheet.count}),
        (
            _("专项奖励"),
            _("经登记人以外的第二人批准后计入合计；待审批 %(p)d 条、不予批准 %(r)d 条，不计入。")
            % {"p": sheet.pending_count, "r": sheet.rejected_count},
        ),
    ]
    if sheet.ungraded:
        names = "、".join(r.participant.secretary.name for r in sheet.ungraded)
        lines.append(
            (_("不参加评定"), _("%(names)s（不定等次：无排名、档次和绩效报酬）") % {"names": names})
        )
    return [Line(values, {}) for values in lines]


def _write_table(book, formats, name, headers, lines, *, draft=False):
    sheet = book.add_worksheet(name)
    write_header(sheet, headers, formats)
    for number, line in enumerate(lines, 1):
        for col, (header, value) in enumerate(zip(headers, line.values, strict=True)):
            if isinstance(value, str):
                text = safe_text(value)
                sheet.write_string(number, col, text, formats(*text_format(text, line.look)))
            elif value is None:
                sheet.write_blank(number, col, None, formats(line.look))
            else:
                number_format = {"num_format": NUMBER_FORMATS.get(header, "0.00")}
                sheet.write_number(number, col, value, formats(line.look, number_format))
    for col, header in enumerate(headers):
        widths = [display_width(header)]
        for line in lines:
            value = line.values[col]
            if isinstance(value, Decimal) and NUMBER_FORMATS.get(header) == MONEY:
                value = f"{value:,.2f}"
            widths.append(display_width("" if value is None else value))
        sheet.set_column(col, col, min(MAX_WIDTH, 2 + max(widths)))
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(0)
    if draft:
        sheet.set_header('&C&"-,Bold"' + _("草稿"))
    return sheet


def write_pay_bands(sheet, target):
    """Write `sheet` (`reports.paybands.selectors.PaySheet`) to `target`, a path or a
    binary file."""
    book = xlsxwriter.Workbook(target, {"strings_to_formulas": False, "strings_to_urls": False})
    title = _("分档定薪表（草稿）") if sheet.draft else _("分档定薪表")
    book.set_properties(
        {
            "title": f"{sheet.cycle.name} {title}",
            "subject": title,
            "company": sheet.cycle.county.name,
            "keywords": _("草稿") if sheet.draft else _("正式"),
            "comments": _("结果版本 #%(pk)d") % {"pk": sheet.version.pk},
        }
    )
    formats = Formats(book)
    draft = sheet.draft
    main = _write_table(book, formats, SHEET_SHEET, SHEET_COLUMNS, _sheet_lines(sheet), draft=draft)
    main.autofilter(0, 0, max(1, len(sheet.rows)), len(SHEET_COLUMNS) - 1)
    _write_table(book, formats, REWARDS_SHEET, REWARD_COLUMNS, _reward_lines(sheet), draft=draft)
    _write_table(book, formats, TOTALS_SHEET, TOTAL_COLUMNS, _total_lines(sheet), draft=draft)
    _write_table(book, formats, NOTES_SHEET, NOTE_COLUMNS, _note_lines(sheet), draft=draft)
    book.close()
