"""Rectification lists (整改清单, SPEC §2; issue 6): problems found in feedback, each with
an owner (责任人), a deadline and a status 待整改 → 整改中 → 已销号; evidence of closure;
open items carried over into the county's next cycle.

Decisions, for every caller (browser and API alike):
- Rectification is feedback after the results and not a scoring input, so items may be
  created and worked on in a published cycle too; only an archived cycle (stored away)
  refuses changes. No write here marks the cycle's scoring inputs changed.
- Who: county admins/assessors of the cycle (`may_manage`) and town assessors for the
  communities of their town handle items (create, edit, close); the community's own
  secretary records progress; only a county admin/assessor reopens a closed item.
- A deadline is set no earlier than today and at most `MAX_DEADLINE_DAYS` ahead; an
  unchanged deadline of an overdue item may stay as it is.
- Closing (销号) needs a closure note and at least one evidence file: uploaded with the
  closure, or attached earlier while the item was worked on. One rule, checked here.
- An item carried into a newer cycle is handled there: the original keeps its status
  and refuses further changes, and points to its copy (`carried_to`).
"""

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assessment.models import Cycle, CycleStatus, Participant
from assessment.services import may_manage, on_transition
from core.versioning import lock_at_version
from evidence.attachments.services import check_uploads, store_files
from evidence.models import (
    Event,
    EventStatus,
    RectificationItem,
    RectificationSource,
    RectificationStatus,
)
from evidence.rectification.selectors import suggested_events
from org.models import OrgUnitKind, Secretary
from org.scope import Role, scope_of

# A deduction event's item is due this many days after it is generated.
EVENT_DEADLINE_DAYS = 30
# A carried-over item whose deadline has passed is due this many days after carrying.
CARRIED_DEADLINE_DAYS = 30
# Beyond two years a deadline is not a plan but a typing error.
MAX_DEADLINE_DAYS = 730
# Sources a person picks; 上期结转 is only ever set by carrying over.
CHOSEN_SOURCES = tuple(s for s in RectificationSource if s != RectificationSource.CARRIED)


def _stamp(obj, actor, reason=""):
    obj._history_user = actor
    if reason:
        obj._change_reason = reason
    return obj


def handles(user, cycle, community):
    """County admin/assessor of the cycle, or a town assessor over the community."""
    return may_manage(user, cycle) or scope_of(user).covers_path(
        community.path, {Role.TOWN_ASSESSOR}
    )


def handles_in(user, cycle):
    """Handles items of some community of the cycle's county."""
    county_path = cycle.county.path
    return may_manage(user, cycle) or any(
        p.startswith(county_path) for p in scope_of(user).paths({Role.TOWN_ASSESSOR})
    )


def is_community_secretary(user, community):
    return scope_of(user).covers_path(community.path, {Role.SECRETARY})


def _check_writable(cycle):
    if cycle.status == CycleStatus.ARCHIVED:
        raise ValidationError(
            _("考核周期“%(name)s”已归档，其整改清单不能再修改。") % {"name": cycle.name}
        )


def _check_not_carried(item):
    carried = RectificationItem.objects.filter(carried_from=item).select_related("cycle").first()
    if carried is not None:
        raise ValidationError(
            _("该整改事项已结转至“%(cycle)s”，请在新周期中继续办理。")
            % {"cycle": carried.cycle.name}
        )


def _check_deadline(deadline, *, previous=None):
    if deadline is None:
        raise ValidationError({"deadline": _("请填写整改时限。")})
    if deadline == previous:
        return
    today = timezone.localdate()
    if deadline < today:
        raise ValidationError(
            {"deadline": _("整改时限 %(d)s 早于今天，请重新填写。") % {"d": deadline.isoformat()}}
        )
    if deadline > today + timedelta(days=MAX_DEADLINE_DAYS):
        raise ValidationError(
            {
                "deadline": _("整改时限 %(d)s 超过两年，请核对后重新填写。")
                % {"d": deadline.isoformat()}
            }
        )


def _locked_item(item, version):
    item = lock_at_version(RectificationItem, item.pk, version)
    _check_writable(item.cycle)
    _check_not_carried(item)
    return item


def current_secretary_name(community):
    """The 责任人 proposed for a community: its secretary in post today, if any."""
    secretary = (
        Secretary.objects.current().filter(community=community).order_by("-tenure_start").first()
    )
    return secretary.name if secretary else ""


def community_participants(cycle):
    """{community id: participant} of the cycle; where a community's secretary changed
    during the year, the one who took office last."""
    return {
        p.community_id: p
        for p in Participant.objects.filter(cycle=cycle)
        .select_related("secretary")
        .order_by("secretary__tenure_start", "pk")
    }


def _linked_participant(cycle, community, participant, event, appeal):
    """The participant the item is about: given, or the one of the linked event/appeal,
    or else the community's participant in the cycle (if any); everything must agree
    on the cycle and the community."""
    for linked, label in ((event, _("扣分事项")), (appeal, _("申诉"))):
        if linked is None:
            continue
        if participant is None:
            participant = linked.participant
        if linked.participant_id != participant.pk:
            raise ValidationError(
                _("所选%(what)s不是该社区书记本周期的%(what)s。") % {"what": label}
            )
    if participant is not None and (
        participant.cycle_id != cycle.pk or participant.community_id != community.pk
    ):
        raise ValidationError(
            {"participant": _("%(who)s 不是本周期该社区的参评书记。") % {"who": participant}}
        )
    if participant is None:
        participant = community_participants(cycle).get(community.pk)
    return participant


def _check_community(cycle, community):
    if community.kind != OrgUnitKind.COMMUNITY or not community.path.startswith(cycle.county.path):
        raise ValidationError(
            {"community": _("“%(name)s”不是本县/区的社区。") % {"name": community.name}}
        )


def _text(value, field, message):
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: message})
    return value


@transaction.atomic
def create_item(
    *,
    actor,
    cycle,
    community,
    source,
    problem,
    deadline,
    measures="",
    owner="",
    participant=None,
    event=None,
    appeal=None,
):
    """A new 待整改 item for a community of the cycle (optionally about its participant,
    a deduction event or an appeal of that participant). The owner defaults to the
    community's secretary. One item per event: a second is refused."""
    cycle = Cycle.objects.select_for_update(of=("self",)).select_related("county").get(pk=cycle.pk)
    if not handles(actor, cycle, community):
        raise PermissionDenied
    _check_writable(cycle)
    _check_community(cycle, community)
    if source not in CHOSEN_SOURCES:
        raise ValidationError({"source": _("请选择问题来源。")})
    participant = _linked_participant(cycle, community, participant, event, appeal)
    if event is not None:
        event = (
            Event.objects.select_for_update(of=("self",))
            .select_related("event_type")
            .get(pk=event.pk)
        )
        if not _is_deduction(event):
            raise ValidationError(
                {"event": _("只有已核实、未免责的扣分或一票否决事项才生成整改事项。")}
            )
        if event.rectifications.exists():
            raise ValidationError({"event": _("该扣分事项已生成整改事项，不再重复生成。")})
    _check_deadline(deadline)
    owner = (owner or "").strip() or current_secretary_name(community)
    item = RectificationItem(
        cycle=cycle,
        community=community,
        participant=participant,
        source=source,
        event=event,
        appeal=appeal,
        problem=_text(problem, "problem", _("请写明存在的问题。")),
        measures=(measures or "").strip(),
        owner=_text(owner, "owner", _("请填写责任人。")),
        deadline=deadline,
        created_by=actor,
    )
    _stamp(item, actor).full_clean()
    item.save()
    return item


def event_problem(event):
    return f"{event.event_type.name}：{event.description.strip()}"


@transaction.atomic
def create_from_event(*, actor, event):
    """建议整改 → one click: the item for a verified deduction event, prefilled (problem
    from its type and description, due in 30 days, source 扣分事项)."""
    event = (
        Event.objects.select_related("participant__cycle__county", "participant__secretary")
        .select_related("participant__community", "event_type")
        .get(pk=event.pk)
    )
    participant = event.participant
    return create_item(
        actor=actor,
        cycle=participant.cycle,
        community=participant.community,
        participant=participant,
        source=RectificationSource.EVENT,
        event=event,
        problem=event_problem(event),
        owner=participant.secretary.name,
        deadline=timezone.localdate() + timedelta(days=EVENT_DEADLINE_DAYS),
    )


def _is_deduction(event):
    """A verified, non-exempt event of a deduction (negative points) or veto type: the
    same rule as `selectors.suggested_events`."""
    kind = event.event_type
    return (
        event.status == EventStatus.VERIFIED
        and not event.exempt
        and (kind.points < 0 or kind.is_veto)
    )


@transaction.atomic
def create_from_events(*, actor, cycle):
    """全部生成: an item for every suggested event the actor handles (idempotent: events
    that already have one are skipped). Returns the new items."""

    cycle = Cycle.objects.select_for_update(of=("self",)).select_related("county").get(pk=cycle.pk)
    if not handles_in(actor, cycle):
        raise PermissionDenied
    _check_writable(cycle)
    return [
        create_from_event(actor=actor, event=e)
        for e in suggested_events(actor, cycle)
        if handles(actor, cycle, e.participant.community)
    ]


@transaction.atomic
def update_item(*, actor, item, version, **changes):
    """Edit problem, measures, owner or deadline of an item not yet closed."""
    item = _locked_item(item, version)
    if not handles(actor, item.cycle, item.community):
        raise PermissionDenied
    if item.status == RectificationStatus.CLOSED:
        raise ValidationError(_("已销号的整改事项不能修改，如需继续整改请先重新打开。"))
    if "deadline" in changes:
        _check_deadline(changes["deadline"], previous=item.deadline)
        item.deadline = changes["deadline"]
    if "problem" in changes:
        item.problem = _text(changes["problem"], "problem", _("请写明存在的问题。"))
    if "owner" in changes:
        # As when creating (and as the form says): blank → the community's secretary.
        owner = (changes["owner"] or "").strip() or current_secretary_name(item.community)
        item.owner = _text(owner, "owner", _("请填写责任人。"))
    if "measures" in changes:
        item.measures = (changes["measures"] or "").strip()
    item.version += 1
    _stamp(item, actor).full_clean()
    item.save()
    return item


@transaction.atomic
def record_progress(*, actor, item, version, measures, uploads=()):
    """整改中: the community's secretary or its staff write the measures taken so far
    (and may add evidence files, all or none); a 待整改 item becomes 整改中."""
    item = _locked_item(item, version)
    if not (
        handles(actor, item.cycle, item.community) or is_community_secretary(actor, item.community)
    ):
        raise PermissionDenied
    if item.status == RectificationStatus.CLOSED:
        raise ValidationError(_("该整改事项已销号，如需继续整改请联系县委组织部重新打开。"))
    item.measures = _text(measures, "measures", _("请写明已采取的整改措施和进展。"))
    if uploads:
        check_uploads(uploads)
    item.status = RectificationStatus.IN_PROGRESS
    item.version += 1
    _stamp(item, actor, _("记录整改进展")).save()
    if uploads:
        _store(actor, item, uploads)
    return item


def _store(actor, item, uploads):
    return store_files(
        actor=actor,
        uploads=uploads,
        community=item.community,
        participant=item.participant,
        rectification=item,
    )


@transaction.atomic
def close_item(*, actor, item, version, closure_note, uploads=()):
    """已销号: by staff of the item's scope (county or town), with a closure note and at
    least one evidence file (new `uploads` or files already attached). A bad file
    refuses the closure and nothing is stored."""
    item = _locked_item(item, version)
    if not handles(actor, item.cycle, item.community):
        raise PermissionDenied
    if item.status == RectificationStatus.CLOSED:
        raise ValidationError(_("该整改事项已经销号。"))
    note = _text(closure_note, "closure_note", _("请写明整改结果（销号说明）。"))
    if uploads:
        check_uploads(uploads)
    elif not item.attachments.exists():
        raise ValidationError({"files": _("销号需要上传整改佐证材料。")})
    item.status = RectificationStatus.CLOSED
    item.closure_note = note
    item.closed_by = actor
    item.closed_at = timezone.now()
    item.version += 1
    _stamp(item, actor, _("销号")).save()
    if uploads:
        _store(actor, item, uploads)
    return item


@transaction.atomic
def reopen_item(*, actor, item, version, reason):
    """A county admin/assessor reopens a closed item with a reason (kept in the audit
    trail); it is 整改中 again and its evidence stays."""
    item = _locked_item(item, version)
    if not may_manage(actor, item.cycle):
        raise PermissionDenied
    if item.status != RectificationStatus.CLOSED:
        raise ValidationError(_("只有已销号的整改事项可以重新打开。"))
    reason = _text(reason, "reason", _("请写明重新打开的理由。"))
    item.status = RectificationStatus.IN_PROGRESS
    item.closure_note = ""
    item.closed_by = None
    item.closed_at = None
    item.version += 1
    _stamp(item, actor, _("重新打开：%(reason)s") % {"reason": reason}).save()
    return item


def _carry(actor, cycle):
    """Copy every unresolved, not yet carried item of the county's earlier cycles into
    `cycle`: a fixed number of queries plus one insert per copy."""
    originals = list(
        RectificationItem.objects.unresolved()
        .filter(
            cycle__county=cycle.county_id,
            cycle__year__lt=cycle.year,
            carried_to__isnull=True,
        )
        .select_for_update(of=("self",))
        .order_by("cycle__year", "pk")
    )
    participants = community_participants(cycle)
    today = timezone.localdate()
    copies = []
    for original in originals:
        deadline, reason = original.deadline, _("上期结转")
        if deadline < today:
            # Last year's deadline has passed: the item would arrive already overdue.
            # It gets a new one in the new cycle, which its handler may change.
            deadline = today + timedelta(days=CARRIED_DEADLINE_DAYS)
            reason = _("上期结转：原整改时限 %(old)s 已过，顺延至 %(new)s") % {
                "old": original.deadline.isoformat(),
                "new": deadline.isoformat(),
            }
        copy = RectificationItem(
            cycle=cycle,
            community_id=original.community_id,
            participant=participants.get(original.community_id),
            source=RectificationSource.CARRIED,
            carried_from=original,
            problem=original.problem,
            measures=original.measures,
            owner=original.owner,
            deadline=deadline,
            status=original.status,
            created_by=actor,
        )
        _stamp(copy, actor, reason).save()
        copies.append(copy)
    return copies


@transaction.atomic
def carry_over(*, actor, cycle):
    """结转上期未完成整改, on demand (county admin/assessor): idempotent, an item already
    carried is never carried again (`carried_from` is one-to-one). Returns the copies."""
    cycle = Cycle.objects.select_for_update(of=("self",)).select_related("county").get(pk=cycle.pk)
    if not may_manage(actor, cycle):
        raise PermissionDenied
    _check_writable(cycle)
    return _carry(actor, cycle)


@on_transition
def carry_over_on_open(cycle, name, actor):
    """Cycle transition listener: opening a cycle brings the county's open items in."""
    if name == "open":
        _carry(actor, cycle)
