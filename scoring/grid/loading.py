"""Loading one page of the grid (`load_grid`): the participants in the user's scope
(paginated, optionally one town) × the leaves of one dimension, each row's cells with
their values and hints, and the counters — per column, per dimension tab and over the
whole scope — in a fixed number of queries whatever the number of participants.
"""

import json
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.core.paginator import Paginator
from django.db.models import Count
from django.urls import reverse

from assessment.models import Participant
from indicators.models import BarsLevel, IndicatorNode
from org.models import OrgUnit, OrgUnitKind
from scoring.access import cycle_access, reads_whole_county
from scoring.engine import Method
from scoring.grid.cells import COMPUTED, LEVEL, NUMBER, OVERRIDE, Cell, Column
from scoring.grid.status import EntryStatus, default_source, entry_status
from scoring.guards import warned_gaps
from scoring.inputs import small_samples
from scoring.models import (
    CriticalIncident,
    LeafResult,
    Result,
    ResultVersion,
    ScoreEntry,
    SelfEvaluation,
    SelfEvaluationStatus,
    Source,
)
from scoring.services import may_enter

# The grid is for the assessors' two sources; 自评 is the secretary's own page.
GRID_SOURCES = (Source.TARGET, Source.ORG)
# A screenful or two of rows × a dimension's leaves: quick to render and to tab through
# (a town filter narrows the list; the pager goes through the rest).
ROWS_PER_PAGE = 50


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
    participant=None,
):
    """One page of the grid for the user: their participants (`Participant.for_user`,
    optionally one town) × the leaves of one dimension, for one source.

    `participant_id` and `leaf_id` load the single row and the dimension of one cell
    (the answer to a cell's autosave); the counters still cover every row listed.
    `participant`, that row's participant already read within the user's scope (with its
    secretary and community's town), saves reading it again when no town is chosen.
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

    if participant_id is not None and town_id is None:
        towns, town = [], None  # one cell's answer: no filter to offer, none applied
    else:
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
        if participant is not None and town is None and participant.pk == participant_id:
            participants = [participant]
        else:
            participants = list(ordered.filter(pk=participant_id))
        count = listed.count()

    results = ResultVersion.objects.filter(cycle=cycle, is_current=True).first()
    results_stale = results is None or results.inputs_version != cycle.inputs_version
    all_leaves = [leaf for dim in tree.dimensions for leaf in tree.leaves[dim.pk]]
    required_ids = {leaf.pk for leaf in all_leaves if not leaf.is_automatic}
    current = None if results_stale else results
    filled = _filled_by_leaf(user, status.rater, listed, source, all_leaves, current)
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
        required = [leaf for leaf in all_leaves if leaf.pk in required_ids]
        counts = _filled_by_leaf(user, status.rater, scoped, source, required, current)
        everyone = scoped.count()
    scope_progress = Progress(
        sum(n for pk, n in counts.items() if pk in required_ids), everyone * len(required_ids)
    )

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


def _filled_by_leaf(user, rater, participants, source, leaves, results=None):
    """{leaf id: participants with a value} — the user's own values when they rate.

    A rater's own entries are one per participant and leaf: counted as rows. Everyone's
    are counted per participant, which reads every rater's entries — unless `results`
    (current) already say it: for a `rating` leaf, whoever their row does not warn of a
    gap there (`scoring.guards.warned_gaps`); only the automatic leaves' few
    entries (组织考评 overrides) are then counted."""
    entries = ScoreEntry.objects.filter(
        participant__in=participants.order_by().values("pk"), source=source
    )
    if rater:
        entries = entries.filter(rater=user, leaf_id__in=[leaf.pk for leaf in leaves])
        return dict(entries.order_by().values_list("leaf_id").annotate(n=Count("pk")))
    rating = [leaf for leaf in leaves if not leaf.is_automatic]
    if results is None or not rating:
        entries = entries.filter(leaf_id__in=[leaf.pk for leaf in leaves])
        return dict(
            entries.order_by()
            .values_list("leaf_id")
            .annotate(n=Count("participant_id", distinct=True))
        )
    gaps = Counter()
    listed = 0
    for (warnings,) in Result.objects.filter(
        version=results, participant__in=participants.order_by().values("pk")
    ).values_list("warnings"):
        listed += 1
        for _source, codes in warned_gaps(warnings, [source]):
            gaps.update(codes)
    filled = {leaf.pk: listed - gaps[leaf.code] for leaf in rating}
    automatic = [leaf.pk for leaf in leaves if leaf.is_automatic]
    if automatic:
        filled.update(
            entries.filter(leaf_id__in=automatic)
            .order_by()
            .values_list("leaf_id")
            .annotate(n=Count("participant_id", distinct=True))
        )
    return filled


def _without_small_samples(user, cycle, columns, participants, computed):
    """SPEC §3.4 Validity: a survey leaf computed from fewer than K counted ballots is
    shown to the county's own staff only; others see the cell empty."""
    surveys = {c.leaf.pk for c in columns if c.leaf.method == Method.SURVEY}
    if not surveys or reads_whole_county(user, cycle):
        return computed
    small = small_samples(cycle, [p.community_id for p in participants])
    hidden = {p.pk for p in participants if p.community_id in small}
    return {
        key: value
        for key, value in computed.items()
        if not (key[0] in hidden and key[1] in surveys)
    }


def _rows(user, cycle, source, status, columns, participants, results, results_stale):
    ids = [p.pk for p in participants]
    leaf_ids = [column.leaf.pk for column in columns]
    own, others = {}, defaultdict(list)
    # Read once: `user` is the request's lazy object, slow to ask thousands of times.
    mine = user.pk if status.rater else None
    own_self = {}
    # The source's entries and the secretaries' self-evaluations in one read: both are the
    # page's participants' entries of these leaves.
    for pid, leaf, kind, rater, value, level, note, version in (
        ScoreEntry.objects.filter(
            participant_id__in=ids, leaf_id__in=leaf_ids, source__in=(source, Source.SELF)
        )
        .order_by()
        .values_list(
            "participant_id",
            "leaf_id",
            "source",
            "rater_id",
            "value",
            "level_id",
            "note",
            "version",
        )
    ):
        if kind != source:
            own_self[pid, leaf] = (value, note)
        elif rater == mine:
            own[pid, leaf] = (value, level, note, version)
        else:
            others[pid, leaf].append(value)
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
                # Through the results' (version, participant) index: filtering on the
                # version alone, the planner expects a new version to hold one row
                # (its statistics predate it) and walks all of them.
                sheet_id__in=Result.objects.filter(version=results, participant_id__in=ids).values(
                    "sheet_id"
                ),
                leaf_id__in=automatic,
            )
            .order_by()
            .values_list(
                "sheet__participant_id", "leaf_id", "target_value", "org_value", "org_overridden"
            )
        }
        computed = _without_small_samples(user, cycle, columns, participants, computed)
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
        pid = participant.id
        for column in columns:
            key = (pid, column.leaf.id)
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
                    self_submitted=pid in submitted,
                )
            )
        rows.append(
            Row(
                participant=participant,
                cells=cells,
                incidents=incidents.get(pid, 0),
                cell_url=reverse("score-cell", args=[pid]),
            )
        )
    return rows
