"""Reading 自我检评 for the page: the cycle's frozen tree grouped by dimension, each leaf
with its anchors, the secretary's saved entry and evidence files
(`self_evaluation_sheet`), whether the user edits the page now and otherwise why not
(`editing_state`), the evaluation itself, its status history and the participant's
关键事件.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from core.numbers import plain_number
from indicators.models import BarsLevel, IndicatorNode
from scoring.evidence_files import file_store
from scoring.models import (
    CriticalIncident,
    ScoreEntry,
    SelfEvaluation,
    Source,
)
from scoring.selfeval.services import is_own, parse_answer
from scoring.services import WINDOWS

CENT = Decimal("0.01")


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
        # The 已提交 banner says it already, with what to do: no second box.
        return False, ""
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
    # Evidence files (佐证材料) of this leaf, and what the last upload or removal said.
    attachments: list = field(default_factory=list)
    notices: list = field(default_factory=list)

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
    anchors, the secretary's saved 自评 entry and its evidence files. Four queries
    whatever the size."""
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
    attachments = file_store().leaf_files(participant)
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
                leaf=node,
                levels=levels.get(node.pk, []),
                entry=entries.get(node.pk),
                group=group,
                attachments=attachments.get(node.pk, []),
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
