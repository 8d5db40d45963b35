"""Appeals (申诉/复核, SPEC §2; issue 5): file during 公示, accept for review (reopens only
that participant), correct scores with before/after, decide or reject. Every step is
audited; a cycle cannot be published while an appeal is open (`cycles.blockers`)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from assessment.models import CycleStatus, Participant
from assessment.services import mark_inputs_changed, may_manage
from core.versioning import StaleVersion, lock_at_version
from indicators.labels import node_label
from indicators.models import BarsLevel
from scoring import notices
from scoring.evidence_files import file_store
from scoring.models import Appeal, AppealChange, AppealStatus, ScoreEntry, Source
from scoring.services import check_cycle_leaf, checked_value


def _stamp(obj, actor):
    obj._history_user = actor
    return obj


def _check_review_period(cycle):
    if cycle.status != CycleStatus.REVIEW:
        raise ValidationError(
            _("当前状态为“%(status)s”，申诉只能在公示期间提出和处理。")
            % {"status": cycle.get_status_display()}
        )


def _locked_appeal(appeal, version, actor):
    appeal = lock_at_version(Appeal, appeal.pk, version)
    cycle = appeal.participant.cycle
    if not may_manage(actor, cycle):
        raise PermissionDenied
    _check_review_period(cycle)
    return appeal


@transaction.atomic
def file_appeal(*, actor, participant, reasons, evidence="", uploads=()):
    """The participant's own secretary, during 公示, one open appeal at a time. Evidence
    files (`uploads`) are all checked before anything is written: one bad file refuses
    the whole appeal (SPEC §7)."""
    participant = (
        Participant.objects.select_for_update(of=("self",))
        .select_related("cycle", "secretary")
        .get(pk=participant.pk)
    )
    if participant.secretary.user_id != actor.pk:
        raise PermissionDenied
    _check_review_period(participant.cycle)
    if not reasons.strip():
        raise ValidationError({"reasons": _("请写明申诉理由。")})
    if participant.appeals.open().exists():
        raise ValidationError(_("您已有一件申诉正在处理，请等待处理结果。"))
    file_store().check_uploads(uploads)
    appeal = Appeal(
        participant=participant,
        reasons=reasons.strip(),
        evidence=evidence.strip(),
        filed_by=actor,
    )
    _stamp(appeal, actor).save()
    if uploads:
        file_store().attach_files(
            actor=actor, participant=participant, uploads=uploads, appeal=appeal
        )
    return appeal


@transaction.atomic
def accept_appeal(*, actor, appeal, version):
    """受理复核: the participant's scores may be corrected until the appeal is decided."""
    appeal = _locked_appeal(appeal, version, actor)
    if appeal.status != AppealStatus.FILED:
        raise ValidationError(_("只有待受理的申诉可以受理。"))
    appeal.status = AppealStatus.REVIEWING
    appeal.handled_by = actor
    appeal.accepted_at = timezone.now()
    appeal.version += 1
    _stamp(appeal, actor).save()
    return appeal


@transaction.atomic
def reject_appeal(*, actor, appeal, version, reason):
    appeal = _locked_appeal(appeal, version, actor)
    if appeal.status != AppealStatus.FILED:
        raise ValidationError(_("已受理的申诉请办结，不能再改为不予受理。"))
    if not reason.strip():
        raise ValidationError({"decision": _("请写明不予受理的理由。")})
    appeal.status = AppealStatus.REJECTED
    appeal.decision = reason.strip()
    appeal.handled_by = actor
    appeal.decided_at = timezone.now()
    appeal.version += 1
    _stamp(appeal, actor).save()
    notices.appeal_decided(appeal)
    return appeal


@transaction.atomic
def decide_appeal(*, actor, appeal, version, decision):
    appeal = _locked_appeal(appeal, version, actor)
    if appeal.status != AppealStatus.REVIEWING:
        raise ValidationError(_("只有复核中的申诉可以办结。"))
    if not decision.strip():
        raise ValidationError({"decision": _("请写明复核结论。")})
    appeal.status = AppealStatus.DECIDED
    appeal.decision = decision.strip()
    appeal.decided_at = timezone.now()
    appeal.version += 1
    _stamp(appeal, actor).save()
    notices.appeal_decided(appeal)
    return appeal


def correction_targets(appeal, *, entry_id=None, leaf_id=None, level_id=None):
    """What a correction names, looked up within the appeal: an existing score entry of
    the appealing participant (or a leaf of the cycle's template for a new entry), and
    a BARS level of that leaf. Unknown entry or leaf → 404; a level of another leaf → a
    message naming the leaf."""

    entry = leaf = level = None
    if entry_id is not None:
        entry = get_object_or_404(
            ScoreEntry.objects.select_related("leaf"), pk=entry_id, participant=appeal.participant
        )
        leaf = entry.leaf
    elif leaf_id is not None:
        leaf = get_object_or_404(appeal.participant.cycle.frozen_template.nodes, pk=leaf_id)
    if level_id is not None and leaf is not None:
        level = BarsLevel.objects.filter(pk=level_id, node=leaf).first()
        if level is None:
            raise ValidationError(
                {"level": _("所选等级不属于%(leaf)s，请重新选择。") % {"leaf": node_label(leaf)}}
            )
    return entry, leaf, level


@transaction.atomic
def correct_score(
    *, actor, appeal, note, entry=None, leaf=None, source=None, value=None, level=None, version=None
):
    """Change one 目标量评/组织考评 value of the appealing participant (an existing entry,
    whoever entered it, or a new entry of the actor's own), keeping before and after.
    Only while the appeal is 复核中; the results are recomputed afterwards."""

    appeal = (
        Appeal.objects.select_for_update(of=("self",))
        .select_related("participant__cycle")
        .get(pk=appeal.pk)
    )
    cycle = appeal.participant.cycle
    if not may_manage(actor, cycle):
        raise PermissionDenied
    _check_review_period(cycle)
    if appeal.status != AppealStatus.REVIEWING:
        raise ValidationError(_("只有复核中的申诉可以改分。"))
    if not note.strip():
        raise ValidationError({"note": _("请写明改分理由。")})
    if entry is not None:
        entry = (
            ScoreEntry.objects.select_for_update(of=("self",))
            .select_related("leaf")
            .get(pk=entry.pk)
        )
        if entry.participant_id != appeal.participant_id:
            raise PermissionDenied
        if version is None or entry.version != version:
            raise StaleVersion(entry)
        leaf, source, before = entry.leaf, entry.source, entry.value
        entry.version += 1
    else:
        check_cycle_leaf(cycle, leaf)
        if source not in (Source.TARGET, Source.ORG):
            raise ValidationError(_("复核只能修改目标量评或组织考评。"))
        if ScoreEntry.objects.filter(
            participant=appeal.participant, leaf=leaf, source=source, rater=actor
        ).exists():
            raise ValidationError(_("您已为该指标评过分，请直接修改原评分。"))
        entry = ScoreEntry(participant=appeal.participant, leaf=leaf, source=source, rater=actor)
        before = None
    if source == Source.SELF:
        raise ValidationError(_("复核只能修改目标量评或组织考评。"))
    entry.value = checked_value(leaf, source, value, level, note)
    entry.level = level
    entry.note = note.strip()
    _stamp(entry, actor).save()
    change = AppealChange(
        appeal=appeal,
        entry_id_ref=entry.pk,
        leaf_code=leaf.code,
        leaf_name=leaf.name,
        source=source,
        rater=entry.rater,
        before=before,
        after=entry.value,
        note=note.strip(),
        changed_by=actor,
    )
    _stamp(change, actor).save()
    mark_inputs_changed(cycle, participants=[appeal.participant])
    return change


def open_appeal_problems(cycle):
    """For the publish guard: appeals not yet decided."""
    pending = list(
        Appeal.objects.open()
        .filter(participant__cycle=cycle)
        .select_related("participant__secretary", "participant__community")
    )
    if not pending:
        return []
    names = "、".join(str(a.participant) for a in pending)
    return [_("还有 %(n)d 件申诉未办结：%(names)s。") % {"n": len(pending), "names": names}]
