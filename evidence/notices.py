"""The evidence app's 通知 (`org.notifications`): an event reported against a secretary,
verified or not accepted; a reform-risk filing decided; and the daily 约谈提醒 for key
tasks newly overdue. Each is about one community's secretary: only they receive it."""

from collections import defaultdict

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from assessment.models import CycleStatus
from evidence.keytasks.selectors import _secretaries_on, states
from evidence.keytasks.status import Status
from evidence.models import EventStatus, FilingStatus, KeyTaskAssignment
from org.notifications.models import NotificationKind as Kind
from org.notifications.services import Notice, in_product_language, notify

# Cycles whose key tasks still call for a talk when overdue.
RUNNING = (CycleStatus.OPEN, CycleStatus.SCORING, CycleStatus.REVIEW)


def _to_secretary(participant, kind, title, url, body):
    secretary = participant.secretary.user_id
    notify(
        [secretary],
        kind,
        title,
        url,
        body=body,
        scope_path=participant.community.path,
        owner=secretary,
    )


@in_product_language
def event_reported(event, actor):
    """Told to the secretary unless they reported it themself (a bonus they claim)."""
    participant = event.participant
    if participant.secretary.user_id in (None, actor.pk):
        return
    _to_secretary(
        participant,
        Kind.EVENT_REPORTED,
        _("有一件事项报告到您名下：%(type)s") % {"type": event.event_type.name},
        reverse("event-detail", args=[event.pk]),
        _("发生日期：%(on)s。%(description)s（事项须经核实后才计分。）")
        % {"on": event.occurred_on.isoformat(), "description": event.description},
    )


@in_product_language
def event_decided(event):
    words = {"type": event.event_type.name, "on": event.occurred_on.isoformat()}
    if event.status == EventStatus.VERIFIED:
        kind = Kind.EVENT_VERIFIED
        title = _("您名下的事项“%(type)s”（%(on)s）已核实") % words
        body = event.verification_note
    else:
        kind = Kind.EVENT_REJECTED
        title = _("您名下的事项“%(type)s”（%(on)s）不予认定") % words
        body = _("理由：%(reason)s") % {"reason": event.verification_note}
    _to_secretary(event.participant, kind, title, reverse("event-detail", args=[event.pk]), body)


@in_product_language
def filing_decided(filing):
    words = {"title": filing.title}
    if filing.status == FilingStatus.APPROVED:
        title = _("您的改革风险备案“%(title)s”已批准") % words
    else:
        title = _("您的改革风险备案“%(title)s”未获批准") % words
    body = (
        _("审批意见：%(reason)s") % {"reason": filing.decision_reason}
        if filing.decision_reason
        else ""
    )
    notify(
        [filing.filed_by_id],
        Kind.FILING_DECIDED,
        title,
        reverse("filing-detail", args=[filing.pk]),
        body=body,
        scope_path=filing.participant.community.path,
        owner=filing.filed_by_id,
    )


@in_product_language
def summons_reminders(today):
    """约谈提醒 (SPEC §2 key tasks: overdue → 约谈): each assignment overdue and not done
    on `today`, told once to the community's secretary (the key names the assignment
    and its deadline, so a deadline moved and missed again is told again)."""
    overdue = [
        state
        for state in states(
            KeyTaskAssignment.objects.filter(
                Q(completed_on__isnull=True) | Q(completed_on__gt=today),
                task__cycle__status__in=RUNNING,
                task__deadline__lt=today,
            ).select_related("task__cycle", "community"),
            today,
        )
        if state.status == Status.OVERDUE
    ]
    by_cycle = defaultdict(list)
    for state in overdue:
        by_cycle[state.assignment.task.cycle].append(state.assignment)
    notices = []
    for cycle, assignments in by_cycle.items():
        secretaries = _secretaries_on(cycle, {a.community_id for a in assignments}, today)
        for assignment in assignments:
            secretary = secretaries.get(assignment.community_id)
            if secretary is None or secretary.user_id is None:
                continue
            task = assignment.task
            notices.append(
                Notice(
                    secretary.user_id,
                    Kind.SUMMONS,
                    _("约谈提醒：重点工作“%(task)s”已逾期") % {"task": task.title},
                    reverse("keytask-detail", args=[task.pk]),
                    _("完成时限为 %(deadline)s，至今未完成，本社区已列入约谈名单。")
                    % {"deadline": task.deadline.isoformat()},
                    scope_path=assignment.community.path,
                    owner=secretary.user_id,
                    key=f"keytask-assignment:{assignment.pk}:{task.deadline.isoformat()}",
                )
            )
    return notices
