"""Events (事项) and reform-risk filings (改革风险备案): report, verify, exempt (SPEC §2,
§3.1, §3.3; issue 6).

Who may do what:
- Report an event: county assessors and admins of the cycle's county, and town assessors
  over the participant's community, for any type of the cycle's frozen template; the
  participant's own secretary only bonus types (加分, points > 0) and only with proof.
- Verify (已核实) or reject (不予认定, with a reason): county assessors for any event of
  the county, town assessors for the events of their town. Nobody decides an event they
  reported themselves (four-eyes): one person must not both allege and confirm a
  deduction. This holds for county assessors too; another assessor or an admin decides.
- Reopen a decided event (back to 待核实, with a reason): county assessors only, so a
  mistaken decision can be corrected before publication; the audit trail keeps both.
- Exempt (免责) and revoke an exemption, with a reason: county assessors only, and only
  for an event linked to an approved filing of the same participant.
- Reform-risk filings themselves: `evidence.filings.services`.
- Edit or withdraw a pending event: its reporter; an event raised by a key task's
  completion is only verified or rejected (else a late completion could be withdrawn
  by the one who reported it).

A published or archived cycle refuses every write. Every change is audited; a change
that alters what counts (a verified event, or one becoming verified) marks the cycle's
scoring inputs changed in the same transaction.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assessment.models import CycleStatus, Participant
from assessment.services import mark_inputs_changed, may_manage
from core.versioning import StaleVersion
from evidence import notices
from evidence.attachments.services import check_uploads, delete_stored, store_files
from evidence.models import (
    Event,
    EventOrigin,
    EventStatus,
    FilingOrigin,
    FilingStatus,
    KeyTask,
    ReformFiling,
)
from org.scope import Role, scope_of

DECIDED = frozenset({EventStatus.VERIFIED, EventStatus.REJECTED})


def _stamp(obj, actor, reason=None):
    obj._history_user = actor
    if reason:
        obj._change_reason = reason
    return obj


# ---------------------------------------------------------------- who may (for pages too)


def is_town_assessor_of(user, participant):
    return scope_of(user).covers_path(participant.community.path, {Role.TOWN_ASSESSOR})


def is_own_secretary(user, participant):
    return participant.secretary.user_id == user.pk


def reports_any_type(user, participant):
    """County managers and the participant's town assessors report every type."""
    return may_manage(user, participant.cycle) or is_town_assessor_of(user, participant)


def may_report(user, participant, event_type=None):
    if reports_any_type(user, participant):
        return True
    return is_own_secretary(user, participant) and (event_type is None or event_type.points > 0)


def raised_by_the_system(cycle):
    """Ids of the event types the product raises by itself — a key task's 按期完成 or
    逾期 type: a secretary claiming one would count it twice. One query."""
    ids = set()
    for pair in KeyTask.objects.filter(cycle=cycle).values_list("on_time_type_id", "late_type_id"):
        ids.update(pk for pk in pair if pk is not None)
    return ids


def _check_not_raised_by_the_system(cycle, event_type):
    if event_type.pk in raised_by_the_system(cycle):
        raise ValidationError(
            {
                "event_type": _(
                    "“%(type)s”由系统在重点工作按期完成时自动计入，无需本人申报（申报会重复计分）。"
                )
                % {"type": event_type.name}
            }
        )


def may_decide(user, event):
    """Verify or reject: the county or the participant's town, never the reporter."""
    return event.reported_by_id != user.pk and reports_any_type(user, event.participant)


def may_edit(user, event):
    """The reporter, while pending; an event raised by a key task's completion is the
    record's, not the person's who reported the progress: it is only decided."""
    return (
        event.status == EventStatus.REPORTED
        and event.reported_by_id == user.pk
        and event.origin != EventOrigin.KEY_TASK
    )


# ---------------------------------------------------------------------------- checks


def _check_writable(cycle):
    if cycle.is_locked:
        raise ValidationError(
            _("考核周期“%(name)s”%(status)s，事项不能再修改；如需更正请走复核程序。")
            % {"name": cycle.name, "status": cycle.get_status_display()}
        )


def _check_reporting_open(cycle):
    _check_writable(cycle)
    if cycle.status == CycleStatus.DRAFT:
        raise ValidationError(_("考核周期尚未开始，不能报告事项。"))


def _check_type(cycle, event_type):
    if event_type is None or event_type.template_id != cycle.frozen_template_id:
        raise ValidationError({"event_type": _("请选择本周期指标体系中的事项类型。")})


def _check_date(cycle, occurred_on):
    if occurred_on is None:
        raise ValidationError({"occurred_on": _("请填写事项的发生日期。")})
    bounds = [(q.starts_on, q.ends_on) for q in cycle.quarters.all()]
    first = min((s for s, _e in bounds), default=None)
    last = max((e for _s, e in bounds), default=None)
    if first is None or not first <= occurred_on <= last:
        raise ValidationError(
            {
                "occurred_on": _("发生日期 %(on)s 不在本考核周期（%(first)s 至 %(last)s）内。")
                % {"on": occurred_on, "first": first, "last": last}
            }
        )
    if occurred_on > timezone.localdate():
        raise ValidationError(
            {"occurred_on": _("发生日期 %(on)s 晚于今天，请核对。") % {"on": occurred_on}}
        )


def _check_filing(participant, filing, occurred_on, event=None):
    """An event rests on a filing only if it is the participant's own, approved, and was
    filed before the event happened: 改革风险备案 is made in advance (SPEC §2 容错免责),
    so an event dated before the filing date is refused (the same day is allowed).

    A filing an Excel import made stands for the exemptions the county's workbook
    records; the file carries no filing date, so such a filing covers imported events
    only, and for them the date is not checked."""
    if filing is None:
        return
    if filing.participant_id != participant.pk:
        raise ValidationError({"filing": _("只能关联该书记本人本周期的改革风险备案。")})
    if filing.status != FilingStatus.APPROVED:
        raise ValidationError(
            {"filing": _("改革风险备案“%(title)s”尚未批准，不能关联。") % {"title": filing.title}}
        )
    if filing.origin == FilingOrigin.IMPORTED:
        if event is None or event.origin != EventOrigin.IMPORTED:
            raise ValidationError(
                {
                    "filing": _(
                        "“%(title)s”是 Excel 导入时为文件中的免责事项建立的，"
                        "只对应导入的事项；其他事项请关联事前提交并经批准的备案。"
                    )
                    % {"title": filing.title}
                }
            )
        return
    filed_on = timezone.localdate(filing.filed_at)
    if occurred_on is not None and occurred_on < filed_on:
        raise ValidationError(
            {
                "filing": _(
                    "事项发生于 %(on)s，早于改革风险备案“%(title)s”的备案日期 %(filed)s。"
                    "备案须在事前，事后备案不能关联，也不能据此免责。"
                )
                % {
                    "on": occurred_on.isoformat(),
                    "title": filing.title,
                    "filed": filed_on.isoformat(),
                }
            }
        )


def _reason(text, field, message):
    text = (text or "").strip()
    if not text:
        raise ValidationError({field: message})
    return text


def _locked_event(event, version):
    """The event locked at the caller's version, with what the rules read."""
    current = (
        Event.objects.select_for_update(of=("self",))
        .select_related("participant__cycle__county", "participant__community", "filing")
        .filter(pk=event.pk)
        .first()
    )
    if current is None:
        raise ValidationError(_("该事项已被撤回。"))
    if version is None:
        raise ValidationError(_("缺少版本号，无法确认您修改的是最新内容，请刷新后重试。"))
    if current.version != version:
        raise StaleVersion(current)
    _check_writable(current.participant.cycle)
    return current


def _save(event, actor, reason, *, was_counted_before):
    event.version += 1
    _stamp(event, actor, reason).save()
    if was_counted_before or event.status == EventStatus.VERIFIED:
        mark_inputs_changed(event.participant.cycle, participants=[event.participant_id])
    return event


# ---------------------------------------------------------------------------- events


@transaction.atomic
def report_event(
    *, actor, participant, event_type, occurred_on, description, uploads=(), filing=None
):
    """A new event, 待核实, with its proof files: the event and every file are stored
    together or not at all (SPEC §7). A pending event changes no score."""
    participant = (
        Participant.objects.select_for_update(of=("self",))
        .select_related("cycle__county", "community", "secretary")
        .get(pk=participant.pk)
    )
    cycle = participant.cycle
    if not may_report(actor, participant):
        raise PermissionDenied
    _check_reporting_open(cycle)
    _check_type(cycle, event_type)
    if not may_report(actor, participant, event_type):
        raise ValidationError(
            {"event_type": _("书记本人只能报告加分类事项（如表彰），扣分和否决事项由考核员报告。")}
        )
    own_report = not reports_any_type(actor, participant)
    if own_report:
        _check_not_raised_by_the_system(cycle, event_type)
    if own_report and not uploads:
        raise ValidationError({"files": _("报告加分事项须上传表彰文件等证明材料。")})
    _check_date(cycle, occurred_on)
    description = _reason(description, "description", _("请写明事项的具体情况。"))
    _check_filing(participant, filing, occurred_on)
    if uploads:
        check_uploads(uploads)
    event = Event(
        participant=participant,
        event_type=event_type,
        occurred_on=occurred_on,
        description=description,
        reported_by=actor,
        filing=filing,
    )
    _stamp(event, actor).save()
    if uploads:
        store_files(actor=actor, uploads=uploads, participant=participant, event=event)
    notices.event_reported(event, actor)
    return event


@transaction.atomic
def edit_event(
    *, actor, event, version, event_type, occurred_on, description, uploads=(), filing=None
):
    """The reporter corrects a pending event and may add proof files."""
    event = _locked_event(event, version)
    participant = event.participant
    if not may_edit(actor, event):
        raise ValidationError(_("只有报告人可以修改待核实的事项。"))
    _check_type(participant.cycle, event_type)
    if not may_report(actor, participant, event_type):
        raise ValidationError(
            {"event_type": _("书记本人只能报告加分类事项（如表彰），扣分和否决事项由考核员报告。")}
        )
    if not reports_any_type(actor, participant):
        _check_not_raised_by_the_system(participant.cycle, event_type)
    _check_date(participant.cycle, occurred_on)
    event.description = _reason(description, "description", _("请写明事项的具体情况。"))
    _check_filing(participant, filing, occurred_on, event)
    if uploads:
        check_uploads(uploads)
    event.event_type, event.occurred_on, event.filing = event_type, occurred_on, filing
    _save(event, actor, _("修改"), was_counted_before=False)
    if uploads:
        store_files(actor=actor, uploads=uploads, participant=participant, event=event)
    return event


@transaction.atomic
def withdraw_event(*, actor, event, version):
    """The reporter takes a pending event back, with its files (audited)."""
    event = _locked_event(event, version)
    if not may_edit(actor, event):
        raise ValidationError(_("只有报告人可以撤回待核实的事项。"))
    for attachment in event.attachments.all():
        delete_stored(actor=actor, attachment=attachment)
    _stamp(event, actor, _("撤回")).delete()


def _apply_decision(actor, event, status, note):
    if not may_decide(actor, event):
        if event.reported_by_id == actor.pk and reports_any_type(actor, event.participant):
            raise ValidationError(_("不能核实本人报告的事项，请由其他考核员核实。"))
        raise PermissionDenied
    if event.status != EventStatus.REPORTED:
        raise ValidationError(
            _("该事项当前为“%(status)s”，只有待核实的事项可以核实或不予认定。")
            % {"status": event.get_status_display()}
        )
    if status == EventStatus.REJECTED:
        note = _reason(note, "reason", _("不予认定须写明理由。"))
    event.status = status
    event.verified_by = actor
    event.verified_at = timezone.now()
    event.verification_note = (note or "").strip()
    label = _("核实") if status == EventStatus.VERIFIED else _("不予认定")
    _save(event, actor, label, was_counted_before=False)
    notices.event_decided(event)
    return event


@transaction.atomic
def verify_event(*, actor, event, version, note=""):
    """待核实 → 已核实: from now on the event counts (SPEC §2)."""
    return _apply_decision(actor, _locked_event(event, version), EventStatus.VERIFIED, note)


@transaction.atomic
def reject_event(*, actor, event, version, reason):
    """待核实 → 不予认定, with the reason."""
    return _apply_decision(actor, _locked_event(event, version), EventStatus.REJECTED, reason)


@transaction.atomic
def bulk_decide(*, actor, event_ids, verify, reason=""):
    """One decision for many pending events, all or none: if any event may not take it,
    nothing changes and each refusal is named (SPEC §7)."""
    status = EventStatus.VERIFIED if verify else EventStatus.REJECTED
    ids = sorted({int(pk) for pk in event_ids})
    if not ids:
        raise ValidationError(_("请先勾选要处理的事项。"))
    if not verify and not (reason or "").strip():
        raise ValidationError({"reason": _("不予认定须写明理由。")})
    found = {
        e.pk: e
        for e in Event.objects.for_user(actor)
        .select_for_update(of=("self",))
        .select_related(
            "participant__cycle__county",
            "participant__community",
            "participant__secretary",
            "event_type",
        )
        .filter(pk__in=ids)
    }
    problems, decided = [], []
    for pk in ids:
        event = found.get(pk)
        if event is None:
            problems.append(_("事项 #%(id)d 不存在或不在您的管理范围内。") % {"id": pk})
            continue
        try:
            _check_writable(event.participant.cycle)
            with transaction.atomic():
                decided.append(_apply_decision(actor, event, status, reason))
        except (ValidationError, PermissionDenied) as exc:
            why = exc.messages if isinstance(exc, ValidationError) else [_("您无权处理该事项。")]
            problems.append(
                _("事项 #%(id)d（%(who)s，%(type)s，%(on)s）：%(why)s")
                % {
                    "id": pk,
                    "who": event.participant.secretary.name,
                    "type": event.event_type.name,
                    "on": event.occurred_on,
                    "why": " ".join(why),
                }
            )
    if problems:
        raise ValidationError(problems)
    return decided


@transaction.atomic
def reopen_event(*, actor, event, version, reason):
    """已核实 / 不予认定 → 待核实, by a county assessor with a reason (a decision made in
    error); the earlier decision stays in the audit trail."""
    event = _locked_event(event, version)
    if not may_manage(actor, event.participant.cycle):
        raise PermissionDenied
    if event.status not in DECIDED:
        raise ValidationError(_("该事项尚待核实，无需退回。"))
    was_verified = event.status == EventStatus.VERIFIED
    event.verification_note = _reason(reason, "reason", _("退回重新核实须写明理由。"))
    event.status = EventStatus.REPORTED
    event.verified_by = None
    event.verified_at = None
    return _save(event, actor, _("退回待核实"), was_counted_before=was_verified)


@transaction.atomic
def link_filing(*, actor, event, version, filing):
    """A county assessor links the event to an approved filing of the same participant
    (None: unlinks it, unless the event is exempt)."""
    event = _locked_event(event, version)
    if not may_manage(actor, event.participant.cycle):
        raise PermissionDenied
    if filing is None and event.exempt:
        raise ValidationError(_("已免责的事项须先撤销免责，才能取消关联备案。"))
    _check_filing(event.participant, filing, event.occurred_on, event)
    event.filing = filing
    return _save(event, actor, _("关联备案"), was_counted_before=False)


@transaction.atomic
def exempt_event(*, actor, event, version, reason):
    """免责 (SPEC §2): the event then neither deducts nor vetoes, and stays listed."""
    event = _locked_event(event, version)
    if not may_manage(actor, event.participant.cycle):
        raise PermissionDenied
    if event.exempt:
        raise ValidationError(_("该事项已经免责。"))
    if event.status == EventStatus.REJECTED:
        raise ValidationError(_("不予认定的事项不计分，无需免责。"))
    if event.filing is None or event.filing.status != FilingStatus.APPROVED:
        raise ValidationError(_("只有关联了已批准的改革风险备案的事项才能免责。"))
    _check_filing(event.participant, event.filing, event.occurred_on, event)
    was_verified = event.status == EventStatus.VERIFIED
    event.exemption_reason = _reason(reason, "reason", _("免责须写明理由。"))
    event.exempt = True
    event.exempted_by = actor
    event.exempted_at = timezone.now()
    return _save(event, actor, _("免责认定"), was_counted_before=was_verified)


@transaction.atomic
def revoke_exemption(*, actor, event, version, reason):
    """Take an exemption back, with a reason; exempted_by/at/reason then name the
    revocation (the exemption itself stays in the audit trail)."""
    event = _locked_event(event, version)
    if not may_manage(actor, event.participant.cycle):
        raise PermissionDenied
    if not event.exempt:
        raise ValidationError(_("该事项未免责，无需撤销。"))
    was_verified = event.status == EventStatus.VERIFIED
    event.exemption_reason = _reason(reason, "reason", _("撤销免责须写明理由。"))
    event.exempt = False
    event.exempted_by = actor
    event.exempted_at = timezone.now()
    return _save(event, actor, _("撤销免责"), was_counted_before=was_verified)


def pending_note(cycle, transition_name):
    """Before a cycle moves on to scoring, 公示 or publication: events still 待核实 (they
    do not count) and filings still 待审批 (their events cannot be exempted)."""
    if transition_name not in ("start_scoring", "start_review", "publish"):
        return []
    notes = []
    pending = Event.objects.filter(participant__cycle=cycle, status=EventStatus.REPORTED).count()
    if pending:
        notes.append(_("%(n)d 个事项仍待核实：待核实的事项不计分，核实后才计入。") % {"n": pending})
    filings = ReformFiling.objects.filter(
        participant__cycle=cycle, status=FilingStatus.PENDING
    ).count()
    if filings:
        notes.append(_("%(n)d 个改革风险备案待审批。") % {"n": filings})
    return notes
