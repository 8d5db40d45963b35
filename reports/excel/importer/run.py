"""The import as one use case: read, check everything, then write in one transaction
(SPEC §4, DESIGN §4). A preview (`dry_run`) does the same writes and rolls them back,
so its counts are exactly what confirming would do."""

import re
from contextlib import closing

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX, make_password
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.utils.translation import gettext as _

from assessment.models import Cycle
from assessment.services import mark_inputs_changed, may_manage
from indicators.models import MetricDefinition
from indicators.services import DEFAULT_SURVEY_CATEGORIES, node_specs
from indicators.validation import Method
from org.models import OrgUnit, Secretary, User
from org.scope import Role, scope_of
from reports.excel.errors import CellError, ImportRejected
from reports.excel.importer import apply_data, apply_setup, cells, data_sheets, setup_sheets
from reports.excel.importer.outcome import ImportOutcome, SheetChanges
from reports.excel.importer.plan import Context, Plan
from reports.excel.importer.sheets import read_workbook
from reports.excel.layout import PARTIAL_SHEETS, SHEETS
from reports.excel.safety import open_workbook

ORDER = tuple(SHEETS)
CYCLE = "周期"  # where a fault about the target cycle itself is reported
SETUP_SHEETS = ("设置", "单位", "书记", "指标")
IMPORT_ACCOUNT = "excel-import"
RATER_NAME = r"^[\w.@+-]+\Z"
# The advisory-lock namespace of whole-cycle imports ("impt" in ASCII), beside the
# county code's hash.
COUNTY_LOCK_SPACE = 0x696D7074


class _Preview(Exception):
    """Raised inside the transaction to roll a preview back."""


def import_workbook(source, *, actor=None, cycle=None, only=None, dry_run=False, progress=None):
    """Import a SPEC §4 workbook: a whole cycle (`cycle=None`) or, into `cycle`, only
    the sheets named in `only` (any of 评分, 指标数据, 事项, 测评). All or nothing:
    raises `ImportRejected` listing every fault, and writes nothing then."""
    report = progress or (lambda percent, message: None)
    wanted = _wanted_sheets(cycle, only)
    if cycle is not None and actor is not None and not may_manage(actor, cycle):
        raise PermissionDenied
    report(5, _("正在读取文件"))
    with closing(open_workbook(source)) as workbook:
        sheets = read_workbook(workbook, wanted)
    report(30, _("正在检查数据"))
    plan, errors = _check(sheets, wanted, cycle, actor)
    if errors:
        raise ImportRejected(sorted(errors, key=_error_order))
    report(50, _("正在写入"))
    try:
        with transaction.atomic():
            outcome = _write(plan, cycle, actor, report)
            if dry_run:
                raise _Preview(outcome)
    except _Preview as preview:
        outcome = preview.args[0]
        outcome.applied = False
    report(100, _("完成"))
    return outcome


def _wanted_sheets(cycle, only):
    if cycle is None:
        return ORDER
    chosen = set(only or PARTIAL_SHEETS)
    unknown = chosen - set(PARTIAL_SHEETS)
    if unknown:
        raise ImportRejected(
            [
                CellError(
                    name,
                    None,
                    None,
                    _("只能单独导入：%(sheets)s") % {"sheets": "、".join(PARTIAL_SHEETS)},
                )
                for name in sorted(unknown)
            ]
        )
    return tuple(name for name in PARTIAL_SHEETS if name in chosen)


def _error_order(error):
    letter = error.letter or ""
    return (
        ORDER.index(error.sheet) if error.sheet in ORDER else -1,
        error.row or 0,
        len(letter),
        letter,
    )


def _check(sheets, wanted, cycle, actor):
    """Every fault of every sheet, and the plan when there is none."""
    errors = []
    required = SETUP_SHEETS if cycle is None else wanted
    for name in required:
        if name not in sheets:
            errors.append(CellError(name, None, None, _("缺少工作表“%(name)s”") % {"name": name}))
    if cycle is None and "事项" in sheets and "事项类型" not in sheets:
        errors.append(CellError("事项类型", None, None, _("有“事项”表时必须同时提供“事项类型”表")))
    structural = {e.sheet for e in errors} | {s.name for s in sheets.values() if s.errors}
    plan = Plan()
    if cycle is None:
        context = _whole_plan(plan, sheets, structural, actor)
    else:
        if apply_setup.closed_reason(cycle):
            errors.append(CellError(CYCLE, None, None, apply_setup.closed_reason(cycle)))
        context = _cycle_context(cycle)
    if context is not None:
        readers = {
            "事项": ("events", data_sheets.read_events),
            "指标数据": ("metrics", data_sheets.read_metrics),
            "评分": ("scores", data_sheets.read_scores),
            "测评": ("tallies", data_sheets.read_tallies),
        }
        for name, (attr, reader) in readers.items():
            if name in sheets and not _header_faults(sheets[name]):
                setattr(plan, attr, reader(sheets[name], context))
        if plan.scores is not None:
            _check_raters(sheets["评分"], plan.scores, actor)
    for sheet in sheets.values():
        errors.extend(sheet.errors)
    return plan, errors


def _header_faults(sheet):
    return any(e.row in (None, 1) for e in sheet.errors)


def _whole_plan(plan, sheets, structural, actor):
    """Read the setup sheets; the context for the data sheets, or None when the setup
    itself is too broken to check them against."""
    if "设置" in sheets and not _header_faults(sheets["设置"]):
        plan.settings = setup_sheets.read_settings(sheets["设置"])
    if "单位" in sheets and not _header_faults(sheets["单位"]):
        plan.units, plan.county_code = setup_sheets.read_units(sheets["单位"])
        _check_county(sheets["单位"], plan, actor)
    existing = None
    if plan.settings is not None and {"name", "year"} <= plan.settings.keys():
        existing = (
            Cycle.objects.filter(
                county__code=plan.county_code,
                year=plan.settings["year"],
                name=plan.settings["name"],
            )
            .order_by("pk")
            .first()
        )
        if existing is not None and apply_setup.closed_reason(existing):
            sheets["设置"].error(apply_setup.closed_reason(existing))
        setup_sheets.check_cycle_rules(sheets["设置"], plan.settings, existing or Cycle())
    if "书记" in sheets and plan.units is not None and not _header_faults(sheets["书记"]):
        refused_units = sheets["单位"].faulty("编码") - {u.code for u in plan.units}
        plan.secretaries = setup_sheets.read_secretaries(sheets["书记"], plan.units, refused_units)
        _check_secretaries_reach(sheets["书记"], plan, actor)
    if "指标" in sheets and not _header_faults(sheets["指标"]):
        plan.nodes = setup_sheets.read_nodes(sheets["指标"])
    if "事项类型" in sheets and plan.nodes is not None and not _header_faults(sheets["事项类型"]):
        plan.event_types = setup_sheets.read_event_types(sheets["事项类型"], plan.nodes)
    if "测评类别" in sheets and not _header_faults(sheets["测评类别"]):
        plan.categories = setup_sheets.read_categories(sheets["测评类别"])
    if plan.secretaries is None or plan.nodes is None:
        return None
    parents = {n.parent_code for n in plan.nodes if n.parent_code}
    taken = {
        ("工号", "书记", "工号"): {s.staff_no for s in plan.secretaries},
        ("社区编码", "书记", "社区编码"): {s.community_code for s in plan.secretaries},
        ("指标编码", "指标", "编码"): {n.code for n in plan.nodes if n.points is not None},
        ("事项类型编码", "事项类型", "编码"): {e.code for e in plan.event_types or ()},
    }
    refused = frozenset(
        (header, code)
        for (header, name, column), codes in taken.items()
        if name in sheets
        for code in sheets[name].faulty(column) - codes
    )
    # Re-importing into a cycle whose template counts some 数据项 from records.
    counted = _counted_metric_keys(existing.frozen_template if existing else None)
    categories = plan.categories
    if categories is None and existing is not None and existing.frozen_template_id:
        # No 测评类别 sheet: the cycle keeps the categories it has.
        categories = existing.frozen_template.survey_categories.values_list("name", "weight")
    elif categories is None:
        categories = DEFAULT_SURVEY_CATEGORIES
    return Context(
        staff={s.staff_no: s.community_code for s in plan.secretaries},
        leaves={n.code: n for n in plan.nodes if n.code not in parents and n.points is not None},
        parents=parents,
        event_types={e.code for e in plan.event_types or ()},
        categories={name for name, _w in categories},
        metric_keys={
            n.metric_key for n in plan.nodes if n.method in Method.NEEDS_METRIC and n.metric_key
        }
        - counted,
        refused=refused,
        counted_keys=counted,
        percent_keys=_percent_metric_keys(existing.frozen_template if existing else None),
    )


def _check_county(sheet, plan, actor):
    """The file's units lie in one county; an admin imports only into their own."""
    if plan.county_code is None:
        return
    county = OrgUnit.objects.filter(code=plan.county_code).first()
    if county is not None:
        outside = OrgUnit.objects.filter(code__in=[u.code for u in plan.units]).exclude(
            path__startswith=county.path
        )
        rows = {row.text("编码"): row for row in sheet.rows}
        for unit in outside:
            if unit.code in rows:
                rows[unit.code].error(
                    "编码",
                    _("单位 %(code)s 已属于其他县/区，不能在本文件中导入") % {"code": unit.code},
                )
        # A new unit hangs under the file's county, never under another county's unit.
        in_file = {u.code for u in plan.units}
        parents = {
            u.code: u
            for u in OrgUnit.objects.filter(
                code__in={u.parent_code for u in plan.units if u.parent_code} - in_file
            )
        }
        for unit in plan.units:
            parent = parents.get(unit.parent_code)
            if unit.code != county.code and parent and not parent.path.startswith(county.path):
                rows[unit.code].error(
                    "上级编码",
                    _("上级单位 %(code)s 属于其他县/区，不能在本文件中挂接")
                    % {"code": unit.parent_code},
                )
    if actor is None or scope_of(actor).is_global:
        return
    allowed = county is not None and scope_of(actor).covers_path(county.path, {Role.ADMIN})
    if not allowed:
        sheet.error(
            _("您不是县/区 %(code)s 的管理员，不能导入该县/区的数据") % {"code": plan.county_code},
            header="编码",
        )


def _check_secretaries_reach(sheet, plan, actor):
    """A 工号 is unique across the deployment: an admin may not take over (move,
    rename) a secretary who is recorded in another county."""
    if actor is None or scope_of(actor).is_global or plan.county_code is None:
        return
    county = OrgUnit.objects.filter(code=plan.county_code).first()
    elsewhere = Secretary.objects.filter(staff_no__in=[s.staff_no for s in plan.secretaries])
    if county is not None:
        elsewhere = elsewhere.exclude(community__path__startswith=county.path)
    foreign = set(elsewhere.values_list("staff_no", flat=True))
    for row in sheet.rows:
        staff_no = cells.text(row.raw("工号"))
        if staff_no in foreign:
            row.error(
                "工号", _("工号 %(no)s 是其他县/区的书记，不能在本文件中导入") % {"no": staff_no}
            )


def _cycle_context(cycle):
    template = cycle.frozen_template
    nodes = node_specs(template) if template else []
    parents = {n.parent_code for n in nodes if n.parent_code}
    leaves = {n.code: n for n in nodes if n.code not in parents}
    return Context(
        staff=dict(cycle.participants.values_list("secretary__staff_no", "community__code")),
        leaves=leaves,
        parents=parents,
        event_types=set(template.event_types.values_list("code", flat=True)) if template else set(),
        categories=set(template.survey_categories.values_list("name", flat=True))
        if template
        else set(),
        metric_keys=_entered_metric_keys(template, leaves),
        counted_keys=_counted_metric_keys(template),
        percent_keys=_percent_metric_keys(template),
    )


def _counted_metric_keys(template):
    """Items counted from the records kept in the product (e.g. 化解矛盾数 from grid
    events): a file never sets them."""
    if template is None:
        return frozenset()
    counted = template.metrics.filter(source=MetricDefinition.Source.COUNTED)
    return frozenset(counted.values_list("key", flat=True))


def _percent_metric_keys(template):
    """Items measured in % (0–100)."""
    if template is None:
        return frozenset()
    return frozenset(d.key for d in template.metrics.all() if d.is_percent)


def _entered_metric_keys(template, leaves):
    if template is None:
        return set()
    keys = {n.metric_key for n in leaves.values() if n.metric_key}
    keys |= set(template.metrics.values_list("key", flat=True))
    return keys - _counted_metric_keys(template)


def _check_raters(sheet, scores, actor):
    """Rater names must be usable account names; an existing account outside the
    importer's reach may not be named (it would put scores in someone else's name).
    The accounts an import makes for raters (`apply_data.rater_accounts`: inactive, no
    password, no role, no secretary) are nobody's and may be named again."""
    pattern = re.compile(RATER_NAME)
    names = {s.rater for s in scores if s.source != "self"}
    bad = {n for n in names if not pattern.match(n)}
    foreign = set()
    if actor is not None and not scope_of(actor).is_global:
        named = User.objects.filter(username__in=names)
        made = named.filter(
            is_active=False,
            is_superuser=False,
            password__startswith=UNUSABLE_PASSWORD_PREFIX,
            memberships__isnull=True,
            secretary__isnull=True,
        )
        existing = set(named.exclude(pk__in=made.values("pk")).values_list("username", flat=True))
        reachable = set(
            User.objects.for_user(actor)
            .filter(username__in=existing)
            .values_list("username", flat=True)
        )
        foreign = existing - reachable
    reported = set()
    for row in sheet.rows:
        name = cells.text(row.raw("评分人"))
        if name in bad and name not in reported:
            row.error(
                "评分人", _("评分人账号“%(name)s”只能包含字母、数字、汉字和 @.+-_") % {"name": name}
            )
            reported.add(name)
        elif name in foreign and name not in reported:
            row.error(
                "评分人",
                _("账号“%(name)s”不在您管理的范围内，不能以其名义导入分数") % {"name": name},
            )
            reported.add(name)


def import_account():
    """The account that stands for 'the workbook' where a record must name a person
    and the command line has none."""
    user, _created = User.objects.get_or_create(
        username=IMPORT_ACCOUNT,
        defaults={
            "full_name": _("Excel 导入"),
            "is_active": False,
            "password": make_password(None),
        },
    )
    return user


def _write(plan, cycle, actor, report):
    writer = actor or import_account()
    changes = {}

    def sheet(name):
        return changes.setdefault(name, SheetChanges())

    if cycle is None:
        _lock_county(plan.county_code)
        for name in ORDER:
            if name in ("设置", "单位", "书记", "指标") or getattr(plan, _ATTR[name]) is not None:
                sheet(name)
        units = apply_setup.write_units(plan, writer, sheet("单位"))
        county = units[plan.county_code]
        cycle, _created = apply_setup.write_cycle(plan, county, writer, sheet("设置"))
        apply_setup.write_template(plan, cycle, writer, _Sheets(sheet))
        apply_setup.write_people(plan, cycle, units, writer, sheet("书记"))
        report(65, _("正在写入事项与数据"))
    else:
        # The cycle may have moved on since it was checked: decide under its row lock.
        cycle = Cycle.objects.select_for_update().get(pk=cycle.pk)
        if apply_setup.closed_reason(cycle):
            raise ImportRejected([CellError(CYCLE, None, None, apply_setup.closed_reason(cycle))])
    for name in ORDER:
        if name in PARTIAL_SHEETS and getattr(plan, _ATTR[name]) is not None:
            sheet(name)
    index = apply_data.CycleIndex(cycle)
    if plan.events is not None:
        apply_data.write_events(plan.events, index, writer, sheet("事项"))
    if plan.metrics is not None:
        apply_data.write_metrics(plan.metrics, index, writer, sheet("指标数据"))
    report(75, _("正在写入评分"))
    if plan.scores is not None:
        apply_data.write_scores(plan.scores, index, writer, sheet("评分"))
    if plan.tallies is not None:
        apply_data.write_tallies(plan.tallies, index, writer, writer, sheet("测评"))
    outcome = ImportOutcome(
        cycle_id=cycle.pk,
        changes={name: changes[name] for name in ORDER if name in changes},
        warnings=plan.warnings,
    )
    if outcome.changed_anything:
        mark_inputs_changed(cycle)
    return outcome


def _lock_county(code):
    """Two imports of one county's workbook at once (two uploads confirmed together, a
    script beside the browser; DESIGN §4, §5): the second waits here, before it writes anything, until
    the first commits, and then finds the units, cycle and people the first made —
    instead of making twins of them, which a unit's unique code would refuse as an
    unexpected error. Held until the import's transaction ends. SQLite has one writer
    at a time anyway."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [COUNTY_LOCK_SPACE, code])


_ATTR = {
    "设置": "settings",
    "单位": "units",
    "书记": "secretaries",
    "指标": "nodes",
    "事项类型": "event_types",
    "测评类别": "categories",
    "事项": "events",
    "指标数据": "metrics",
    "评分": "scores",
    "测评": "tallies",
}


class _Sheets:
    """`changes["指标"]` for the template writer, creating the counter on first use."""

    def __init__(self, sheet):
        self._sheet = sheet

    def __getitem__(self, name):
        return self._sheet(name)
