"""Writing what sets a cycle up: org units, the cycle and its settings, the indicator
template (a released template plus the frozen copy the cycle keeps), secretaries and
participants. Runs inside the import's transaction, after every check passed."""

from datetime import date

from django.utils.translation import gettext as _

from assessment.models import Cycle, CycleStatus, CycleTransition, Participant, Quarter
from assessment.services import default_quarters
from indicators.models import (
    EventType,
    IndicatorNode,
    IndicatorTemplate,
    MetricDefinition,
    SurveyCategory,
)
from indicators.services import DEFAULT_SURVEY_CATEGORIES, freeze_template
from org.models import OrgUnit, Secretary
from reports.excel.errors import CellError, ImportRejected
from reports.excel.importer.outcome import SheetChanges
from reports.excel.importer.writes import Batch, save_one
from surveys.models import Ballot, BallotBatch, PaperTally, SurveySettings

NOT_GRADED_REASON = "导入：不参加评定"


def write_units(plan, actor, changes: SheetChanges):
    """Units parents first; codes never change, so a unit is found by its code."""
    existing = {u.code: u for u in OrgUnit.objects.filter(code__in=[u.code for u in plan.units])}
    parents = {
        u.code: u
        for u in OrgUnit.objects.filter(
            code__in={u.parent_code for u in plan.units if u.parent_code} - set(existing)
        )
    }
    placed = {**parents, **existing}
    pending = list(plan.units)
    while pending:
        # A level of the tree at a time, in bulk: its parents are written (and have
        # their ids) before it.
        batch = Batch(OrgUnit, actor, changes, touch=("updated_at",))
        written = set(placed)
        later = []
        for row in pending:
            if row.parent_code and row.parent_code not in written:
                later.append(row)
                continue
            unit = existing.get(row.code)
            if unit is None:
                parent = placed.get(row.parent_code)
                path = f"{parent.path if parent else '/'}{row.code}/"
                values = {
                    "code": row.code,
                    "name": row.name,
                    "kind": row.kind,
                    "parent": parent,
                    "path": path,
                    "depth": path.count("/") - 2,
                }
                placed[row.code] = batch.put(None, values, path)
            else:
                placed[row.code] = batch.put(unit, {"name": row.name}, unit.path)
        batch.flush()
        if len(later) == len(pending):
            break  # parents missing from the file and the database: checked before
        pending = later
    return placed


def find_cycle(county, settings):
    # Two imports of one county at once: the second waits for the first, then finds
    # the cycle the first created instead of making a twin.
    OrgUnit.objects.select_for_update().filter(pk=county.pk).first()
    return (
        Cycle.objects.select_for_update()
        .filter(county=county, year=settings["year"], name=settings["name"])
        .order_by("pk")
        .first()
    )


def closed_reason(cycle):
    """Why nothing may be imported into `cycle` now, or "" (DESIGN §4: a published
    cycle refuses every write; in 公示 the results are under review)."""
    if cycle.is_locked or cycle.status == CycleStatus.REVIEW:
        return _("周期“%(name)s”处于“%(status)s”状态，不能再导入修改") % {
            "name": cycle.name,
            "status": cycle.get_status_display(),
        }
    return ""


def write_cycle(plan, county, actor, changes: SheetChanges):
    """The cycle the file names (county, 年度, 考核名称): created open, or its
    settings updated."""
    cycle = find_cycle(county, plan.settings)
    if cycle is None:
        cycle = Cycle(county=county, status=CycleStatus.OPEN, **plan.settings)
        cycle.full_clean(exclude=["template"])
        save_one(cycle, actor, changes)
        for number, starts_on, ends_on in default_quarters(cycle.year):
            Quarter.objects.create(cycle=cycle, number=number, starts_on=starts_on, ends_on=ends_on)
        CycleTransition.objects.create(
            cycle=cycle,
            from_status=CycleStatus.DRAFT,
            to_status=CycleStatus.OPEN,
            actor=actor,
            note=_("由 Excel 导入创建"),
        )
        # The workbook's paper counts are the department's agreed record (one keying).
        SurveySettings.objects.create(cycle=cycle, double_entry=False)
        return cycle, True
    if closed_reason(cycle):
        raise ImportRejected([CellError("设置", None, None, closed_reason(cycle))])
    save_one(cycle, actor, changes, plan.settings)
    return cycle, False


def _node_values(spec):
    return {
        "name": spec.name,
        "points": spec.points,
        "method": spec.method,
        "metric_key": spec.metric_key if spec.method in ("target", "bands") else "",
        "target_value": spec.target_value if spec.method == "target" else None,
        "bands": [[str(t), str(v)] for t, v in spec.bands] if spec.method == "bands" else [],
        "range_min": spec.range_min,
        "range_max": spec.range_max,
    }


def _sort_key(code):
    return ".".join(f"{int(part):03d}" for part in code.split("."))


def _event_type_values(spec, nodes):
    return {
        "name": spec.name,
        "points": spec.points,
        "leaf_id": nodes[spec.leaf_code].pk if spec.leaf_code else None,
        "cap": spec.cap,
        "is_veto": spec.is_veto,
    }


def write_template(plan, cycle, actor, changes):
    """The indicator tree, 数据项, event types and survey categories. A cycle without
    a frozen template gets a new released template and its frozen copy; a cycle that
    has one keeps its tree (same codes) and takes the file's values in place."""
    if cycle.frozen_template_id is None:
        template = IndicatorTemplate(
            county=cycle.county, name=_("%(name)s 指标体系") % {"name": cycle.name}
        )
        save_one(template, actor, SheetChanges())
        _fill_template(plan, template, actor, changes)
        cycle.template = template
        cycle.frozen_template = freeze_template(actor=actor, template=template)
        cycle._history_user = actor
        cycle.save(update_fields=["template", "frozen_template", "updated_at"])
        return
    template = cycle.frozen_template
    nodes = {n.code: n for n in template.nodes.all()}
    wanted = {spec.code for spec in plan.nodes}
    if set(nodes) != wanted:
        extra, missing = sorted(wanted - set(nodes)), sorted(set(nodes) - wanted)
        raise ImportRejected(
            [
                CellError(
                    "指标",
                    None,
                    None,
                    _(
                        "周期已有指标体系，导入不能增删指标（表中多出：%(extra)s；表中缺少：%(missing)s）"
                    )
                    % {
                        "extra": "、".join(extra) or _("无"),
                        "missing": "、".join(missing) or _("无"),
                    },
                )
            ]
        )
    for spec in plan.nodes:
        save_one(nodes[spec.code], actor, changes["指标"], _node_values(spec))
    _write_metric_definitions(plan, template, actor)
    _write_event_types(plan, template, nodes, actor, changes)
    _write_categories(plan, template, actor, changes)


def _fill_template(plan, template, actor, changes):
    nodes = {}
    for spec in sorted(plan.nodes, key=lambda s: _sort_key(s.code)):
        node = IndicatorNode(
            template=template,
            parent=nodes.get(spec.parent_code),
            code=spec.code,
            position=int(spec.code.rsplit(".", 1)[-1]),
            sort_key=_sort_key(spec.code),
            **_node_values(spec),
        )
        nodes[spec.code] = save_one(node, actor, changes["指标"])
    _write_metric_definitions(plan, template, actor)
    _write_event_types(plan, template, nodes, actor, changes)
    _write_categories(plan, template, actor, changes)


def _write_metric_definitions(plan, template, actor):
    keys = {spec.metric_key for spec in plan.nodes if spec.method in ("target", "bands")}
    known = set(template.metrics.values_list("key", flat=True))
    for key in sorted(keys - known):
        save_one(MetricDefinition(template=template, key=key, name=key), actor, SheetChanges())


def _write_event_types(plan, template, nodes, actor, changes):
    if plan.event_types is None:
        return
    existing = {e.code: e for e in template.event_types.all()}
    for spec in plan.event_types:
        values = _event_type_values(spec, nodes)
        obj = existing.get(spec.code) or EventType(template=template, code=spec.code, **values)
        save_one(obj, actor, changes["事项类型"], values)


def _write_categories(plan, template, actor, changes):
    if plan.categories is None:
        if not template.survey_categories.exists():
            for name, weight in DEFAULT_SURVEY_CATEGORIES:
                save_one(
                    SurveyCategory(template=template, name=name, weight=weight),
                    actor,
                    SheetChanges(),
                )
        return
    existing = {c.name: c for c in template.survey_categories.all()}
    names = {name for name, _w in plan.categories}
    for name, category in existing.items():
        if name not in names:
            if category.pk and _category_used(category):
                raise ImportRejected(
                    [
                        CellError(
                            "测评类别",
                            None,
                            "类别",
                            _("类别“%(name)s”已有测评数据，不能从表中删去") % {"name": name},
                        )
                    ]
                )
            category._history_user = actor
            category.delete()
            changes["测评类别"].deleted += 1
    for name, weight in plan.categories:
        obj = existing.get(name) or SurveyCategory(template=template, name=name, weight=weight)
        save_one(obj, actor, changes["测评类别"], {"weight": weight})


def _category_used(category):
    return (
        Ballot.objects.filter(category=category).exists()
        or BallotBatch.objects.filter(category=category).exists()
        or PaperTally.objects.filter(category=category).exists()
    )


def write_people(plan, cycle, units, actor, changes: SheetChanges):
    """Secretaries by 工号 and their participation in the cycle; one row of 书记
    counts as changed when either changed."""
    secretaries = {
        s.staff_no: s
        for s in Secretary.objects.filter(staff_no__in=[r.staff_no for r in plan.secretaries])
    }
    participants = {p.secretary_id: p for p in Participant.objects.filter(cycle=cycle)}
    for row in plan.secretaries:
        community = units[row.community_code]
        step = SheetChanges()
        secretary = secretaries.get(row.staff_no) or Secretary(
            staff_no=row.staff_no,
            name=row.name,
            community=community,
            tenure_start=date(cycle.year, 1, 1),
        )
        save_one(secretary, actor, step, {"name": row.name, "community_id": community.pk})
        values = {
            "community_id": community.pk,
            "is_graded": row.graded,
            "not_graded_reason": "" if row.graded else NOT_GRADED_REASON,
        }
        participant = participants.get(secretary.pk) or Participant(
            cycle=cycle, secretary=secretary, **values
        )
        if participant.pk is not None and not row.graded and participant.not_graded_reason:
            values["not_graded_reason"] = participant.not_graded_reason  # keep a typed reason
        save_one(participant, actor, step, values)
        if step.created:
            changes.created += 1
        elif step.changed:
            changes.changed += 1
        else:
            changes.unchanged += 1
    staff = {r.staff_no for r in plan.secretaries}
    others = Participant.objects.filter(cycle=cycle).exclude(secretary__staff_no__in=staff).count()
    if others:
        plan.warnings.append(
            _("周期中另有 %(n)d 名参评书记不在本文件的“书记”表中，未作改动。") % {"n": others}
        )
