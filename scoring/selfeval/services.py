"""The writes of 自我检评: saving the draft all or nothing (`save_self_evaluation`),
submitting it (`submit_self_evaluation`) and returning it with a reason
(`return_self_evaluation`); the item the page sends and the refusal for a record changed
elsewhere; and the rules the page shares with them: who owns an evaluation (`is_own`),
who may return it (`may_return`) and how a typed answer is read (`parse_answer`).
"""

from decimal import Decimal
from typing import NamedTuple

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from assessment.models import Participant
from core.versioning import StaleVersion
from indicators.labels import node_label
from indicators.models import BarsLevel, IndicatorNode
from org.scope import Role, scope_of
from scoring import notices
from scoring.models import (
    ScoreEntry,
    SelfEvaluation,
    SelfEvaluationStatus,
    Source,
)
from scoring.services import COUNTY_ROLES, WINDOWS, enter_score, typed_number, withdraw_score


class SelfEvaluationItem(NamedTuple):
    """One leaf as the page sent it: `answer` is a BarsLevel (anchored leaf), a number
    (text or Decimal), or empty; `version` is the entry's version the page showed."""

    leaf: IndicatorNode
    answer: object
    note: str = ""
    version: int | None = None


class SelfEvaluationChanged(StaleVersion):
    """Some of what the page changed was saved elsewhere meanwhile (another window or
    device): nothing was saved. `entries` maps the leaf id to the entry as it is now
    (None: deleted), `summary_changed` says the 总体说明 moved on, `problems` are the
    other refusals found in the same pass, by leaf code."""

    def __init__(self, evaluation, entries, summary_changed, problems):
        super().__init__(evaluation)
        self.entries = entries
        self.summary_changed = summary_changed
        self.problems = problems
        self.args = (
            _(
                "您的自评已在其他窗口或设备上修改过，本次未保存。"
                "下方已标出最新保存的内容，请核对后再保存。"
            ),
        )


def leaf_label(leaf):
    return node_label(leaf)


def is_own(user, participant):
    return participant.secretary.user_id is not None and participant.secretary.user_id == user.pk


def may_return(user, participant):
    """SPEC §1: the county's assessors and admins (提级考核), and the town assessors of
    the participant's own town."""
    scope = scope_of(user)
    return scope.covers_path(participant.cycle.county.path, COUNTY_ROLES) or scope.covers_path(
        participant.community.path, {Role.TOWN_ASSESSOR}
    )


def _locked_participant(participant):
    """The participant row locked for the rest of the transaction: every change to one
    self-evaluation (and its creation) happens one at a time."""
    return (
        Participant.objects.select_for_update(of=("self",))
        .select_related("cycle__county", "secretary", "community")
        .get(pk=participant.pk)
    )


def _check_window(cycle):
    """自评 only while the cycle is 进行中 (SPEC §2, §3.2)."""
    if cycle.is_locked:
        raise ValidationError(
            _("考核周期“%(name)s”%(status)s，不能再修改；如需更正请走复核程序。")
            % {"name": cycle.name, "status": cycle.get_status_display()}
        )
    if cycle.status not in WINDOWS[Source.SELF]:
        raise ValidationError(
            _("考核周期当前为“%(status)s”，自我检评只能在“进行中”填报和提交。")
            % {"status": cycle.get_status_display()}
        )


def shown_time(moment):
    """A moment as the messages show it: local time, to the minute."""
    return date_format(timezone.localtime(moment), "Y-m-d H:i")


def _locked_evaluation(participant):
    return (
        SelfEvaluation.objects.select_for_update(of=("self",))
        .filter(participant=participant)
        .order_by("pk")
        .first()
    )


def _submitted_refusal(evaluation):
    return ValidationError(
        _("自评已于 %(at)s 提交并锁定，不能再修改；如需修改，请联系考核员退回。")
        % {"at": shown_time(evaluation.submitted_at)}
    )


def lock_for_editing(actor, participant):
    """(participant, evaluation) locked for the rest of the transaction, if the actor
    edits this self-evaluation now: their own, the cycle 进行中, not submitted. The
    evaluation is None before the first save. Otherwise PermissionDenied, or a
    ValidationError saying why. Everything the secretary adds to it — values, the
    summary, evidence files (`evidence.attachments.services`) — passes here first."""
    participant = _locked_participant(participant)
    if not is_own(actor, participant):
        raise PermissionDenied
    _check_window(participant.cycle)
    evaluation = _locked_evaluation(participant)
    if evaluation is not None and evaluation.is_locked:
        raise _submitted_refusal(evaluation)
    return participant, evaluation


def _save(obj, actor):
    obj._history_user = actor
    obj.save()
    return obj


def parse_answer(answer, leaf):
    """A BarsLevel as it is; a number written by a person (full-width digits too) as a
    Decimal; blank as None. Text that is no number is refused, naming the leaf."""
    if answer is None or isinstance(answer, BarsLevel | Decimal):
        return answer
    if isinstance(answer, int):
        return Decimal(answer)
    try:
        return typed_number(answer)
    except ValueError as exc:
        raise ValidationError(
            _("%(leaf)s 的分数“%(text)s”不是有效数字。") % {"leaf": leaf_label(leaf), "text": exc}
        ) from None


def _unchanged(entry, answer, note):
    if isinstance(answer, BarsLevel):
        return entry.level_id == answer.pk and entry.note == note
    return entry.level_id is None and entry.value == answer and entry.note == note


def _named(leaf, message):
    """Every message names its leaf, so a list of them reads on its own."""
    label = leaf_label(leaf)
    return message if label in message else f"{label}：{message}"


@transaction.atomic
def save_self_evaluation(*, actor, participant, items, summary, version):
    """Save the secretary's draft: every changed leaf through `enter_score` (source
    自评), cleared leaves deleted, and the 总体说明.

    All or nothing (SPEC §7): problems of all leaves are collected — each naming the leaf
    — and raised as one ValidationError keyed by leaf code; an entry or summary changed
    elsewhere meanwhile raises SelfEvaluationChanged. Either way nothing is saved.
    The SelfEvaluation is created (草稿) on the first save; a returned one stays 已退回
    until it is submitted again. `version` is the SelfEvaluation's, checked when the
    summary changes."""
    participant, evaluation = lock_for_editing(actor, participant)
    existing = {
        entry.leaf_id: entry
        for entry in ScoreEntry.objects.select_for_update(of=("self",)).filter(
            participant=participant, source=Source.SELF, rater=actor
        )
    }
    problems, stale = {}, {}
    for item in items:
        leaf = item.leaf
        entry = existing.get(leaf.pk)
        note = (item.note or "").strip()
        try:
            answer = parse_answer(item.answer, leaf)
            if answer is None and not note:
                if entry is not None:
                    withdraw_score(
                        actor=actor,
                        participant=participant,
                        leaf=leaf,
                        source=Source.SELF,
                        version=item.version,
                    )
                continue
            if entry is not None and _unchanged(entry, answer, note):
                continue
            level = answer if isinstance(answer, BarsLevel) else None
            enter_score(
                actor=actor,
                participant=participant,
                leaf=leaf,
                source=Source.SELF,
                value=None if level else answer,
                level=level,
                note=note,
                version=item.version,
            )
        except StaleVersion as exc:
            stale[leaf.pk] = exc.current
        except ValidationError as exc:
            problems.setdefault(leaf.code, []).extend(_named(leaf, m) for m in exc.messages)
    summary = (summary or "").strip()
    summary_changed = False
    if evaluation is None:
        # The first value saved above may have started the evaluation already.
        evaluation = _locked_evaluation(participant) or SelfEvaluation(participant=participant)
        if evaluation.pk is None or summary != evaluation.summary:
            evaluation.summary = summary
            _save(evaluation, actor)
    elif summary != evaluation.summary:
        if version != evaluation.version:
            summary_changed = True
        else:
            evaluation.summary = summary
            evaluation.version += 1
            _save(evaluation, actor)
    if stale or summary_changed:
        raise SelfEvaluationChanged(evaluation, stale, summary_changed, problems)
    if problems:
        raise ValidationError(problems)
    return evaluation


@transaction.atomic
def submit_self_evaluation(*, actor, participant, version):
    """Submit: only the participant's own secretary, only while the cycle is 进行中.
    Leaves left empty are allowed — they count 0 and are flagged 自评不完整 (SPEC §3.2);
    the page lists them before the secretary confirms. Afterwards every 自评 entry is
    refused (`enter_score`) until an assessor returns the evaluation."""
    participant = _locked_participant(participant)
    if not is_own(actor, participant):
        raise PermissionDenied
    _check_window(participant.cycle)
    evaluation = _locked_evaluation(participant)
    if evaluation is None:
        evaluation = SelfEvaluation(participant=participant)
    else:
        if evaluation.is_locked:
            raise ValidationError(
                _("自评已于 %(at)s 提交，无需重复提交。")
                % {"at": shown_time(evaluation.submitted_at)}
            )
        if version != evaluation.version:
            raise StaleVersion(evaluation)
        evaluation.version += 1
    evaluation.status = SelfEvaluationStatus.SUBMITTED
    evaluation.submitted_at = timezone.now()
    return _save(evaluation, actor)


@transaction.atomic
def return_self_evaluation(*, actor, participant, reason, version):
    """Return a submitted evaluation to its secretary with a reason (required), which the
    secretary sees; it is editable again until submitted anew. By the county's assessors
    and admins or the participant's town assessors (SPEC §1), while the cycle is 进行中."""
    participant = _locked_participant(participant)
    if not may_return(actor, participant):
        raise PermissionDenied
    cycle = participant.cycle
    if cycle.is_locked or cycle.status not in WINDOWS[Source.SELF]:
        raise ValidationError(
            _("考核周期当前为“%(status)s”，自评填报已结束，不能再退回。")
            % {"status": cycle.get_status_display()}
        )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写退回原因，书记将看到这段说明。")})
    evaluation = _locked_evaluation(participant)
    if evaluation is None or evaluation.status != SelfEvaluationStatus.SUBMITTED:
        raise ValidationError(
            {
                NON_FIELD_ERRORS: _("%(who)s 的自评尚未提交，无需退回。")
                % {"who": participant.secretary.name}
            }
        )
    if version != evaluation.version:
        raise StaleVersion(evaluation)
    evaluation.status = SelfEvaluationStatus.RETURNED
    evaluation.returned_at = timezone.now()
    evaluation.returned_by = actor
    evaluation.returned_reason = reason
    evaluation.version += 1
    _save(evaluation, actor)
    notices.self_evaluation_returned(participant, reason)
    return evaluation
