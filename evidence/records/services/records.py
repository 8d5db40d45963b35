"""民情日记 and 网格事件 (SPEC §1 secretary, §2 Metric "counted from records"; issue 6).
Each write tells the cycles whose counted metrics it changes (`mark_inputs_changed`),
and refuses a change to the counts of a published cycle."""

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, Max, Min, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assessment.models import LOCKED_STATUSES, Cycle, CycleStatus
from assessment.services import mark_inputs_changed
from core.versioning import lock_at_version
from evidence.models import DiaryCategory, DiaryEntry, GridEvent, GridEventStatus
from evidence.records.counters import RECORD_COUNTER_KEYS
from evidence.records.selectors import (
    grids_of,
    may_keep_grid_events,
    may_reopen_grid_events,
    own_communities,
)
from indicators.models import MetricDefinition
from org.models import OrgUnit


def _stamp(obj, actor):
    obj._history_user = actor
    return obj


def cycles_counting(community, dates):
    """Cycles whose counted metrics include records of this community on these dates:
    the community's county's started cycles, whose period holds one of the dates and
    whose frozen template counts a record metric. One query."""
    counted = MetricDefinition.objects.filter(
        template_id=OuterRef("frozen_template_id"),
        source=MetricDefinition.Source.COUNTED,
        key__in=RECORD_COUNTER_KEYS,
    )
    dates = {d for d in dates if d is not None}
    if not dates:
        return []
    candidates = (
        Cycle.objects.filter(
            county__code__in=community.ancestor_codes, year__in={d.year for d in dates}
        )
        .exclude(status=CycleStatus.DRAFT)
        .filter(Exists(counted))
        .annotate(first_day=Min("quarters__starts_on"), last_day=Max("quarters__ends_on"))
    )
    found = []
    for cycle in candidates:
        first = cycle.first_day or date(cycle.year, 1, 1)
        last = cycle.last_day or date(cycle.year, 12, 31)
        if any(first <= d <= last for d in dates):
            found.append(cycle)
    return found


def _records_changed(community, *dates):
    """Refuse a change that would alter the counts of a published cycle; tell the open
    ones their inputs changed (SPEC §2: a published cycle is read-only)."""
    touched = cycles_counting(community, dates)
    for cycle in touched:
        if cycle.status in LOCKED_STATUSES:
            raise ValidationError(
                _("该日期属于已发布的“%(name)s”，其统计结果已锁定，记录不能再新增或修改。")
                % {"name": cycle.name}
            )
    for cycle in touched:
        mark_inputs_changed(cycle, communities=[community.pk])


def _check_dates(**dates):
    today = timezone.localdate()
    for field, (label, value) in dates.items():
        if value is not None and value > today:
            raise ValidationError({field: _("%(label)s不能晚于今天。") % {"label": label}})


def _check_category(category):
    if category not in DiaryCategory.values:
        raise ValidationError({"category": _("请选择类别。")})


def _diary_fields(recorded_on, category, content, resolved, resolved_on):
    if recorded_on is None:
        raise ValidationError({"recorded_on": _("请填写日期。")})
    _check_category(category)
    if not (content or "").strip():
        raise ValidationError({"content": _("请填写民情内容。")})
    if resolved:
        resolved_on = resolved_on or timezone.localdate()
        if resolved_on < recorded_on:
            raise ValidationError({"resolved_on": _("解决日期不能早于记录日期。")})
    else:
        resolved_on = None
    _check_dates(recorded_on=(_("日期"), recorded_on), resolved_on=(_("解决日期"), resolved_on))
    return resolved_on


@transaction.atomic
def record_diary_entry(
    *,
    actor,
    community,
    recorded_on,
    category,
    content,
    follow_up="",
    resolved=False,
    resolved_on=None,
):
    """民情日记: the secretary writes for their own community (SPEC §1)."""
    if not own_communities(actor).filter(pk=community.pk).exists():
        raise PermissionDenied
    resolved_on = _diary_fields(recorded_on, category, content, resolved, resolved_on)
    entry = DiaryEntry(
        community=community,
        recorded_on=recorded_on,
        category=category,
        content=content.strip(),
        follow_up=(follow_up or "").strip(),
        resolved=bool(resolved),
        resolved_on=resolved_on,
        author=actor,
    )
    _stamp(entry, actor).save()
    _records_changed(community, recorded_on)
    return entry


@transaction.atomic
def update_diary_entry(
    *,
    actor,
    entry,
    version,
    recorded_on,
    category,
    content,
    follow_up="",
    resolved=False,
    resolved_on=None,
):
    """Only the author edits an entry, at the version they read, and only until it is
    drawn for a 核查 (spot check)."""
    entry = lock_at_version(DiaryEntry, entry.pk, version)
    if entry.author_id != actor.pk:
        raise PermissionDenied
    if entry.spot_check_items.exists():
        # 核查 judges the entry as it was drawn; changing it afterwards would void that.
        raise ValidationError(_("这条民情日记已被抽中核查，内容以抽中时为准，不能再修改。"))
    resolved_on = _diary_fields(recorded_on, category, content, resolved, resolved_on)
    before = (entry.recorded_on, entry.resolved_on)
    entry.recorded_on, entry.category = recorded_on, category
    entry.content, entry.follow_up = content.strip(), (follow_up or "").strip()
    entry.resolved, entry.resolved_on = bool(resolved), resolved_on
    entry.version += 1
    _stamp(entry, actor).save()
    _records_changed(entry.community, *before, recorded_on, resolved_on)
    return entry


@transaction.atomic
def report_grid_event(
    *, actor, community, reported_on, category, description, grid=None, handling_note=""
):
    """网格事件 reported by the community's secretary or a town/county assessor."""
    if not may_keep_grid_events(actor, community):
        raise PermissionDenied
    if reported_on is None:
        raise ValidationError({"reported_on": _("请填写上报日期。")})
    _check_dates(reported_on=(_("上报日期"), reported_on))
    _check_category(category)
    if not (description or "").strip():
        raise ValidationError({"description": _("请填写事件描述。")})
    if grid is not None and not grids_of(community).filter(pk=grid.pk).exists():
        raise ValidationError(
            {
                "grid": _("%(grid)s不是%(community)s的网格。")
                % {"grid": grid.name, "community": community.name}
            }
        )
    event = GridEvent(
        community=community,
        grid=grid,
        reported_on=reported_on,
        category=category,
        description=description.strip(),
        handling_note=(handling_note or "").strip(),
        reported_by=actor,
    )
    _stamp(event, actor).save()
    _records_changed(community, reported_on)
    return event


# Allowed moves: (from, action) → to. Only assessors reopen, with a note (issue 6).
GRID_EVENT_MOVES = {
    (GridEventStatus.REPORTED, "handle"): GridEventStatus.HANDLING,
    (GridEventStatus.REPORTED, "resolve"): GridEventStatus.RESOLVED,
    (GridEventStatus.HANDLING, "resolve"): GridEventStatus.RESOLVED,
    (GridEventStatus.RESOLVED, "reopen"): GridEventStatus.HANDLING,
}
GRID_EVENT_ACTIONS = {
    "handle": gettext_lazy("开始处理"),
    "resolve": gettext_lazy("办结"),
    "reopen": gettext_lazy("重新打开"),
}


def grid_event_actions(user, event):
    """The moves `user` may make on `event` now, as (action, label)."""
    if not may_keep_grid_events(user, event.community):
        return []
    return [
        (action, GRID_EVENT_ACTIONS[action])
        for (source, action) in GRID_EVENT_MOVES
        if source == event.status
        and (action != "reopen" or may_reopen_grid_events(user, event.community))
    ]


@transaction.atomic
def move_grid_event(*, actor, event, version, action, note="", resolved_on=None):
    """已上报 → 处理中 → 已办结 (or straight to 已办结). 办结 needs a date (default today,
    not before the report, not in the future) and records who resolved it (办结人). No
    going back, except a town/county assessor reopening a resolved event with a note: it
    returns to 处理中, no longer counts as resolved, and the note is kept in the handling
    record and the audit trail."""
    event = lock_at_version(GridEvent, event.pk, version)
    community = OrgUnit.objects.get(pk=event.community_id)
    if not may_keep_grid_events(actor, community):
        raise PermissionDenied
    target = GRID_EVENT_MOVES.get((event.status, action))
    if target is None:
        raise ValidationError(
            _("事件当前为“%(status)s”，不能%(action)s。")
            % {
                "status": event.get_status_display(),
                "action": GRID_EVENT_ACTIONS.get(action, action),
            }
        )
    note = (note or "").strip()
    before = event.resolved_on
    if action == "reopen":
        if not may_reopen_grid_events(actor, community):
            raise PermissionDenied
        if not note:
            raise ValidationError({"note": _("重新打开须写明原因。")})
        event.resolved_on, event.resolved_by = None, None
        event._change_reason = note
        note = _("%(day)s 重新打开：%(note)s") % {"day": timezone.localdate(), "note": note}
    elif action == "resolve":
        resolved_on = resolved_on or timezone.localdate()
        if resolved_on < event.reported_on:
            raise ValidationError({"resolved_on": _("办结日期不能早于上报日期。")})
        _check_dates(resolved_on=(_("办结日期"), resolved_on))
        event.resolved_on, event.resolved_by = resolved_on, actor
    if note:
        event.handling_note = f"{event.handling_note}\n{note}".strip()
    event.status = target
    event.version += 1
    _stamp(event, actor).save()
    _records_changed(community, before, event.resolved_on)
    return event
