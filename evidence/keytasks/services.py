"""Key tasks (重点工作 / 挂图作战, SPEC §2): one function per use case, each in one
transaction, so a refused request changes nothing (SPEC §7).

- The cycle's county managers (`may_manage`) create tasks with a deadline inside the
  cycle's year, optional event types for completion on time (a bonus type) and late (a
  deduction type) from the cycle's frozen template, and assign them to communities
  with a planned cumulative progress per quarter (non-decreasing, 0–100, ending at 100).
- The community's secretary, or a town assessor of its town, reports cumulative
  progress with evidence files. Reaching 100 completes the assignment and raises one
  event of the configured type, 待核实 (so scores change only once it is verified).
- A published or archived cycle refuses every write.
"""

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from assessment.models import CycleStatus, Participant
from assessment.services import _check_writable, may_manage
from core.versioning import lock_at_version
from evidence.attachments.services import check_uploads, store_files
from evidence.keytasks.status import COMPLETE, Completion, completion
from evidence.models import (
    Event,
    EventOrigin,
    EventStatus,
    KeyTask,
    KeyTaskAssignment,
    ProgressReport,
)
from org.models import OrgUnitKind, Secretary
from org.scope import Role, scope_of

QUARTERS = (1, 2, 3, 4)
TASK_FIELDS = ("title", "description", "deadline", "on_time_type", "late_type")


def _stamp(obj, actor):
    obj._history_user = actor
    return obj


def _check_manager(actor, cycle):
    if not may_manage(actor, cycle):
        raise PermissionDenied
    _check_writable(cycle)


def plan_problems(community, plans):
    """Messages naming the community and quarter for every wrong planned figure:
    whole percents 0–100, never lower than the quarter before, 100 by the fourth."""
    problems = []
    previous = 0
    for number, value in zip(QUARTERS, plans, strict=True):
        where = {"community": community.name, "n": number}
        if value is None or not 0 <= value <= COMPLETE:
            problems.append(_("%(community)s 第 %(n)d 季度的计划进度应在 0 至 100 之间。") % where)
            continue
        if value < previous:
            problems.append(
                _(
                    "%(community)s 第 %(n)d 季度的计划进度（%(value)d%%）低于上一季度（%(previous)d%%）。"
                )
                % {**where, "value": value, "previous": previous}
            )
        previous = value
    if plans[-1] is not None and plans[-1] != COMPLETE:
        problems.append(
            _("%(community)s 第 4 季度的计划进度应为 100%%（年内完成）。")
            % {"community": community.name}
        )
    return problems


def _task_problems(cycle, *, title, deadline, on_time_type, late_type):
    errors = {}
    if not (title or "").strip():
        errors["title"] = [_("请填写任务名称。")]
    if deadline is None:
        errors["deadline"] = [_("请填写完成时限。")]
    elif deadline.year != cycle.year:
        errors["deadline"] = [
            _("完成时限应在 %(year)d 年度内（%(year)d-01-01 至 %(year)d-12-31）。")
            % {"year": cycle.year}
        ]
    for field, chosen, bonus in (
        ("on_time_type", on_time_type, True),
        ("late_type", late_type, False),
    ):
        if chosen is None:
            continue
        if cycle.frozen_template_id is None or chosen.template_id != cycle.frozen_template_id:
            errors[field] = [
                _("事项类型“%(name)s”不属于本周期的指标体系。") % {"name": chosen.name}
            ]
        elif bonus and chosen.points <= 0:
            errors[field] = [
                _("按期完成应计入加分类事项，“%(name)s”的分值为 %(points)s。")
                % {"name": chosen.name, "points": chosen.points}
            ]
        elif not bonus and (chosen.points >= 0 or chosen.leaf_id is None):
            errors[field] = [
                _("逾期完成应计入扣分类事项（负分值并计入扣分指标），“%(name)s”不是。")
                % {"name": chosen.name}
            ]
    return errors


def _checked_assignments(cycle, plans_by_community):
    """(community, plans) pairs, every community of the cycle's county and every plan
    checked; one ValidationError listing every problem."""
    problems = []
    if not plans_by_community:
        problems.append(_("请至少选择一个社区。"))
    for community, plans in plans_by_community:
        if community.kind != OrgUnitKind.COMMUNITY or not community.path.startswith(
            cycle.county.path
        ):
            problems.append(_("“%(name)s”不是本县/区的社区。") % {"name": community.name})
            continue
        problems.extend(plan_problems(community, plans))
    return problems


def _assignment(task, community, plans, actor):
    assignment = KeyTaskAssignment(task=task, community=community)
    _set_plans(assignment, plans)
    _stamp(assignment, actor).save()
    return assignment


def _set_plans(assignment, plans):
    for number, value in zip(QUARTERS, plans, strict=True):
        setattr(assignment, f"plan_q{number}", value)


@transaction.atomic
def create_task(
    *,
    actor,
    cycle,
    title,
    deadline,
    assignments,
    description="",
    on_time_type=None,
    late_type=None,
):
    """A key task and its assignments: `assignments` is a list of (community, plans)
    with plans the four planned cumulative percents (SPEC §2 挂图作战)."""
    _check_manager(actor, cycle)
    errors = _task_problems(
        cycle, title=title, deadline=deadline, on_time_type=on_time_type, late_type=late_type
    )
    problems = _checked_assignments(cycle, assignments)
    if problems:
        errors["assignments"] = problems
    if errors:
        raise ValidationError(errors)
    task = KeyTask(
        cycle=cycle,
        title=title.strip(),
        description=description.strip(),
        deadline=deadline,
        on_time_type=on_time_type,
        late_type=late_type,
        created_by=actor,
    )
    _stamp(task, actor).save()
    seen = set()
    for community, plans in assignments:
        if community.pk not in seen:
            seen.add(community.pk)
            _assignment(task, community, plans, actor)
    return task


@transaction.atomic
def update_task(*, actor, task, version, **changes):
    """Title, requirements, deadline and event types. Events already raised keep the
    type they were raised with."""
    task = lock_at_version(KeyTask, task.pk, version)
    _check_manager(actor, task.cycle)
    unknown = set(changes) - set(TASK_FIELDS)
    if unknown:
        raise ValueError(f"Not a key-task field: {sorted(unknown)}")
    values = {field: changes.get(field, getattr(task, field)) for field in TASK_FIELDS}
    errors = _task_problems(
        task.cycle,
        title=values["title"],
        deadline=values["deadline"],
        on_time_type=values["on_time_type"],
        late_type=values["late_type"],
    )
    if errors:
        raise ValidationError(errors)
    for field, value in values.items():
        setattr(task, field, value.strip() if isinstance(value, str) else value)
    task.version += 1
    _stamp(task, actor).save()
    return task


@transaction.atomic
def delete_task(*, actor, task, version):
    """Only a task nobody has reported on yet: reports are a community's record."""
    task = lock_at_version(KeyTask, task.pk, version)
    _check_manager(actor, task.cycle)
    if ProgressReport.objects.filter(assignment__task=task).exists():
        raise ValidationError(_("“%(title)s”已有社区报告进度，不能删除。") % {"title": task.title})
    for assignment in task.assignments.all():
        _stamp(assignment, actor).delete()
    _stamp(task, actor).delete()


@transaction.atomic
def set_plans(*, actor, assignment, version, plans):
    """New planned progress for one community's part of the task."""
    assignment = lock_at_version(KeyTaskAssignment, assignment.pk, version)
    _check_manager(actor, assignment.task.cycle)
    problems = plan_problems(assignment.community, plans)
    if problems:
        raise ValidationError({"plans": problems})
    _set_plans(assignment, plans)
    assignment.version += 1
    _stamp(assignment, actor).save()
    return assignment


@transaction.atomic
def remove_assignment(*, actor, assignment, version):
    """Take a community off the task, as long as it has not reported on it."""
    assignment = lock_at_version(KeyTaskAssignment, assignment.pk, version)
    _check_manager(actor, assignment.task.cycle)
    if assignment.reports.exists():
        raise ValidationError(
            _("%(community)s 已报告过进度，不能移出这项任务。")
            % {"community": assignment.community.name}
        )
    _stamp(assignment, actor).delete()


def reporter_check(user):
    """A test `may report on this assignment?` for many assignments at one query: the
    community's secretary, or a town assessor over its town (SPEC §1)."""
    own = set(Secretary.objects.filter(user=user).values_list("community_id", flat=True))
    scope = scope_of(user)

    def may_report(assignment):
        return assignment.community_id in own or scope.covers_path(
            assignment.community.path, {Role.TOWN_ASSESSOR}
        )

    return may_report


def may_report(user, assignment):
    return reporter_check(user)(assignment)


@dataclass(frozen=True)
class ProgressOutcome:
    report: ProgressReport
    # The event raised by completion, if any; otherwise `notice` may say why none was.
    event: Event | None = None
    notice: str = ""


def _check_report(assignment, progress, reported_on):
    cycle = assignment.task.cycle
    if cycle.status == CycleStatus.DRAFT:
        raise ValidationError(_("考核尚未开始，暂不能报告进度。"))
    errors = {}
    last = assignment.reports.order_by("-reported_on", "-pk").first()
    if assignment.completed_on is not None:
        raise ValidationError(
            _("%(community)s 已于 %(day)s 完成这项任务，无需再报告。")
            % {"community": assignment.community.name, "day": assignment.completed_on}
        )
    if progress is None or not 0 <= progress <= COMPLETE:
        errors["progress"] = [_("累计进度应在 0 至 100 之间。")]
    elif progress < assignment.progress:
        errors["progress"] = [
            _("累计进度不能低于上次报告的 %(previous)d%%。") % {"previous": assignment.progress}
        ]
    if reported_on is None:
        errors["reported_on"] = [_("请填写报告日期。")]
    elif reported_on > timezone.localdate():
        errors["reported_on"] = [_("报告日期不能晚于今天。")]
    elif reported_on.year != cycle.year:
        errors["reported_on"] = [_("报告日期应在 %(year)d 年度内。") % {"year": cycle.year}]
    elif last is not None and reported_on < last.reported_on:
        errors["reported_on"] = [
            _("报告日期不能早于上次报告（%(day)s）。") % {"day": last.reported_on}
        ]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def report_progress(*, actor, assignment, progress, reported_on, note="", uploads=()):
    """A community's cumulative progress on one assignment, with evidence files (all
    stored or none). Reaching 100 completes the assignment on the report's date."""
    assignment = (
        KeyTaskAssignment.objects.select_for_update(of=("self",))
        .select_related("task__cycle__county", "community")
        .get(pk=assignment.pk)
    )
    if not may_report(actor, assignment):
        raise PermissionDenied
    _check_writable(assignment.task.cycle)
    _check_report(assignment, progress, reported_on)
    check_uploads(uploads)
    report = ProgressReport(
        assignment=assignment,
        reported_on=reported_on,
        progress=progress,
        note=note.strip(),
        reported_by=actor,
    )
    _stamp(report, actor).save()
    assignment.progress = progress
    if progress == COMPLETE:
        assignment.completed_on = reported_on
    assignment.version += 1
    _stamp(assignment, actor).save()
    if progress == COMPLETE:
        outcome = _completion_event(actor, assignment, report)
    else:
        outcome = ProgressOutcome(report=report)
    if uploads:
        store_files(
            actor=actor,
            uploads=uploads,
            community=assignment.community,
            progress_report=report,
        )
    return outcome


def participant_on(assignment, day):
    """The community's participant in the task's cycle; with several (the post changed
    hands), the one whose secretary was in post on `day`."""
    candidates = list(
        Participant.objects.filter(
            cycle=assignment.task.cycle_id, community=assignment.community_id
        ).select_related("secretary")
    )
    if len(candidates) <= 1:
        return candidates[0] if candidates else None
    in_post = Q(secretary__tenure_start__lte=day) & (
        Q(secretary__tenure_end__isnull=True) | Q(secretary__tenure_end__gte=day)
    )
    ids = {p.pk for p in candidates}
    return Participant.objects.filter(in_post, pk__in=ids).select_related("secretary").first()


def _completion_event(actor, assignment, report):
    """One event per assignment (idempotent on `Event.key_task`), 待核实: 按期 → the
    task's on-time type, 逾期 → its late type; none configured → no event."""
    task = assignment.task
    if Event.objects.filter(key_task=assignment).exists():
        return ProgressOutcome(report=report)
    late = completion(assignment.completed_on, task.deadline) == Completion.LATE
    event_type = task.late_type if late else task.on_time_type
    if event_type is None:
        return ProgressOutcome(report=report)
    participant = participant_on(assignment, assignment.completed_on)
    if participant is None:
        return ProgressOutcome(
            report=report,
            notice=_("%(community)s 在本周期没有参评书记，未生成“%(type)s”事项。")
            % {"community": assignment.community.name, "type": event_type.name},
        )
    when = _("逾期完成") if late else _("按期完成")
    event = Event(
        participant=participant,
        event_type=event_type,
        occurred_on=assignment.completed_on,
        description=_("重点工作“%(title)s”于 %(day)s %(when)s（完成时限 %(deadline)s）。")
        % {
            "title": task.title,
            "day": assignment.completed_on,
            "when": when,
            "deadline": task.deadline,
        },
        origin=EventOrigin.KEY_TASK,
        status=EventStatus.REPORTED,
        reported_by=actor,
        key_task=assignment,
    )
    _stamp(event, actor).save()
    return ProgressOutcome(report=report, event=event)


def default_report_day(cycle, today=None):
    """The date a new report is made on: today, or the cycle's last day for a past year."""
    today = today or timezone.localdate()
    return min(today, date(cycle.year, 12, 31))
