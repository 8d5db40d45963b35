"""Metric values (指标数据, SPEC §2 Metric, §4 sheet 指标数据): entered per community in the
grid, or pasted from Excel all-or-nothing. County assessors for their county, town
assessors for their town's communities; counted metrics are never entered."""

import unicodedata
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from assessment.models import Cycle
from assessment.services import mark_inputs_changed
from core.numbers import plain_number
from core.versioning import StaleVersion
from evidence.models import MetricValue, MetricValueSource
from evidence.records.selectors import may_enter_metrics
from indicators.models import MetricDefinition
from org.models import OrgUnit, OrgUnitKind

# A value is stored with 4 decimals and 14 digits in all (MetricValue.value).
MAX_METRIC_VALUE = Decimal("1e10")
MAX_PASTE_LINES = 5000
HEADER = "社区编码"


def _stamp(obj, actor):
    obj._history_user = actor
    return obj


def _check_cycle_writable(cycle):
    if cycle.is_locked:
        raise ValidationError(
            _("考核周期“%(name)s”%(status)s，指标数据不能再修改。")
            % {"name": cycle.name, "status": cycle.get_status_display()}
        )
    if cycle.frozen_template_id is None:
        raise ValidationError(
            _("考核周期“%(name)s”尚未开始，指标体系未确定，暂不能录入指标数据。")
            % {"name": cycle.name}
        )


# --------------------------------------------------------------------- metric values


def entry_definition(cycle, key):
    """The cycle's metric definition `key`, if values may be entered for it."""
    definition = MetricDefinition.objects.filter(
        template_id=cycle.frozen_template_id, key=key
    ).first()
    if definition is None:
        raise ValidationError({"key": _("数据项“%(key)s”不在本周期的指标体系中。") % {"key": key}})
    if definition.source == MetricDefinition.Source.COUNTED:
        raise ValidationError(
            {
                "key": _("数据项“%(name)s”按记录自动统计，不能录入或导入。")
                % {"name": definition.name}
            }
        )
    return definition


def checked_metric_value(raw, community, definition):
    """A number ≥ 0 with at most 4 decimals, at most 100 for a percentage; the message
    names community and metric."""
    where = {"community": community.name, "metric": definition.name}
    try:
        text = unicodedata.normalize("NFKC", str(raw)).strip().replace(",", "")
        value = Decimal(text)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise ValidationError({"value": _("%(community)s的“%(metric)s”应为数字。") % where})
    if value < 0:
        raise ValidationError({"value": _("%(community)s的“%(metric)s”不能为负数。") % where})
    if value >= MAX_METRIC_VALUE:
        raise ValidationError({"value": _("%(community)s的“%(metric)s”数值过大。") % where})
    if value.as_tuple().exponent < -4 and value != value.quantize(Decimal("0.0001")):
        raise ValidationError(
            {"value": _("%(community)s的“%(metric)s”最多保留 4 位小数。") % where}
        )
    if definition.is_percent and value > 100:
        raise ValidationError(
            {
                "value": _(
                    "%(community)s的“%(metric)s”是百分比，应在 0 到 100 之间，不能是 %(value)s。"
                )
                % {**where, "value": plain_number(value)}
            }
        )
    return value.quantize(Decimal("0.0001"))


def _check_metric_community(actor, cycle, community):
    if community.kind != OrgUnitKind.COMMUNITY or not community.path.startswith(cycle.county.path):
        raise ValidationError(
            {"community": _("%(name)s不是本周期所属县/区的社区。") % {"name": community.name}}
        )
    if not may_enter_metrics(actor, community):
        raise PermissionDenied


@transaction.atomic
def set_metric_value(
    *, actor, cycle, community, key, value, version=None, note="", source=MetricValueSource.ENTERED
):
    """Enter (or change) the actual value of an entered/imported metric for a community
    (SPEC §2 Metric). A changed value needs the `version` it was read at."""
    cycle = Cycle.objects.select_for_update(of=("self",)).select_related("county").get(pk=cycle.pk)
    _check_metric_community(actor, cycle, community)
    _check_cycle_writable(cycle)
    definition = entry_definition(cycle, key)
    checked = checked_metric_value(value, community, definition)
    current = (
        MetricValue.objects.select_for_update()
        .filter(cycle=cycle, community=community, key=key)
        .first()
    )
    if current is None:
        if version is not None:
            raise StaleVersion(None)
        current = MetricValue(cycle=cycle, community=community, key=key, value=checked)
    else:
        if current.version != version:
            raise StaleVersion(current)
        if current.value == checked and current.note == note.strip():
            return current
        current.version += 1
    current.value, current.source, current.note = checked, source, note.strip()
    current.entered_by = actor
    _stamp(current, actor).save()
    mark_inputs_changed(cycle, communities=[community.pk])
    return current


@transaction.atomic
def clear_metric_value(*, actor, cycle, community, key, version):
    """Remove a community's value: the leaf then has no actual value (SPEC §3.1)."""
    cycle = Cycle.objects.select_for_update(of=("self",)).select_related("county").get(pk=cycle.pk)
    _check_metric_community(actor, cycle, community)
    _check_cycle_writable(cycle)
    entry_definition(cycle, key)
    current = (
        MetricValue.objects.select_for_update()
        .filter(cycle=cycle, community=community, key=key)
        .first()
    )
    if current is None:
        return
    if current.version != version:
        raise StaleVersion(current)
    _stamp(current, actor).delete()
    mark_inputs_changed(cycle, communities=[community.pk])


def _paste_rows(text):
    """(line number, cells) of the non-blank lines, header row dropped."""
    lines = text.splitlines()
    rows = [
        (number, [cell.strip() for cell in line.split("\t")])
        for number, line in enumerate(lines, start=1)
        if line.strip()
    ]
    if rows and rows[0][1][0].replace("\ufeff", "") == HEADER:
        rows = rows[1:]
    return rows


@transaction.atomic
def import_metric_values(*, actor, cycle, text):
    """Paste from Excel (SPEC §4 sheet 指标数据): tab-separated 社区编码, 数据项 (key or
    name), 实际值; header row optional. Everything is checked first and every problem is
    reported with its line number; any problem rejects the whole paste (SPEC §7).
    Returns the number of values saved (source 导入)."""
    cycle = Cycle.objects.select_for_update(of=("self",)).select_related("county").get(pk=cycle.pk)
    _check_cycle_writable(cycle)
    rows = _paste_rows(text or "")
    if not rows:
        raise ValidationError(
            _("没有可导入的数据：请从 Excel 复制“社区编码、数据项、实际值”三列后粘贴。")
        )
    if len(rows) > MAX_PASTE_LINES:
        raise ValidationError(_("一次最多导入 %(n)d 行，请分批粘贴。") % {"n": MAX_PASTE_LINES})
    definitions = {}
    for definition in MetricDefinition.objects.filter(template_id=cycle.frozen_template_id):
        definitions[definition.key] = definition
        definitions.setdefault(definition.name, definition)
    codes = {cells[0] for _n, cells in rows}
    communities = {
        unit.code: unit
        for unit in OrgUnit.objects.filter(
            code__in=codes, kind=OrgUnitKind.COMMUNITY, path__startswith=cycle.county.path
        )
    }
    errors, parsed, seen = [], [], {}
    for number, cells in rows:
        problem = None
        filled = [c for c in cells if c]
        if len(cells) < 3 or len(filled) < 3 or any(cells[3:]):
            problem = _("应有三列：社区编码、数据项、实际值（用制表符分隔，可直接从 Excel 复制）。")
        else:
            code, key, raw = cells[:3]
            community = communities.get(code)
            definition = definitions.get(key)
            if community is None:
                problem = _("社区编码“%(code)s”不是本县/区的社区。") % {"code": code}
            elif not may_enter_metrics(actor, community):
                problem = _("%(name)s不在您的管理范围内。") % {"name": community.name}
            elif definition is None:
                problem = _("数据项“%(key)s”不在本周期的指标体系中。") % {"key": key}
            elif definition.source == MetricDefinition.Source.COUNTED:
                problem = _("数据项“%(name)s”按记录自动统计，不能导入。") % {
                    "name": definition.name
                }
            elif (code, definition.key) in seen:
                problem = _("与第 %(line)d 行重复（%(name)s · %(metric)s）。") % {
                    "line": seen[(code, definition.key)],
                    "name": community.name,
                    "metric": definition.name,
                }
            else:
                try:
                    value = checked_metric_value(raw, community, definition)
                except ValidationError as exc:
                    problem = " ".join(exc.messages)
                else:
                    seen[(code, definition.key)] = number
                    parsed.append((community, definition.key, value))
        if problem:
            errors.append(_("第 %(line)d 行：%(problem)s") % {"line": number, "problem": problem})
    if errors:
        raise ValidationError(errors)
    existing = {
        (v.community_id, v.key): v
        for v in MetricValue.objects.select_for_update().filter(
            cycle=cycle, community__in=[c for c, _k, _v in parsed]
        )
    }
    changed = set()
    for community, key, value in parsed:
        current = existing.get((community.pk, key))
        if current is None:
            current = MetricValue(cycle=cycle, community=community, key=key)
        elif current.value == value:
            continue
        else:
            current.version += 1
        current.value, current.source, current.entered_by = value, MetricValueSource.IMPORTED, actor
        _stamp(current, actor).save()
        changed.add(community.pk)
    if changed:
        mark_inputs_changed(cycle, communities=changed)
    return len(parsed)
