"""Checks of the sheets that carry a cycle's data: 事项, 指标数据, 评分, 测评
(SPEC §3.1–§3.4, §4), against a `Context` (the cycle as the file or the database
describes it). Every fault is recorded on its sheet; nothing here writes."""

from django.utils.translation import gettext as _

from core.numbers import plain_number
from indicators.validation import Method
from reports.excel.importer import cells
from reports.excel.importer.plan import EventRow, ScoreRow, TallyRow
from reports.excel.layout import EVENT_STATUSES, SOURCES, YES_NO

SOURCE_OF_WORD = dict(zip(SOURCES, ("self", "target", "org"), strict=True))
STATUS_OF_WORD = dict(zip(EVENT_STATUSES, ("verified", "reported", "rejected"), strict=True))
COUNT_HEADERS = ("满意", "基本满意", "不满意", "不了解")
# More paper ballots than this for one community and category is a typing slip.
MAX_COUNT = 100_000


def _refused(context, header, code):
    """The code's own row was refused (and reported) in a setup sheet."""
    return (header, code) in context.refused


def _participant(row, header, context):
    staff_no = row.text(header)
    if staff_no and staff_no not in context.staff:
        if not _refused(context, "工号", staff_no):
            row.error(header, _("工号 %(no)s 不是本周期的参评书记") % {"no": staff_no})
        return ""
    return staff_no


def _community(row, context):
    code = row.text("社区编码")
    if code and code not in set(context.staff.values()):
        if not _refused(context, "社区编码", code):
            row.error(
                "社区编码", _("社区编码 %(code)s 不是本周期参评书记所在的社区") % {"code": code}
            )
        return ""
    return code


def read_events(sheet, context):
    """事项 → EventRow list. The sheet has no codes: a row is known by who, type, date
    and text, so importing it again finds the same events."""
    found = []
    for row in sheet.rows:
        staff_no = _participant(row, "工号", context)
        type_code = row.text("事项类型编码")
        on = row.read("日期", cells.day)
        description = row.text("说明", required=False)
        status = row.read("状态", cells.choice, EVENT_STATUSES)
        exempt = row.read("免责", cells.choice, YES_NO)
        if type_code and type_code not in context.event_types:
            if not _refused(context, "事项类型编码", type_code):
                row.error(
                    "事项类型编码",
                    _("事项类型编码 %(code)s 不在事项类型表中") % {"code": type_code},
                )
            type_code = ""
        if staff_no and type_code and on and status and exempt:
            found.append(
                EventRow(
                    staff_no, type_code, on, description, STATUS_OF_WORD[status], exempt == "是"
                )
            )
    return found


def read_metrics(sheet, context):
    """指标数据 → [(community code, 数据项, value)], one value per community and item."""
    found, where = [], {}
    for row in sheet.rows:
        community = _community(row, context)
        key = row.text("数据项")
        value = row.read("实际值", cells.number)
        if key in context.counted_keys:
            row.error(
                "数据项",
                _("数据项“%(key)s”由系统按民情日记、网格事件等记录统计，不能导入") % {"key": key},
            )
            key = ""
        elif key and key not in context.metric_keys:
            row.error(
                "数据项",
                _("数据项“%(key)s”不是任何指标使用的数据项（可用：%(keys)s）")
                % {"key": key, "keys": "、".join(sorted(context.metric_keys)) or _("无")},
            )
            key = ""
        if value is not None and (abs(value) >= 10**10 or -value.as_tuple().exponent > 4):
            row.error(
                "实际值",
                _("%(value)s 超出可记录的范围（最多 4 位小数）") % {"value": cells.shown(value)},
            )
            value = None
        if value is not None and key in context.percent_keys and not 0 <= value <= 100:
            row.error(
                "实际值",
                _("%(value)s 不在 0 到 100 之间（“%(key)s”是百分比）")
                % {"value": cells.shown(value), "key": key},
            )
            value = None
        if community and key and (community, key) in where:
            row.error(
                "数据项",
                _("社区 %(code)s 的“%(key)s”重复（第 %(n)d 行已有）")
                % {"code": community, "key": key, "n": where[community, key]},
            )
            continue
        if community and key and value is not None:
            where[community, key] = row.number
            found.append((community, key, value))
    return found


def read_scores(sheet, context):
    """评分 → ScoreRow list (SPEC §3.1, §3.2): a value in [0, points] on a leaf; no
    目标 value on an automatic leaf; an 组织 value on one needs a note; 自评 is
    the secretary's own."""
    found, where = [], {}
    for row in sheet.rows:
        staff_no = _participant(row, "工号", context)
        code = row.text("指标编码")
        word = row.read("来源", cells.choice, SOURCES)
        rater = row.text("评分人")
        value = row.read("分数", cells.number)
        note = row.text("备注", required=False)
        leaf = context.leaves.get(code)
        if code and leaf is None and not _refused(context, "指标编码", code):
            if code in context.parents:
                row.error(
                    "指标编码", _("指标 %(code)s 有下级指标，只能给末级指标打分") % {"code": code}
                )
            else:
                row.error("指标编码", _("指标编码 %(code)s 不在指标表中") % {"code": code})
        if len(rater) > 150:
            row.error("评分人", _("评分人账号不能超过 150 个字符"))
            rater = ""
        source = SOURCE_OF_WORD.get(word)
        if leaf is None or not (staff_no and source and rater and value is not None):
            continue
        automatic = leaf.method in Method.AUTOMATIC
        if value < 0 or value > leaf.points:
            row.error(
                "分数",
                _("%(value)s 超过该指标分值 %(points)s")
                % {"value": cells.shown(value), "points": plain_number(leaf.points)}
                if value > 0
                else _("%(value)s 不能小于 0") % {"value": cells.shown(value)},
            )
            continue
        if leaf.bars and leaf.method == Method.RATING and value not in {v for _l, v in leaf.bars}:
            row.error(
                "分数",
                _("%(value)s 不是指标 %(code)s 的行为锚定等级分值，应为：%(levels)s")
                % {
                    "value": cells.shown(value),
                    "code": code,
                    "levels": "、".join(f"{plain_number(v)}（{label}）" for label, v in leaf.bars),
                },
            )
            continue
        if -value.as_tuple().exponent > 2:
            row.error("分数", _("%(value)s 最多保留两位小数") % {"value": cells.shown(value)})
            continue
        if source == "target" and automatic:
            row.error(
                "来源",
                _("指标 %(code)s 自动计分，不能录入目标量评分数") % {"code": code},
            )
            continue
        if source == "org" and automatic and not note:
            row.error(
                "备注",
                _("组织考评改动自动计分指标 %(code)s 时必须填写备注说明理由") % {"code": code},
            )
            continue
        if source == "self" and rater != staff_no:
            row.error("评分人", _("自评的评分人应为书记本人工号 %(no)s") % {"no": staff_no})
            continue
        key = (staff_no, code, source, rater)
        if key in where:
            row.error(
                "评分人",
                _("同一评分人对同一书记、指标和来源的分数重复（第 %(n)d 行已有）")
                % {"n": where[key]},
            )
            continue
        where[key] = row.number
        found.append(ScoreRow(staff_no, code, source, rater, value, note))
    return found


def read_tallies(sheet, context):
    """测评 → TallyRow list: paper counts per community and category (SPEC §3.4)."""
    found, where = [], {}
    for row in sheet.rows:
        community = _community(row, context)
        category = row.text("类别")
        counts = tuple(row.read(h, cells.whole) for h in COUNT_HEADERS)
        if category and category not in context.categories:
            row.error(
                "类别",
                _("类别“%(name)s”不在测评类别中（可用：%(names)s）")
                % {"name": category, "names": "、".join(sorted(context.categories)) or _("无")},
            )
            category = ""
        for header, count in zip(COUNT_HEADERS, counts, strict=True):
            if count is not None and count > MAX_COUNT:
                row.error(header, _("%(n)d 张超过上限 %(max)d") % {"n": count, "max": MAX_COUNT})
        if community and category and (community, category) in where:
            row.error(
                "类别",
                _("社区 %(code)s 的“%(name)s”重复（第 %(n)d 行已有）")
                % {"code": community, "name": category, "n": where[community, category]},
            )
            continue
        if community and category and all(c is not None and c <= MAX_COUNT for c in counts):
            where[community, category] = row.number
            found.append(TallyRow(community, category, counts))
    return found
