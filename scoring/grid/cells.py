"""One cell of the grid: how a leaf takes its value (number, level, computed or override),
the column with its criteria line, and the cell with what it shows read-only, the value it
adds to the row's subtotal and its hint; then, for a cell's autosave, reading what it
posts (a typed number, a chosen level), the note it keeps and how a conflict message
names a value.
"""

from dataclasses import dataclass, field
from decimal import Decimal
from types import SimpleNamespace

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from assessment.models import Participant
from core.i18n import per_language
from core.numbers import plain_number
from core.views import int_or_none
from indicators.labels import node_label
from indicators.models import BarsLevel, IndicatorNode
from scoring.engine import round2
from scoring.models import ScoreEntry
from scoring.services import typed_number

# How a cell takes its value.
NUMBER = "number"  # a `rating` leaf scored directly
LEVEL = "level"  # a `rating` leaf with behaviour anchors: pick a level
COMPUTED = "computed"  # an automatic leaf under 目标: the system's value, not editable
OVERRIDE = "override"  # an automatic leaf under 组织: optional override with a note


def plain(value):
    return "" if value is None else plain_number(value)


@dataclass
class Column:
    leaf: IndicatorNode
    levels: list
    kind: str
    # Participants with a value (rating leaves) or with an override (automatic, 组织).
    filled: int = 0

    @property
    def required(self):
        return not self.leaf.is_automatic

    @property
    def criteria(self):
        """The leaf's 评分标准 and anchors as one line, for the cell information bar."""
        parts = [
            _("%(code)s %(name)s · %(points)s 分 · %(method)s")
            % {
                "code": self.leaf.code,
                "name": self.leaf.name,
                "points": plain(self.leaf.points),
                "method": self.leaf.get_method_display(),
            }
        ]
        if self.leaf.description:
            parts.append(_("评分标准：%(text)s") % {"text": self.leaf.description})
        if self.levels:
            parts.append(
                _("等级：%(levels)s")
                % {
                    "levels": "；".join(
                        f"{level.label} {plain(level.value)}"
                        + (f"（{level.description}）" if level.description else "")
                        for level in self.levels
                    )
                }
            )
        return " ｜ ".join(parts)


@dataclass
class Cell:
    column: Column
    participant: Participant
    editable: bool
    rater: bool
    show_others: bool
    # The user's own entry: (value, level id, note, version), or None.
    own: tuple | None = None
    # Values of the other raters (of every rater, for someone who does not enter).
    others: list = field(default_factory=list)
    # Automatic leaves: the computed value and the 组织 value of the current results.
    computed: Decimal | None = None
    org_result: Decimal | None = None
    org_overridden: bool = False
    results_stale: bool = False
    self_value: Decimal | None = None
    self_note: str = ""
    self_submitted: bool = False
    # After a post: the refusal, the conflict, what was typed, and a successful save.
    error: str = ""
    conflict: str = ""
    typed: str | None = None
    typed_note: str | None = None
    saved_now: bool = False

    @property
    def leaf(self):
        return self.column.leaf

    @property
    def kind(self):
        return self.column.kind

    @property
    def dom_id(self):
        return f"{self.participant.id}-{self.leaf.id}"

    @property
    def own_value(self):
        return self.own[0] if self.own else None

    @property
    def own_level_id(self):
        return self.own[1] if self.own else None

    @property
    def own_note(self):
        return self.own[2] if self.own else ""

    @property
    def version(self):
        return self.own[3] if self.own else None

    @property
    def selected_level_id(self):
        """The level shown selected: the one just picked when it was refused."""
        if self.typed is not None:
            return int_or_none(self.typed)
        return self.own_level_id

    @property
    def input_value(self):
        return self.typed if self.typed is not None else plain(self.own_value)

    @property
    def note_value(self):
        return self.typed_note if self.typed_note is not None else self.own_note

    @property
    def saved_value(self):
        if self.kind == LEVEL:
            return "" if self.own_level_id is None else str(self.own_level_id)
        return plain(self.own_value)

    @property
    def others_count(self):
        return len(self.others)

    @property
    def others_mean(self):
        return round2(sum(self.others) / len(self.others)) if self.others else None

    @property
    def level_label(self):
        level_id = self.own_level_id
        for level in self.column.levels:
            if level.pk == level_id:
                return level.label
        return ""

    @property
    def has_value(self):
        return self.own is not None if self.rater else bool(self.others)

    @property
    def shows_note_box(self):
        return bool(self.note_value or self.error)

    @property
    def display(self):
        """What a read-only cell shows: the user's own value (a rater), the raters' mean
        (someone who only reads), or the computed value."""
        if self.kind == COMPUTED:
            return plain(self.computed) or "—"
        if self.rater:
            if self.own is not None:
                label = self.level_label
                return f"{label}（{plain(self.own_value)}）" if label else plain(self.own_value)
            return (plain(self.computed) or "—") if self.kind == OVERRIDE else "—"
        if self.kind == OVERRIDE:
            return plain(self.org_result if self.org_overridden else self.computed) or "—"
        return plain(self.others_mean) or "—"

    @property
    def shows_computed(self):
        """The cell shows the system's value (greyed), not a rater's."""
        if self.kind == COMPUTED:
            return True
        if self.kind != OVERRIDE:
            return False
        return self.own is None if self.rater else not self.org_overridden

    @property
    def effective(self):
        """The value this cell adds to the row's subtotal, as the grid shows it."""
        if self.kind == COMPUTED:
            return self.computed
        if self.rater:
            if self.own is not None:
                return self.own_value
            return self.computed if self.kind == OVERRIDE else None
        if self.kind == OVERRIDE:
            return self.org_result if self.org_result is not None else self.computed
        return self.others_mean

    @property
    def hint(self):
        """Read-only context for the information bar: the secretary's self-evaluation and
        note, the other raters, the computed value."""
        t = _hint_texts()
        parts = []
        if self.self_value is None:
            parts.append(t.no_self)
        elif self.self_submitted:
            parts.append(t.self % {"value": plain(self.self_value)})
        else:
            parts.append(t.self_draft % {"value": plain(self.self_value)})
        if self.self_note:
            parts.append(t.self_note % {"note": self.self_note})
        if self.show_others and self.others:
            template = t.other_raters if self.rater else t.raters
            parts.append(template % {"n": len(self.others), "mean": plain(self.others_mean)})
        if self.leaf.is_automatic:
            if self.computed is None:
                parts.append(t.not_computed)
            else:
                text = t.computed % {"value": plain(self.computed)}
                if self.results_stale:
                    text += t.stale
                parts.append(text)
        if self.own_note and self.kind != OVERRIDE:
            parts.append(t.own_note % {"note": self.own_note})
        return "；".join(parts)


@per_language
def _hint_texts():
    return SimpleNamespace(
        no_self=_("自评：未填"),
        self=_("自评：%(value)s"),
        self_draft=_("自评：%(value)s（草稿，未提交）"),
        self_note=_("书记说明：%(note)s"),
        other_raters=_("另有 %(n)d 位评分人，平均 %(mean)s"),
        raters=_("%(n)d 位评分人，平均 %(mean)s"),
        not_computed=_("系统计算值：尚未计算"),
        computed=_("系统计算值：%(value)s"),
        stale=_("（待更新）"),
        own_note=_("我的备注：%(note)s"),
    )


# ------------------------------------------------------------- what a cell posts


def parse_value(leaf, text):
    """A typed score as a Decimal (None when blank; the service then asks for one).

    Accepts what people type in Chinese input methods: full-width digits and point."""
    try:
        return typed_number(text)
    except ValueError:
        raise ValidationError(
            {"value": _("%(leaf)s的分数应是数字，例如 4 或 3.5。") % {"leaf": node_label(leaf)}}
        ) from None


def parse_level(leaf, level_id):
    """The chosen behaviour anchor of the leaf (None when none was chosen)."""
    if not level_id:
        return None
    level = BarsLevel.objects.filter(node=leaf, pk=int_or_none(level_id)).first()
    if level is None:
        raise ValidationError(
            {"level": _("%(leaf)s请从列表中选择一个行为锚定等级。") % {"leaf": node_label(leaf)}}
        )
    return level


def has_own_entry(user, participant, leaf, source):
    return ScoreEntry.objects.filter(
        participant=participant, leaf=leaf, source=source, rater=user
    ).exists()


def current_note(user, participant, leaf, source):
    """The note already on the user's entry: cells that post no note keep it."""
    return (
        ScoreEntry.objects.filter(participant=participant, leaf=leaf, source=source, rater=user)
        .order_by("pk")
        .values_list("note", flat=True)
        .first()
        or ""
    )


def level_text(level):
    return f"{level.label}（{plain(level.value)}）"


def shown_value(entry):
    """An entry's value as the conflict message names it: the level too, when anchored."""
    return level_text(entry.level) if entry.level_id else plain(entry.value)
