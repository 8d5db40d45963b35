"""自我检评 (SPEC §1, §3.2): the secretary's own value for every leaf of the cycle's frozen
template, kept as a draft, then submitted and locked until an assessor returns it with a
reason.

- Values are 自评 score entries written through `scoring.services.enter_score`, which
  holds the value rules (0 ≤ v ≤ points, a level for an anchored leaf, two decimals) and
  the window (自评 only while the cycle is 进行中).
- S counts every leaf, automatic ones too (SPEC §3.2): the secretary scores them all.
  A missing leaf counts 0 and is flagged "自评不完整", so an evaluation with gaps may be
  submitted; the page lists the gaps before and after.
- Saving is all or nothing (SPEC §7): every problem of every leaf is collected and
  reported at once, and if there is one, nothing is saved.
- Returned by the county's assessors and admins, or by the town assessors of the
  participant's town (SPEC §1), with a reason, while the cycle is 进行中.
"""

import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from assessment.models import Participant
from assessment.scope import Role, scope_of
from assessment.services import StaleVersion
from indicators.models import BarsLevel, IndicatorNode
from indicators.validation import plain_number
from scoring.models import (
    CriticalIncident,
    ScoreEntry,
    SelfEvaluation,
    SelfEvaluationStatus,
    Source,
)
from scoring.services import COUNTY_ROLES, WINDOWS, enter_score, withdraw_score

CENT = Decimal("0.01")


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
    return _("指标 %(code)s（%(name)s）") % {"code": leaf.code, "name": leaf.name}


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


def _when(moment):
    return date_format(timezone.localtime(moment), "Y-m-d H:i")


def _locked_evaluation(participant):
    return SelfEvaluation.objects.select_for_update().filter(participant=participant).first()


def _submitted_refusal(evaluation):
    return ValidationError(
        _("自评已于 %(at)s 提交并锁定，不能再修改；如需修改，请联系考核员退回。")
        % {"at": _when(evaluation.submitted_at)}
    )


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
    text = unicodedata.normalize("NFKC", str(answer)).strip()
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise ValidationError(
            _("%(leaf)s 的分数“%(text)s”不是有效数字。") % {"leaf": leaf_label(leaf), "text": text}
        )
    return value


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
    participant = _locked_participant(participant)
    cycle = participant.cycle
    if not is_own(actor, participant):
        raise PermissionDenied
    _check_window(cycle)
    evaluation = _locked_evaluation(participant)
    if evaluation is not None and evaluation.is_locked:
        raise _submitted_refusal(evaluation)
    existing = {
        entry.leaf_id: entry
        for entry in ScoreEntry.objects.select_for_update().filter(
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
        evaluation = SelfEvaluation(participant=participant, summary=summary)
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
                _("自评已于 %(at)s 提交，无需重复提交。") % {"at": _when(evaluation.submitted_at)}
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
    return _save(evaluation, actor)


# ------------------------------------------------------------------------- reads


def editing_state(user, participant, evaluation):
    """(editable, why not): whether this user edits the page now, and otherwise the
    sentence that says why it is read-only."""
    cycle = participant.cycle
    if not is_own(user, participant):
        return False, _("您正在查看 %(who)s 的自我检评，只读。") % {
            "who": participant.secretary.name
        }
    if cycle.is_locked or cycle.status not in WINDOWS[Source.SELF]:
        return False, _(
            "考核周期当前为“%(status)s”，自我检评只能在“进行中”填报，现在只能查看。"
        ) % {"status": cycle.get_status_display()}
    if evaluation is not None and evaluation.is_locked:
        return False, _("自评已于 %(at)s 提交并锁定；如需修改，请联系考核员退回。") % {
            "at": _when(evaluation.submitted_at)
        }
    return True, ""


@dataclass
class LeafLine:
    """One leaf on the page: what is saved, and what the page shows (saved, or as sent
    back after a refusal)."""

    leaf: IndicatorNode
    levels: list
    entry: ScoreEntry | None
    group: IndicatorNode | None = None
    answer: str = ""
    note: str = ""
    version: int | None = None
    errors: list = field(default_factory=list)
    # The entry as saved elsewhere meanwhile (shown after a refusal for a changed record).
    conflict: ScoreEntry | None = None

    def __post_init__(self):
        entry = self.entry
        if entry is not None:
            self.answer = str(entry.level_id) if self.uses_levels else plain_number(entry.value)
            self.note = entry.note
            self.version = entry.version

    @property
    def uses_levels(self):
        return bool(self.levels) and self.leaf.method == IndicatorNode.Methods.RATING

    @property
    def shown_value(self):
        """The value the page shows for this leaf, None while empty or not valid."""
        if self.uses_levels:
            return next((lv.value for lv in self.levels if str(lv.pk) == self.answer), None)
        try:
            value = parse_answer(self.answer, self.leaf)
        except ValidationError:
            return None
        if value is None or not (0 <= value <= self.leaf.points) or value != value.quantize(CENT):
            return None
        return value

    @property
    def chosen_level(self):
        return next((lv for lv in self.levels if str(lv.pk) == self.answer), None)


@dataclass
class DimensionBlock:
    node: IndicatorNode
    lines: list

    @property
    def subtotal(self):
        return sum((line.shown_value or 0 for line in self.lines), Decimal(0))

    @property
    def filled(self):
        return sum(line.shown_value is not None for line in self.lines)


@dataclass
class Sheet:
    dimensions: list

    @property
    def lines(self):
        return [line for block in self.dimensions for line in block.lines]

    @property
    def total(self):
        return sum((block.subtotal for block in self.dimensions), Decimal(0))

    @property
    def points(self):
        return sum((block.node.points for block in self.dimensions), Decimal(0))

    @property
    def filled(self):
        return sum(block.filled for block in self.dimensions)

    @property
    def started(self):
        """Some 自评 value is saved (imported values may come without a SelfEvaluation)."""
        return any(line.entry is not None for line in self.lines)

    @property
    def missing(self):
        """Leaves without a saved 自评 value (they would count 0, SPEC §3.2)."""
        return [line.leaf for line in self.lines if line.entry is None]


def self_evaluation_sheet(participant):
    """The cycle's frozen tree grouped by dimension (top-level node), each leaf with its
    anchors and the secretary's saved 自评 entry. Three queries whatever the size."""
    nodes = list(
        IndicatorNode.objects.filter(template_id=participant.cycle.frozen_template_id).order_by(
            "sort_key"
        )
    )
    levels = {}
    for level in BarsLevel.objects.filter(node__in=nodes).order_by("node", "position"):
        levels.setdefault(level.node_id, []).append(level)
    entries = {
        entry.leaf_id: entry
        for entry in ScoreEntry.objects.filter(
            participant=participant,
            source=Source.SELF,
            rater_id=participant.secretary.user_id,
        ).select_related("level")
    }
    parents = {node.parent_id for node in nodes}
    by_id = {node.pk: node for node in nodes}
    blocks, current = [], None
    for node in nodes:
        if node.parent_id is None:
            current = DimensionBlock(node=node, lines=[])
            blocks.append(current)
        if node.pk in parents:
            continue
        parent = by_id.get(node.parent_id)
        group = parent if parent is not None and parent.parent_id is not None else None
        current.lines.append(
            LeafLine(
                leaf=node, levels=levels.get(node.pk, []), entry=entries.get(node.pk), group=group
            )
        )
    return Sheet(dimensions=blocks)


def evaluation_of(participant):
    return (
        SelfEvaluation.objects.filter(participant=participant).select_related("returned_by").first()
    )


def status_changes(evaluation):
    """The evaluation's history as (when, who, status, returned reason) whenever the
    status changed: created, submitted, returned, submitted again."""
    if evaluation is None:
        return []
    changes, previous = [], None
    for row in evaluation.history.select_related("history_user").order_by("history_date", "pk"):
        if row.status != previous:
            changes.append(row)
            previous = row.status
    return changes


def critical_incidents(participant):
    return CriticalIncident.objects.filter(participant=participant).select_related("author")
