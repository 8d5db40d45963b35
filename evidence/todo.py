"""The evidence app's lines of the home page's 待办 (`core.todo`): for a secretary, the
民情直报 button and their community's open 整改 items; for staff, events 待核实 they may
decide, filings 待审批, key tasks behind or overdue (约谈), 整改 items overdue."""

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from assessment.models import Cycle, CycleStatus
from assessment.services import may_manage
from core.todo import Todo
from evidence.keytasks import selectors as keytasks
from evidence.models import Event, EventStatus, FilingStatus, ReformFiling
from evidence.rectification import selectors as rectification
from org.scope import Role, scope_of

ACTIVE = (CycleStatus.OPEN, CycleStatus.SCORING, CycleStatus.REVIEW)
DECIDERS = (Role.ADMIN, Role.COUNTY_ASSESSOR, Role.TOWN_ASSESSOR)
STAFF = (*DECIDERS, Role.OBSERVER)


def evidence_todos(user):
    scope = scope_of(user)
    lines = []
    if scope.has_role(Role.SECRETARY):
        lines.append(
            Todo(
                label=_("民情直报：记民情日记、报网格事件"),
                url=reverse("records-home"),
                big=True,
            )
        )
    staff = scope.is_global or any(scope.has_role(role) for role in STAFF)
    cycles = Cycle.objects.for_user(user, STAFF if staff else tuple(Role)).select_related("county")
    for cycle in cycles.filter(status__in=ACTIVE).order_by("-year", "name"):
        if staff:
            lines.extend(_staff_lines(user, scope, cycle))
        else:
            lines.extend(_rectification_line(user, cycle, own=True))
    return lines


def _staff_lines(user, scope, cycle):
    lines = []
    if scope.is_global or any(scope.has_role(role) for role in DECIDERS):
        pending = Event.objects.filter(participant__cycle=cycle, status=EventStatus.REPORTED)
        if not scope.is_global:
            # Only the events this user may decide: where they hold a deciding role.
            pending = pending.filter(scope.path_q("participant__community__path", DECIDERS))
        pending = pending.exclude(reported_by=user).count()  # four eyes
        if pending:
            lines.append(
                Todo(
                    label=_("待核实的事项"),
                    url=reverse("event-list", args=[cycle.pk]) + "?status=reported",
                    count=pending,
                    detail=cycle.name,
                    tone="warning",
                )
            )
    if may_manage(user, cycle):
        filings = ReformFiling.objects.filter(
            participant__cycle=cycle, status=FilingStatus.PENDING
        ).count()
        if filings:
            lines.append(
                Todo(
                    label=_("待审批的改革风险备案"),
                    url=reverse("filing-list", args=[cycle.pk]),
                    count=filings,
                    detail=cycle.name,
                    tone="warning",
                )
            )
    today = timezone.localdate()
    summons = keytasks.summons(user, cycle, today)
    if summons:
        lines.append(
            Todo(
                label=_("重点工作逾期未完成（约谈名单）"),
                url=reverse("keytask-summons", args=[cycle.pk]),
                count=len(summons),
                detail=cycle.name,
                tone="danger",
            )
        )
    lines.extend(_rectification_line(user, cycle, own=False))
    return lines


def _rectification_line(user, cycle, *, own):
    counts = rectification.status_counts(user, cycle)
    overdue = counts.get("overdue") or 0
    open_items = sum(counts.get(status) or 0 for status in ("open", "in_progress"))
    if own and open_items:
        return [
            Todo(
                label=_("本社区的整改事项"),
                url=reverse("rectification-list", args=[cycle.pk]),
                count=open_items,
                detail=_("其中逾期 %(n)d 项") % {"n": overdue} if overdue else cycle.name,
                tone="danger" if overdue else "warning",
                big=True,
            )
        ]
    if not own and overdue:
        return [
            Todo(
                label=_("逾期未销号的整改事项"),
                url=reverse("rectification-list", args=[cycle.pk]),
                count=overdue,
                detail=cycle.name,
                tone="danger",
            )
        ]
    return []
