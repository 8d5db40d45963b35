"""Checks of the sheets that set a cycle up: 设置, 单位, 书记, 指标, 事项类型, 测评类别
(SPEC §3.1, §4). Each function reads its sheet into plan data and records every fault
on the sheet; nothing here writes."""

import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from indicators.validation import EventTypeSpec, NodeSpec, validate_event_types, validate_tree
from org.models import ALLOWED_PARENT_KINDS, OrgUnit, OrgUnitKind
from reports.excel.importer import cells
from reports.excel.importer.plan import SecretaryRow, UnitRow
from reports.excel.layout import METHODS, SETTING_FIELDS, SETTING_KEYS, UNIT_KINDS, YES_NO

UNIT_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
KIND_OF_WORD = {
    "县": OrgUnitKind.COUNTY,
    "区": OrgUnitKind.COUNTY,
    "镇": OrgUnitKind.TOWN,
    "乡": OrgUnitKind.TOWN,
    "街道": OrgUnitKind.TOWN,
    "社区": OrgUnitKind.COMMUNITY,
    "网格": OrgUnitKind.GRID,
}
METHOD_OF_WORD = dict(
    zip(METHODS, ("rating", "target", "bands", "deduction", "survey"), strict=True)
)
HUNDRED = Decimal(100)

# 设置 field → (lowest, highest, decimal places) a cell may hold; the rules between
# settings are the cycle's own (`Cycle.clean`, applied by `check_cycle_rules`).
BOUNDS = {
    "weight_self": (0, 100, 2),
    "weight_target": (0, 100, 2),
    "weight_org": (0, 100, 2),
    "bonus_cap": (0, 100, 2),
    "threshold_excellent": (0, 200, 2),
    "threshold_qualified": (0, 200, 2),
    "threshold_basic": (0, 200, 2),
    "excellent_share": (0, 100, 2),
    "tier_top_share": (0, 100, 2),
    "tier_bottom_share": (0, 100, 2),
    "coefficient_top": (0, 10, 3),
    "coefficient_middle": (0, 10, 3),
    "coefficient_bottom": (0, 10, 3),
    "pay_base": (0, 10**9, 2),
}


def _places(value):
    return max(0, -value.normalize().as_tuple().exponent)


def _bounded(row, header, value, low, high, places):
    if value is None:
        return None
    if not low <= value <= high:
        row.error(
            header,
            _("%(value)s 超出允许范围 %(low)s–%(high)s")
            % {"value": cells.shown(value), "low": low, "high": high},
        )
        return None
    if _places(value) > places:
        row.error(
            header,
            _("%(value)s 最多保留 %(n)d 位小数") % {"value": cells.shown(value), "n": places},
        )
        return None
    return value


def read_settings(sheet):
    """设置 → Cycle fields. 考核名称 and 年度 are required; the rest default as a new
    cycle would."""
    found, where = {}, {}
    for row in sheet.rows:
        key = row.text("项目")
        if not key:
            continue
        if key not in SETTING_KEYS:
            row.error(
                "项目",
                _("未知的设置项“%(key)s”，可用的有：%(keys)s")
                % {"key": key, "keys": "、".join(SETTING_KEYS)},
            )
            continue
        if key in where:
            row.error(
                "项目",
                _("设置项“%(key)s”重复（第 %(n)d 行已有）") % {"key": key, "n": where[key].number},
            )
            continue
        where[key] = row
        if key == "考核名称":
            name = row.text("值")
            if len(name) > 100:
                row.error("值", _("考核名称不能超过 100 个字"))
            elif name:
                found["name"] = name
        elif key == "年度":
            year = row.read("值", cells.whole)
            if year is not None and not 2000 <= year <= 2100:
                row.error("值", _("年度 %(year)d 应在 2000–2100 之间") % {"year": year})
            elif year is not None:
                found["year"] = year
        elif key == "去极值人数":
            trim = row.read("值", cells.whole, 3)
            if trim is not None:
                found["trim_threshold"] = trim
        else:
            field = SETTING_FIELDS[key]
            low, high, places = BOUNDS[field]
            value = _bounded(row, "值", row.read("值", cells.number), low, high, places)
            if value is not None:
                found[field] = value
    for key in ("考核名称", "年度"):
        if key not in where:
            sheet.error(_("缺少设置项“%(key)s”") % {"key": key})
    _check_weights(sheet, found, where)
    return found


def _check_weights(sheet, found, where):
    keys = ("自评权重", "目标权重", "组织权重")
    given = [k for k in keys if k in where]
    if given and len(given) < len(keys):
        sheet.error(_("自评权重、目标权重、组织权重应同时填写（合计 100）"))
        return
    weights = [found.get(SETTING_FIELDS[k]) for k in keys]
    if given and None not in weights and sum(weights) != HUNDRED:
        where["组织权重"].error(
            "值",
            _("自评、目标、组织三项权重合计 %(total)s，应为 100")
            % {"total": cells.shown(sum(weights))},
        )


def check_cycle_rules(sheet, settings, cycle):
    """The rules between settings (grade lines in order, tier shares, coefficients in
    order …) exactly as the cycle form applies them: `cycle` (the existing one, or a new
    one with the defaults) takes the file's values and is cleaned. Each finding is put
    at the row of the setting it names."""
    for field, value in settings.items():
        setattr(cycle, field, value)
    try:
        cycle.clean()
    except ValidationError as problem:
        rows = {SETTING_FIELDS.get(cells.text(r.raw("项目"))): r for r in sheet.rows}
        for field, messages in problem.message_dict.items():
            if field in ("weight_org", "county"):
                continue  # weights are checked by row above; the county on 单位
            message = "；".join(m.rstrip("。") for m in messages)
            if field in rows:
                rows[field].error("值", message)
            else:
                sheet.error(message, header="值")


def read_units(sheet):
    """单位 → UnitRow list, the county's code; parents checked within the sheet and
    against units already in the database (codes are stable: no kind change, no move)."""
    units, rows = [], {}
    for row in sheet.rows:
        code = row.text("编码")
        name = row.text("名称")
        word = row.read("类型", cells.choice, UNIT_KINDS)
        parent = row.text("上级编码", required=False) or None
        if code and not UNIT_CODE.match(code):
            row.error(
                "编码",
                _("编码“%(code)s”只能包含字母、数字、点、横线和下划线，最长 32 位")
                % {"code": code},
            )
            code = ""
        if len(name) > 100:
            row.error("名称", _("名称不能超过 100 个字"))
        if code in rows:
            row.error(
                "编码",
                _("编码 %(code)s 重复（第 %(n)d 行已有）") % {"code": code, "n": rows[code].number},
            )
            continue
        if code and name and word:
            rows[code] = row
            units.append(UnitRow(code, name, KIND_OF_WORD[word], parent))
    by_code = {u.code: u for u in units}
    refused = sheet.faulty("编码") - set(by_code)  # reported on their own rows
    parent_codes = {u.parent_code for u in units if u.parent_code and u.parent_code not in by_code}
    known = {
        u.code: u
        for u in OrgUnit.objects.filter(code__in=set(by_code) | parent_codes)
        .only("code", "kind", "parent__code", "path")
        .select_related("parent")
    }
    for unit in units:
        _check_unit(rows[unit.code], unit, by_code, known, refused)
    counties = [
        u
        for u in units
        if u.kind == OrgUnitKind.COUNTY
        and not (u.parent_code and (by_code.get(u.parent_code) or known.get(u.parent_code)))
    ]
    county_code = None
    if not counties:
        sheet.error(_("单位表中没有县/区（类型为“县”或“区”、上级编码留空的一行）"))
    elif len(counties) > 1:
        for unit in counties[1:]:
            rows[unit.code].error(
                "类型",
                _("一个文件只能描述一个县/区（第 %(n)d 行已有 %(code)s）")
                % {"n": rows[counties[0].code].number, "code": counties[0].code},
            )
    else:
        county_code = counties[0].code
    return units, county_code


def _check_unit(row, unit, by_code, known, refused):
    existing = known.get(unit.code)
    if existing is not None and existing.kind != unit.kind:
        row.error(
            "类型",
            _("单位 %(code)s 已存在，类型为“%(kind)s”，导入不能改变单位类型")
            % {"code": unit.code, "kind": OrgUnitKind(existing.kind).label},
        )
    if (
        existing is not None
        and (existing.parent.code if existing.parent_id else None) != unit.parent_code
    ):
        row.error(
            "上级编码",
            _("单位 %(code)s 已挂在 %(parent)s 下，导入不能移动单位")
            % {
                "code": unit.code,
                "parent": existing.parent.code if existing.parent_id else _("顶层"),
            },
        )
    if unit.parent_code is None:
        if unit.kind != OrgUnitKind.COUNTY:
            row.error("上级编码", _("只有县/区可以不填上级编码"))
        return
    parent = by_code.get(unit.parent_code) or known.get(unit.parent_code)
    if parent is None and unit.parent_code in refused:
        return
    if parent is None:
        row.error(
            "上级编码",
            _("上级编码 %(code)s 不在单位表中，系统中也没有") % {"code": unit.parent_code},
        )
        return
    if parent.kind not in ALLOWED_PARENT_KINDS[OrgUnitKind(unit.kind)]:
        row.error(
            "上级编码",
            _("“%(kind)s”不能挂在“%(parent)s”（%(code)s）下")
            % {
                "kind": OrgUnitKind(unit.kind).label,
                "parent": OrgUnitKind(parent.kind).label,
                "code": unit.parent_code,
            },
        )
    seen, code = [unit.code], unit.parent_code
    while code in by_code:
        if code in seen:
            row.error(
                "上级编码", _("上级编码形成循环：%(chain)s") % {"chain": " → ".join([*seen, code])}
            )
            return
        seen.append(code)
        code = by_code[code].parent_code


def read_secretaries(sheet, units, refused=()):
    """书记 → SecretaryRow list; each community must be a 社区 of the file. A unit in
    `refused` (its 单位 row has a fault of its own) is not reported again here."""
    communities = {u.code for u in units if u.kind == OrgUnitKind.COMMUNITY} | set(refused)
    found, where = [], {}
    for row in sheet.rows:
        staff_no = row.text("工号")
        name = row.text("姓名")
        community = row.text("社区编码")
        graded = row.read("参加评定", cells.choice, YES_NO)
        if len(staff_no) > 32:
            row.error("工号", _("工号不能超过 32 位"))
            staff_no = ""
        if len(name) > 50:
            row.error("姓名", _("姓名不能超过 50 个字"))
        if staff_no in where:
            row.error(
                "工号",
                _("工号 %(no)s 重复（第 %(n)d 行已有）")
                % {"no": staff_no, "n": where[staff_no].number},
            )
            continue
        if community and community not in communities:
            row.error("社区编码", _("社区编码 %(code)s 不是单位表中的社区") % {"code": community})
            community = ""
        if staff_no and name and community and graded:
            where[staff_no] = row
            found.append(SecretaryRow(staff_no, name, community, graded == "是"))
    return found


NODE_FIELDS = {
    "code": "编码",
    "name": "名称",
    "parent": "上级编码",
    "points": "分值",
    "method": "方法",
    "metric_key": "数据项",
    "target_value": "目标值",
    "bands": "分档",
    "range_min": "下限",
    "range_max": "上限",
    "bars": "方法",
}


def _bands(value):
    """`0:0;60:2;80:4` → ((0, 0), (60, 2), (80, 4))."""
    raw = cells.text(value)
    pairs = []
    for part in raw.replace("；", ";").replace("：", ":").split(";"):
        if not part.strip():
            continue
        bits = part.split(":")
        try:
            threshold, points = (
                (cells.number(b.strip()) for b in bits) if len(bits) == 2 else (None, None)
            )
        except cells.BadCell:
            threshold = points = None
        if threshold is None or points is None:
            raise cells.BadCell(
                _("“%(value)s”格式不对，应为“门槛:分值”用分号隔开，如 0:0;60:2;80:4")
                % {"value": raw}
            )
        pairs.append((threshold, points))
    return tuple(pairs)


def read_nodes(sheet):
    """指标 → NodeSpec list, checked with the same rules as the template editor
    (SPEC §3.1); each finding is placed at its row and column."""
    nodes, rows = [], {}
    for row in sheet.rows:
        code = row.text("编码")
        name = row.text("名称")
        points = row.read("分值", cells.number)
        word = row.read("方法", cells.choice, METHODS, required=False)
        if code in rows:
            row.error(
                "编码",
                _("编码 %(code)s 重复（第 %(n)d 行已有）") % {"code": code, "n": rows[code].number},
            )
            continue
        if len(name) > 100:
            row.error("名称", _("名称不能超过 100 个字"))
        if len(cells.text(row.raw("数据项"))) > 50:
            row.error("数据项", _("数据项名称不能超过 50 个字"))
        spec = NodeSpec(
            code=code,
            name=name,
            points=points,
            parent_code=row.text("上级编码", required=False) or None,
            method=METHOD_OF_WORD.get(word, ""),
            range_min=row.read("下限", cells.number, required=False),
            range_max=row.read("上限", cells.number, required=False),
            metric_key=row.text("数据项", required=False),
            target_value=row.read("目标值", cells.number, required=False),
            bands=row.read("分档", _bands, required=False) or (),
        )
        if code:
            rows[code] = row
            nodes.append(spec)
    # A node whose 分值 could not be read is reported on its row; the sums it is part
    # of (None: the total of 100) and its children's parent are not reported again.
    unread = {n.code: n.parent_code for n in nodes if n.points is None}
    parents = {n.code: n.parent_code for n in nodes}
    report = validate_tree([n for n in nodes if n.points is not None])
    for problem in report.errors:
        if (problem.field == "points" and problem.subject in unread.values()) or (
            problem.field == "parent" and parents.get(problem.subject) in unread
        ):
            continue
        row = rows.get(problem.subject)
        if row is None:
            sheet.error(problem.message.rstrip("。"), header=NODE_FIELDS.get(problem.field))
        else:
            row.error(NODE_FIELDS.get(problem.field, "编码"), problem.message.rstrip("。"))
    return nodes


def read_event_types(sheet, nodes):
    """事项类型 → EventTypeSpec list, checked against the tree (SPEC §2, §3.3)."""
    leaves = {n.code for n in nodes}
    found, rows = [], {}
    for row in sheet.rows:
        code = row.text("编码")
        name = row.text("名称")
        leaf = row.text("指标编码", required=False) or None
        points = row.read("分值", cells.number)
        cap = row.read("上限", cells.number, required=False)
        veto = row.read("一票否决", cells.choice, YES_NO)
        if code in rows:
            row.error(
                "编码",
                _("编码 %(code)s 重复（第 %(n)d 行已有）") % {"code": code, "n": rows[code].number},
            )
            continue
        if len(code) > 32 or len(name) > 100:
            row.error("编码" if len(code) > 32 else "名称", _("编码最长 32 位，名称最长 100 个字"))
            continue
        if leaf and leaf not in leaves:
            row.error("指标编码", _("指标编码 %(code)s 不在指标表中") % {"code": leaf})
            continue
        if code and name and points is not None and veto:
            rows[code] = row
            found.append(EventTypeSpec(code, name, points, leaf, cap, veto == "是"))
    fields = {"code": "编码", "cap": "上限", "leaf": "指标编码", "points": "分值"}
    for problem in validate_event_types(found, nodes).errors:
        row = rows.get(problem.subject)
        if row is None:
            sheet.error(problem.message.rstrip("。"), header=fields.get(problem.field))
        else:
            row.error(fields.get(problem.field, "编码"), problem.message.rstrip("。"))
    return found


def read_categories(sheet):
    """测评类别 → [(name, weight)]; weights sum to 100 (SPEC §3.4)."""
    found, rows = [], {}
    for row in sheet.rows:
        name = row.text("类别")
        weight = _bounded(row, "权重", row.read("权重", cells.number), 0, 100, 2)
        if name in rows:
            row.error(
                "类别",
                _("类别“%(name)s”重复（第 %(n)d 行已有）") % {"name": name, "n": rows[name].number},
            )
            continue
        if len(name) > 50:
            row.error("类别", _("类别名称不能超过 50 个字"))
            continue
        if name and weight is not None:
            rows[name] = row
            found.append((name, weight))
    if found and not sheet.errors:
        total = sum(w for _n, w in found)
        if total != HUNDRED:
            sheet.error(
                _("各类别权重合计 %(total)s，应为 100") % {"total": cells.shown(total)},
                header="权重",
            )
    if not sheet.rows:
        sheet.error(_("至少需要一个测评类别"))
    return found
