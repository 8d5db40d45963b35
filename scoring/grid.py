"""The assessors' score grid (评分表, issue 5): participants × the leaves of one dimension,
for one source of the 三评 (SPEC §3.2: 目标量评 or 组织考评), with completeness counters,
each rater's own values and the hints around them (self-evaluation, other raters,
computed values of automatic leaves).

`load_grid` reads everything one page shows in a fixed number of queries, however many
participants there are (DESIGN §7; pinned in tests/scoring/test_grid.py). The rules stay
in `scoring.services`: this module reads, parses what a cell posts, and says why a grid
is read-only.

Completeness (issue 5): a cell counts once it has a value. A rater of the source sees
their own progress — every rater scores every participant and the engine averages them
(SPEC §3.2); someone who does not enter the source sees whether anyone has. Only
`rating` leaves count: automatic leaves are computed (目标) or optionally overridden
(组织), so they are never missing.
"""

import json
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.urls import reverse
from django.utils.translation import gettext as _

from assessment.models import CycleStatus, OrgUnit, OrgUnitKind, Participant
from assessment.scope import Role, scope_of
from indicators.models import BarsLevel, IndicatorNode
from indicators.validation import plain_number
from scoring.access import STAFF_ROLES, cycle_access
from scoring.engine import round2
from scoring.models import (
    CriticalIncident,
    LeafResult,
    ResultVersion,
    ScoreEntry,
    SelfEvaluation,
    SelfEvaluationStatus,
    Source,
)
from scoring.services import WINDOWS, may_enter

# The grid is for the assessors' two sources; 自评 is the secretary's own page.
GRID_SOURCES = (Source.TARGET, Source.ORG)
# 500 participants × a dimension's leaves stay quick to render and to tab through.
ROWS_PER_PAGE = 100
ENTERING_ROLES = (Role.ADMIN, Role.COUNTY_ASSESSOR, Role.TOWN_ASSESSOR)

# How a cell takes its value.
NUMBER = "number"  # a `rating` leaf scored directly
LEVEL = "level"  # a `rating` leaf with behaviour anchors: pick a level
COMPUTED = "computed"  # an automatic leaf under 目标: the system's value, not editable
OVERRIDE = "override"  # an automatic leaf under 组织: optional override with a note


def plain(value):
    return "" if value is None else plain_number(value)


# ------------------------------------------------------------------ who may enter


@dataclass(frozen=True)
class EntryStatus:
    """What the user may do with one source of one cycle in the grid."""

    # Enters this source in this cycle: the cells are their own values.
    rater: bool
    # ... and may do so now (window open, cycle not locked).
    editable: bool
    # Why the grid is read-only ("" when editable).
    reason: str
    # Shows the other raters' count and mean (county staff, and whoever only reads).
    show_others: bool


def entry_status(user, cycle, source, access=None):
    """SPEC §1 × §3.2 windows, as the grid shows them; `enter_score` checks them again."""
    access = access or cycle_access(user, cycle)
    rater = access.enters_org if source == Source.ORG else access.enters_target
    scope = scope_of(user)
    show_others = not rater or scope.covers_path(cycle.county.path, STAFF_ROLES)
    if cycle.is_locked:
        reason = _("考核周期“%(name)s”%(status)s，评分表只读；如需更正请走复核程序。") % {
            "name": cycle.name,
            "status": cycle.get_status_display(),
        }
    elif not rater:
        reason = _not_a_rater(scope, cycle, source)
    elif cycle.status not in WINDOWS[source]:
        windows = "、".join(str(s.label) for s in CycleStatus if s in WINDOWS[source])
        reason = _("当前状态为“%(status)s”，%(source)s在“%(windows)s”阶段录入，现在只能查看。") % {
            "status": cycle.get_status_display(),
            "source": Source(source).label,
            "windows": windows,
        }
    else:
        reason = ""
    return EntryStatus(
        rater=rater, editable=rater and not reason, reason=reason, show_others=show_others
    )


def _not_a_rater(scope, cycle, source):
    if not scope.has_role(*ENTERING_ROLES):
        return _("您的角色只能查看评分表，不能录入分数。")
    if source == Source.ORG:
        return _("组织考评由县级考核员和管理员录入，您只能查看。")
    if cycle.target_entry == "town":
        return _("本周期目标量评由镇街考核员录入本镇街书记的分数，您只能查看。")
    return _("本周期目标量评由县级考核员直接评分（提级考核），您只能查看。")


def default_source(cycle, access):
    """The source the user may enter now: 组织考评 while 评分中, else 目标量评."""
    if access.enters_org and cycle.status == CycleStatus.SCORING:
        return Source.ORG
    if access.enters_target and cycle.status in WINDOWS[Source.TARGET]:
        return Source.TARGET
    if access.enters_org and not access.enters_target:
        return Source.ORG
    return Source.TARGET


# -------------------------------------------------------------------- the grid


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
        return f"{self.participant.pk}-{self.leaf.pk}"

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
            return int(self.typed) if self.typed.isdigit() else None
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
        parts = []
        if self.self_value is None:
            parts.append(_("自评：未填"))
        elif self.self_submitted:
            parts.append(_("自评：%(value)s") % {"value": plain(self.self_value)})
        else:
            parts.append(_("自评：%(value)s（草稿，未提交）") % {"value": plain(self.self_value)})
        if self.self_note:
            parts.append(_("书记说明：%(note)s") % {"note": self.self_note})
        if self.show_others and self.others:
            template = (
                _("另有 %(n)d 位评分人，平均 %(mean)s")
                if self.rater
                else _("%(n)d 位评分人，平均 %(mean)s")
            )
            parts.append(template % {"n": len(self.others), "mean": plain(self.others_mean)})
        if self.leaf.is_automatic:
            if self.computed is None:
                parts.append(_("系统计算值：尚未计算"))
            else:
                text = _("系统计算值：%(value)s") % {"value": plain(self.computed)}
                if self.results_stale:
                    text += _("（待更新）")
                parts.append(text)
        if self.own_note and self.kind != OVERRIDE:
            parts.append(_("我的备注：%(note)s") % {"note": self.own_note})
        return "；".join(parts)


@dataclass
class Row:
    participant: Participant
    cells: list
    incidents: int
    cell_url: str

    @property
    def required(self):
        return sum(1 for cell in self.cells if cell.column.required)

    @property
    def filled(self):
        return sum(1 for cell in self.cells if cell.column.required and cell.has_value)

    @property
    def complete(self):
        return self.filled == self.required

    @property
    def subtotal(self):
        return sum((cell.effective or Decimal(0) for cell in self.cells), Decimal(0))

    def cell_for(self, leaf_id):
        return next(cell for cell in self.cells if cell.leaf.pk == leaf_id)


@dataclass(frozen=True)
class Progress:
    filled: int
    required: int

    @property
    def percent(self):
        return round(100 * self.filled / self.required) if self.required else 100

    @property
    def complete(self):
        return self.filled >= self.required


@dataclass
class DimensionTab:
    node: IndicatorNode
    progress: Progress
    active: bool


@dataclass
class Grid:
    cycle: object
    source: str
    status: EntryStatus
    dimensions: list
    dimension: IndicatorNode
    columns: list
    rows: list
    page_obj: object
    towns: list
    town: OrgUnit | None
    participant_count: int
    # Completeness of the source over the whole cycle in the user's scope (any town).
    scope_progress: Progress
    results_stale: bool

    @property
    def source_label(self):
        return Source(self.source).label

    @property
    def sources(self):
        return [(source, source.label, source == self.source) for source in GRID_SOURCES]

    @property
    def context_values(self):
        """What every cell posts besides its own inputs (JSON for hx-vals)."""
        values = {"source": str(self.source)}
        if self.town is not None:
            values["town"] = str(self.town.pk)
        return json.dumps(values)

    @property
    def width(self):
        """Columns of the table: the name, the leaves, the subtotal and the counter."""
        return len(self.columns) + 3


@dataclass
class _Tree:
    dimensions: list
    leaves: dict  # dimension id → its leaves in reading order

    @classmethod
    def of(cls, nodes):
        parents = {node.parent_id for node in nodes if node.parent_id}
        dimensions = [node for node in nodes if node.parent_id is None]
        by_key = {node.sort_key: node for node in dimensions}
        leaves = {node.pk: [] for node in dimensions}
        for node in nodes:
            if node.pk not in parents:
                leaves[by_key[node.sort_key.split(".")[0]].pk].append(node)
        return cls(dimensions=dimensions, leaves=leaves)

    def dimension_of(self, leaf_id):
        return next(
            dim for dim in self.dimensions if any(n.pk == leaf_id for n in self.leaves[dim.pk])
        )


def _kind(leaf, levels, source):
    if leaf.is_automatic:
        return COMPUTED if source == Source.TARGET else OVERRIDE
    if levels and leaf.method == IndicatorNode.Methods.RATING:
        return LEVEL
    return NUMBER


def grid_towns(user, cycle):
    """The towns of the cycle's county the user reaches (the town filter's choices)."""
    return list(
        OrgUnit.objects.for_user(user)
        .filter(kind=OrgUnitKind.TOWN, path__startswith=cycle.county.path)
        .order_by("path")
    )


def load_grid(
    user,
    cycle,
    *,
    source=None,
    dimension_id=None,
    town_id=None,
    page=1,
    participant_id=None,
    leaf_id=None,
):
    """One page of the grid for the user: their participants (`Participant.for_user`,
    optionally one town) × the leaves of one dimension, for one source.

    `participant_id` and `leaf_id` load the single row and the dimension of one cell
    (the answer to a cell's autosave); the counters still cover every row listed.
    Queries: a fixed number, whatever the number of participants and raters."""
    access = cycle_access(user, cycle)
    if source not in GRID_SOURCES:
        source = default_source(cycle, access)
    source = Source(source)
    status = entry_status(user, cycle, source, access)

    tree = _Tree.of(
        list(
            IndicatorNode.objects.filter(template_id=cycle.frozen_template_id).order_by("sort_key")
        )
    )
    if leaf_id is not None:
        dimension = tree.dimension_of(leaf_id)
    else:
        dimension = next((d for d in tree.dimensions if d.pk == dimension_id), tree.dimensions[0])
    leaves = tree.leaves[dimension.pk]
    levels = defaultdict(list)
    for level in BarsLevel.objects.filter(node__in=leaves).order_by("node", "position"):
        levels[level.node_id].append(level)
    columns = [
        Column(leaf, levels[leaf.pk], _kind(leaf, levels[leaf.pk], source)) for leaf in leaves
    ]

    towns = grid_towns(user, cycle)
    town = next((t for t in towns if t.pk == town_id), None)
    scoped = Participant.objects.for_user(user).filter(cycle=cycle)
    listed = scoped.filter(community__path__startswith=town.path) if town else scoped
    ordered = listed.select_related("secretary", "community__parent").order_by(
        "community__path", "secretary__staff_no"
    )
    if participant_id is None:
        page_obj = Paginator(ordered, ROWS_PER_PAGE).get_page(page)
        participants = list(page_obj.object_list)
        count = page_obj.paginator.count
    else:
        page_obj = None
        participants = list(ordered.filter(pk=participant_id))
        count = listed.count()

    all_leaves = [leaf for dim in tree.dimensions for leaf in tree.leaves[dim.pk]]
    required_ids = {leaf.pk for leaf in all_leaves if not leaf.is_automatic}
    filled = _filled_by_leaf(user, status.rater, listed, source, [n.pk for n in all_leaves])
    for column in columns:
        column.filled = filled.get(column.leaf.pk, 0)
    tabs = [
        DimensionTab(
            node=dim,
            progress=Progress(
                sum(filled.get(n.pk, 0) for n in tree.leaves[dim.pk] if n.pk in required_ids),
                count * sum(1 for n in tree.leaves[dim.pk] if n.pk in required_ids),
            ),
            active=dim.pk == dimension.pk,
        )
        for dim in tree.dimensions
    ]
    if town is None:
        counts = filled
        everyone = count
    else:
        counts = _filled_by_leaf(user, status.rater, scoped, source, list(required_ids))
        everyone = scoped.count()
    scope_progress = Progress(
        sum(n for pk, n in counts.items() if pk in required_ids), everyone * len(required_ids)
    )

    results = ResultVersion.objects.filter(cycle=cycle, is_current=True).first()
    results_stale = results is None or results.inputs_version != cycle.inputs_version
    rows = _rows(user, cycle, source, status, columns, participants, results, results_stale)
    return Grid(
        cycle=cycle,
        source=source,
        status=status,
        dimensions=tabs,
        dimension=dimension,
        columns=columns,
        rows=rows,
        page_obj=page_obj,
        towns=towns,
        town=town,
        participant_count=count,
        scope_progress=scope_progress,
        results_stale=results_stale,
    )


def _filled_by_leaf(user, rater, participants, source, leaf_ids):
    """{leaf id: participants with a value} — the user's own values when they rate."""
    entries = ScoreEntry.objects.filter(
        participant__in=participants.order_by().values("pk"), source=source, leaf_id__in=leaf_ids
    )
    if rater:
        entries = entries.filter(rater=user)
    return dict(
        entries.order_by().values_list("leaf_id").annotate(n=Count("participant_id", distinct=True))
    )


def _rows(user, cycle, source, status, columns, participants, results, results_stale):
    ids = [p.pk for p in participants]
    leaf_ids = [column.leaf.pk for column in columns]
    own, others = {}, defaultdict(list)
    for pid, leaf, rater, value, level, note, version in (
        ScoreEntry.objects.filter(participant_id__in=ids, leaf_id__in=leaf_ids, source=source)
        .order_by()
        .values_list(
            "participant_id", "leaf_id", "rater_id", "value", "level_id", "note", "version"
        )
    ):
        if status.rater and rater == user.pk:
            own[pid, leaf] = (value, level, note, version)
        else:
            others[pid, leaf].append(value)
    own_self = {
        (pid, leaf): (value, note)
        for pid, leaf, value, note in ScoreEntry.objects.filter(
            participant_id__in=ids, leaf_id__in=leaf_ids, source=Source.SELF
        )
        .order_by()
        .values_list("participant_id", "leaf_id", "value", "note")
    }
    submitted = set(
        SelfEvaluation.objects.filter(
            participant_id__in=ids, status=SelfEvaluationStatus.SUBMITTED
        ).values_list("participant_id", flat=True)
    )
    computed = {}
    automatic = [column.leaf.pk for column in columns if column.leaf.is_automatic]
    if results is not None and automatic:
        computed = {
            (pid, leaf): (target, org, overridden)
            for pid, leaf, target, org, overridden in LeafResult.objects.filter(
                result__version=results, result__participant_id__in=ids, leaf_id__in=automatic
            )
            .order_by()
            .values_list(
                "result__participant_id", "leaf_id", "target_value", "org_value", "org_overridden"
            )
        }
    incidents = dict(
        CriticalIncident.objects.filter(participant_id__in=ids)
        .order_by()
        .values_list("participant_id")
        .annotate(n=Count("pk"))
    )
    rows = []
    for participant in participants:
        participant.cycle = cycle
        editable = status.editable and may_enter(user, participant, source)
        cells = []
        for column in columns:
            key = (participant.pk, column.leaf.pk)
            self_value, self_note = own_self.get(key, (None, ""))
            target, org, overridden = computed.get(key, (None, None, False))
            cells.append(
                Cell(
                    column=column,
                    participant=participant,
                    editable=editable and column.kind != COMPUTED,
                    rater=status.rater,
                    show_others=status.show_others,
                    own=own.get(key),
                    others=others.get(key, []),
                    computed=target,
                    org_result=org,
                    org_overridden=overridden,
                    results_stale=results_stale,
                    self_value=self_value,
                    self_note=self_note,
                    self_submitted=participant.pk in submitted,
                )
            )
        rows.append(
            Row(
                participant=participant,
                cells=cells,
                incidents=incidents.get(participant.pk, 0),
                cell_url=reverse("score-cell", args=[participant.pk]),
            )
        )
    return rows


# ------------------------------------------------------------- what a cell posts


def parse_value(leaf, text):
    """A typed score as a Decimal (None when blank; the service then asks for one).

    Accepts what people type in Chinese input methods: full-width digits and point."""
    text = unicodedata.normalize("NFKC", text or "").strip().replace("。", ".")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise ValidationError(
            {
                "value": _("指标 %(code)s（%(name)s）的分数应是数字，例如 4 或 3.5。")
                % {"code": leaf.code, "name": leaf.name}
            }
        )
    return value


def parse_level(leaf, level_id):
    """The chosen behaviour anchor of the leaf (None when none was chosen)."""
    if not level_id:
        return None
    level = BarsLevel.objects.filter(node=leaf, pk=level_id if level_id.isdigit() else None).first()
    if level is None:
        raise ValidationError(
            {
                "level": _("指标 %(code)s（%(name)s）请从列表中选择一个行为锚定等级。")
                % {"code": leaf.code, "name": leaf.name}
            }
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
        .values_list("note", flat=True)
        .first()
        or ""
    )


def level_text(level):
    return f"{level.label}（{plain(level.value)}）"


def shown_value(entry):
    """An entry's value as the conflict message names it: the level too, when anchored."""
    return level_text(entry.level) if entry.level_id else plain(entry.value)
