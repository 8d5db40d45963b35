"""Reads of key tasks (重点工作 / 挂图作战, SPEC §2): statuses on a day, the board and
the 约谈 list. Everything starts from `for_user`, and each read costs a fixed number of
queries whatever the number of tasks and communities."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from assessment.models import Participant, Quarter
from core.views import int_or_none
from evidence.keytasks.status import (
    Completion,
    QuarterSpan,
    Status,
    assignment_status,
    completion,
    days_overdue,
    progress_on,
)
from evidence.models import KeyTask, KeyTaskAssignment, ProgressReport
from indicators.models import EventType
from org.models import OrgUnit, OrgUnitKind

STATUS_LABELS = {
    Status.NOT_STARTED: _("未开始"),
    Status.ON_PLAN: _("按计划"),
    Status.BEHIND: _("滞后"),
    Status.OVERDUE: _("逾期"),
    Status.DONE: _("已完成"),
}
COMPLETION_LABELS = {Completion.ON_TIME: _("按期完成"), Completion.LATE: _("逾期完成")}
# How the board colours each status (classes of static/css/keytasks.css), legend order.
STATUS_STYLES = {
    Status.ON_PLAN: "kt-on-plan",
    Status.NOT_STARTED: "kt-not-started",
    Status.BEHIND: "kt-behind",
    Status.OVERDUE: "kt-overdue",
    Status.DONE: "kt-done",
}


@dataclass(frozen=True)
class AssignmentState:
    """One assignment as it stood on the day `on`."""

    assignment: KeyTaskAssignment
    on: date
    status: Status
    progress: int

    @property
    def completion(self):
        return completion(self.assignment.completed_on, self.assignment.task.deadline)

    @property
    def days_overdue(self):
        return days_overdue(self.assignment.task.deadline, self.on)

    @property
    def css(self):
        return STATUS_STYLES[self.status]

    @property
    def label(self):
        return STATUS_LABELS[self.status]

    @property
    def completion_label(self):
        return COMPLETION_LABELS.get(self.completion, "")


@dataclass(frozen=True)
class AssignmentFilter:
    """A task page's filters over its communities: a town, a status, a search (community
    name). A town outside the user's scope matches nothing (the list is scoped)."""

    town: int | None = None
    status: str = ""
    q: str = ""

    @classmethod
    def from_query(cls, query):
        town = query.get("town", "")
        status = query.get("status", "")
        return cls(
            town=int_or_none(town),
            status=status if status in {s.value for s in Status} else "",
            q=query.get("q", "").strip()[:50],
        )

    def __bool__(self):
        return bool(self.town or self.status or self.q)

    def apply(self, states):
        """The AssignmentStates that pass (their assignments' communities loaded)."""
        return [
            state
            for state in states
            if (not self.town or state.assignment.community.parent_id == self.town)
            and (not self.status or state.status == self.status)
            and (not self.q or self.q in state.assignment.community.name)
        ]


def legend(counts):
    """(label, css class, how many) of every status, in the board's order; `counts` is
    the board's {Status: n}."""
    return [(STATUS_LABELS[status], css, counts[status]) for status, css in STATUS_STYLES.items()]


def quarter_spans(cycle):
    return [
        QuarterSpan(number, starts_on, ends_on)
        for number, starts_on, ends_on in cycle.quarters.order_by("number").values_list(
            "number", "starts_on", "ends_on"
        )
    ]


def histories(assignment_ids):
    """{assignment id: [(reported_on, progress)]} in one query."""
    rows = ProgressReport.objects.filter(assignment_id__in=assignment_ids).values_list(
        "assignment_id", "reported_on", "progress"
    )
    found = defaultdict(list)
    for assignment_id, reported_on, progress in rows:
        found[assignment_id].append((reported_on, progress))
    return found


def states(assignments, on, quarters_by_cycle=None):
    """AssignmentState for each assignment on the day `on` (two queries: quarters of
    their cycles and their reports). Each assignment needs its `task` loaded."""
    assignments = list(assignments)
    if quarters_by_cycle is None:
        cycle_ids = {a.task.cycle_id for a in assignments}
        quarters_by_cycle = defaultdict(list)
        rows = Quarter.objects.filter(cycle_id__in=cycle_ids).values_list(
            "cycle_id", "number", "starts_on", "ends_on"
        )
        for cycle_id, number, starts_on, ends_on in rows:
            quarters_by_cycle[cycle_id].append(QuarterSpan(number, starts_on, ends_on))
    found = histories([a.pk for a in assignments]) if assignments else {}
    result = []
    for assignment in assignments:
        history = found.get(assignment.pk, [])
        status = assignment_status(
            quarters=quarters_by_cycle[assignment.task.cycle_id],
            plans=assignment.plans,
            history=history,
            completed_on=assignment.completed_on,
            deadline=assignment.task.deadline,
            on=on,
        )
        result.append(AssignmentState(assignment, on, status, progress_on(history, on)))
    return result


def visible_assignments(user, cycle):
    return (
        KeyTaskAssignment.objects.for_user(user)
        .filter(task__cycle=cycle)
        .select_related("task", "community__parent")
    )


def visible_tasks(user, cycle, *, manages):
    """The cycle's tasks: all for its managers, else those assigned within the user's
    scope (a secretary: their community's)."""
    tasks = KeyTask.objects.for_user(user).filter(cycle=cycle)
    if manages:
        return tasks
    return tasks.filter(assignments__in=KeyTaskAssignment.objects.for_user(user)).distinct()


def towns(user, cycle):
    """Towns of the cycle's county within the user's scope, for the board's filter."""
    return OrgUnit.objects.for_user(user).filter(
        kind=OrgUnitKind.TOWN, path__startswith=cycle.county.path
    )


def communities(user, cycle):
    """Communities of the cycle's county within the user's scope."""
    return (
        OrgUnit.objects.for_user(user)
        .filter(kind=OrgUnitKind.COMMUNITY, path__startswith=cycle.county.path)
        .select_related("parent")
    )


def event_types(cycle, *, bonus):
    """The cycle's frozen event types that may be raised on completion: bonus types
    (positive points) for on time, deduction types for late."""
    if cycle.frozen_template_id is None:
        return EventType.objects.none()
    types = cycle.frozen_template.event_types.all()
    return types.filter(points__gt=0) if bonus else types.filter(points__lt=0, leaf__isnull=False)


@dataclass(frozen=True)
class Board:
    """挂图作战: communities (rows) × tasks (columns), each cell a state or None."""

    on: date
    tasks: list
    rows: list  # [(community, [AssignmentState | None per task])]
    counts: dict  # {Status: n}


def board(user, cycle, on, town=None):
    """The board on the day `on`, optionally for one town: four queries."""
    assignments = visible_assignments(user, cycle)
    if town is not None:
        assignments = assignments.filter(community__path__startswith=town.path)
    return board_of(cycle, assignments, on)


def county_assignments(cycle):
    """Every assignment of the cycle: what a county-wide document (the quarterly
    bulletin) reports, whoever asks for it."""
    return KeyTaskAssignment.objects.filter(task__cycle=cycle).select_related(
        "task", "community__parent"
    )


def board_of(cycle, assignments, on):
    """The board of these assignments of the cycle on the day `on`."""
    quarters = {cycle.pk: quarter_spans(cycle)}
    cells = states(assignments.order_by("community__path", "task__deadline"), on, quarters)
    tasks = sorted({s.assignment.task for s in cells}, key=lambda t: (t.deadline, t.pk))
    column = {task.pk: i for i, task in enumerate(tasks)}
    rows = {}
    counts = dict.fromkeys(STATUS_STYLES, 0)
    for state in cells:
        community = state.assignment.community
        row = rows.setdefault(community.pk, (community, [None] * len(tasks)))
        row[1][column[state.assignment.task_id]] = state
        counts[state.status] += 1
    return Board(on=on, tasks=tasks, rows=list(rows.values()), counts=counts)


@dataclass(frozen=True)
class SummonsRow:
    """约谈: a community overdue and unfinished on a task, and its secretary."""

    state: AssignmentState
    secretary: object


def summons(user, cycle, on):
    """Overdue, unfinished assignments on the day `on`, most overdue first, each with
    the community's secretary in post on that day (four queries)."""
    return summons_of(cycle, visible_assignments(user, cycle), on)


def summons_of(cycle, assignments, on):
    """约谈 among these assignments of the cycle on the day `on`."""
    overdue = [
        s
        for s in states(
            assignments.filter(
                Q(completed_on__isnull=True) | Q(completed_on__gt=on), task__deadline__lt=on
            ),
            on,
            {cycle.pk: quarter_spans(cycle)},
        )
        if s.status == Status.OVERDUE
    ]
    secretaries = _secretaries_on(cycle, {s.assignment.community_id for s in overdue}, on)
    overdue.sort(key=lambda s: (-s.days_overdue, s.assignment.community.path))
    return [SummonsRow(s, secretaries.get(s.assignment.community_id)) for s in overdue]


def _secretaries_on(cycle, community_ids, on):
    """{community id: the participating secretary in post on `on` (else the one who
    took the post last)}."""
    found = {}
    participants = (
        Participant.objects.filter(cycle=cycle, community_id__in=community_ids)
        .select_related("secretary")
        .order_by("-secretary__tenure_start")
    )
    for participant in participants:
        secretary = participant.secretary
        in_post = secretary.tenure_start <= on and (
            secretary.tenure_end is None or secretary.tenure_end >= on
        )
        if in_post or participant.community_id not in found:
            found[participant.community_id] = secretary
    return found
