"""工作台: one cycle's progress at a glance, for its staff (SPEC §1, §2).

What is counted follows the reader's staff scope, as on the pages the figures link to:
the county's admins, assessors and observers count the whole county, a town's assessors
and observers their own town. Secretaries have no 工作台.

Every figure is counted in the database, grouped by town (`Count(…, filter=…)`, never a
row per participant read back), so the page makes the same number of queries for a
county of a dozen communities as for a city of thousands (SPEC §6).
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext as _

from assessment.models import Cycle, CycleStatus
from assessment.services import changed_participants
from evidence.models import Event, EventStatus, FilingStatus, MetricValue, ReformFiling
from evidence.records.selectors import metric_definitions
from indicators.models import IndicatorNode, MetricDefinition
from org.models import OrgUnit, OrgUnitKind
from reports.bulletins.selectors import latest_issued
from reports.models import Job, JobKind, JobState
from scoring.access import STAFF_ROLES, reads_whole_county
from scoring.guards import complete_participants, warned_gaps
from scoring.models import Result, SelfEvaluationStatus, Source
from scoring.services import current_results, results_are_stale
from surveys.tallies.selectors import staff_participants, town_return_rates

# A cycle "in progress": data entry, scoring or 公示 (SPEC §2 lifecycle).
RUNNING_STATUSES = (CycleStatus.OPEN, CycleStatus.SCORING, CycleStatus.REVIEW)

ONE_DECIMAL = Decimal("0.1")


def staff_cycles(user):
    """Cycles the user reads as staff: those of the counties their staff roles lie in or
    above (a secretary's own cycle is not among them)."""
    return Cycle.objects.for_user(user, roles=STAFF_ROLES)


def running_cycle(user):
    """The newest cycle in progress the user reads as staff, or None."""
    return (
        staff_cycles(user)
        .filter(status__in=RUNNING_STATUSES)
        .order_by("-year", "-created_at", "-pk")
        .first()
    )


def scoped_participants(user, cycle):
    """The cycle's participants in the user's staff scope (as on the return-rate page)."""
    return cycle.participants.filter(community__in=OrgUnit.objects.for_user(user, STAFF_ROLES))


def percent(part, whole):
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(ONE_DECIMAL, ROUND_HALF_UP)


# Per source, the attribute of `Progress` counting the participants whose values of that
# source are complete.
COMPLETE = {
    Source.SELF: "self_complete",
    Source.TARGET: "target_complete",
    Source.ORG: "org_complete",
}
COUNTS = (
    "participants",
    "not_started",
    "draft",
    "returned",
    "submitted",
    *COMPLETE.values(),
    "events_pending",
    "filings_pending",
    "communities",
    "metric_gaps",
    "metrics_filled",
)


@dataclass
class Progress:
    """The counts of one town, or of the reader's whole scope (`pk` None)."""

    name: str
    pk: int | None = None
    path: str = ""
    participants: int = 0
    not_started: int = 0
    draft: int = 0
    returned: int = 0
    submitted: int = 0
    self_complete: int = 0
    target_complete: int = 0
    org_complete: int = 0
    events_pending: int = 0
    filings_pending: int = 0
    # Communities in reach, those still missing an entered metric, and entered cells.
    communities: int = 0
    metric_gaps: int = 0
    metrics_filled: int = 0
    # Democratic appraisal: tokens issued and used (surveys' ReturnRate), if any.
    returns: object = None

    def add(self, other):
        for name in COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class SourceProgress:
    source: str
    label: str
    complete: int
    total: int


@dataclass
class Dashboard:
    cycle: object
    # Whether the reader counts the whole county (else only their towns).
    whole_county: bool
    towns: list
    total: Progress
    # Leaves of the frozen template (0 before the cycle is opened).
    n_leaves: int
    metrics_fillable: int
    returns: object
    # "none" before the first computation, "stale" (待更新) or "current".
    results: str
    results_version: object
    # [(kind label, n, url)] of the county's queued and running jobs; None: not shown.
    jobs: list | None
    bulletin: object
    chart: dict = field(default_factory=dict)

    @property
    def metrics_missing(self):
        return self.metrics_fillable - self.total.metrics_filled

    @property
    def sources(self):
        return [
            SourceProgress(
                source, Source(source).label, getattr(self.total, name), self.total.participants
            )
            for source, name in COMPLETE.items()
        ]

    @property
    def jobs_running(self):
        return sum(n for _label, n, _url in self.jobs or ())


def _complete(cycle, leaves, n_leaves, source, only=None):
    """Q: participants (`only`: of these) with a value of `source` on every one of
    `leaves` (SPEC §3.2: a missing one counts 0 and is flagged). Counted in the database
    as a subquery."""
    if cycle.frozen_template_id is None:
        return Q(pk__in=[])
    if not n_leaves:
        return Q(pk__isnull=False)
    return Q(pk__in=complete_participants(cycle, source, leaves, n_leaves, only))


def _completeness(cycle, leaves, only=None):
    """The per-source counts of complete participants, as `annotate` arguments."""
    every, rating, n_every, n_rating = leaves
    return {
        "self_complete": Count("pk", filter=_complete(cycle, every, n_every, Source.SELF, only)),
        "target_complete": Count(
            "pk", filter=_complete(cycle, rating, n_rating, Source.TARGET, only)
        ),
        "org_complete": Count("pk", filter=_complete(cycle, rating, n_rating, Source.ORG, only)),
    }


def _leaves(cycle):
    """(every leaf, the `rating` leaves) of the cycle's frozen template, and their
    numbers: 自评 covers every leaf, 目标量评 and 组织考评 the `rating` ones (SPEC §3.2).
    One query."""
    leaves = IndicatorNode.objects.filter(
        template_id=cycle.frozen_template_id, children__isnull=True
    )
    if cycle.frozen_template_id is None:
        return leaves, leaves, 0, 0
    counts = leaves.aggregate(all=Count("pk"), rating=Count("pk", filter=Q(method="rating")))
    return leaves, leaves.filter(method="rating"), counts["all"], counts["rating"]


def _town(towns, pk, name, path):
    if pk not in towns:
        towns[pk] = Progress(name=name or "", pk=pk, path=path or "")
    return towns[pk]


def _participant_counts(towns, cycle, participants, leaves):
    """Per town: participants, self-evaluation states and, per source, the participants
    without a gap. The gaps come from the current results' rows (the engine warns of
    them); while those are stale, from their rows for everyone whose inputs did not
    change since and counted from the entries for the others (`changed_participants`);
    counted for everyone when no results exist or a change's reach is unknown."""
    statuses = SelfEvaluationStatus
    version = current_results(cycle)
    changed = set()
    if version is not None and results_are_stale(cycle, version):
        changed = changed_participants(cycle.pk, version.inputs_version, cycle.inputs_version)
    warned = version is not None and changed is not None
    # Counted from the entries (every rater's values of every participant).
    completeness = {} if warned else _completeness(cycle, leaves)
    town = ("community__parent_id", "community__parent__name", "community__parent__path")
    rows = (
        participants.order_by()
        .values(*town)
        .annotate(
            participants=Count("pk"),
            not_started=Count("pk", filter=Q(self_evaluation__isnull=True)),
            draft=Count("pk", filter=Q(self_evaluation__status=statuses.DRAFT)),
            returned=Count("pk", filter=Q(self_evaluation__status=statuses.RETURNED)),
            submitted=Count("pk", filter=Q(self_evaluation__status=statuses.SUBMITTED)),
            **completeness,
        )
    )
    for row in rows:
        found = _town(towns, *(row[name] for name in town))
        for name in ("participants", "not_started", "draft", "returned", "submitted"):
            setattr(found, name, row[name])
        for name in completeness:
            setattr(found, name, row[name])
    if not warned:
        return
    _complete_from_results(towns, version, participants.exclude(pk__in=changed))
    if changed:
        counted = (
            participants.filter(pk__in=changed)
            .order_by()
            .values(*town)
            .annotate(**_completeness(cycle, leaves, only=changed))
        )
        for row in counted:
            found = _town(towns, *(row[name] for name in town))
            for name in GAPS:
                setattr(found, name, getattr(found, name) + row[name])


# Each town's count of participants without a gap in a source (SPEC §3.2).
GAPS = {
    "self_complete": Source.SELF,
    "target_complete": Source.TARGET,
    "org_complete": Source.ORG,
}


def _complete_from_results(towns, version, participants):
    """Complete participants per town and source from current results: each row warns
    of its participant's gaps (the engine read the same inputs), so a row without the
    warning is complete — one row per participant read, not every rater's entries."""
    rows = (
        Result.objects.filter(version=version, participant__in=participants.order_by())
        .order_by()
        .values_list("participant__community__parent_id", "warnings")
    )
    for town_id, warnings in rows:
        town = towns[town_id]
        lacking = {source for source, _codes in warned_gaps(warnings, GAPS.values())}
        for name, source in GAPS.items():
            if source not in lacking:
                setattr(town, name, getattr(town, name) + 1)


def _pending(towns, model, participants, status, attribute):
    rows = (
        model.objects.filter(participant__in=participants, status=status)
        .order_by()
        .values(
            "participant__community__parent_id",
            "participant__community__parent__name",
            "participant__community__parent__path",
        )
        .annotate(n=Count("pk"))
    )
    for row in rows:
        town = _town(
            towns,
            row["participant__community__parent_id"],
            row["participant__community__parent__name"],
            row["participant__community__parent__path"],
        )
        setattr(town, attribute, row["n"])


def _metric_counts(towns, user, cycle):
    """Per town, the communities the user reaches (as on the metric grid), those still
    missing an entered or imported metric, and the cells filled; returns the number of
    metrics to enter. Counted metrics come from records and are never missing."""
    keys = [d.key for d in metric_definitions(cycle) if d.source != MetricDefinition.Source.COUNTED]
    communities = OrgUnit.objects.for_user(user).filter(
        path__startswith=cycle.county.path, kind=OrgUnitKind.COMMUNITY
    )
    entered = MetricValue.objects.filter(cycle=cycle, key__in=keys, community__in=communities)
    complete = (
        entered.order_by()
        .values("community_id")
        .annotate(n=Count("key", distinct=True))
        .filter(n=len(keys))
        .values("community_id")
    )
    # Nothing to enter: no community misses anything.
    gaps = ~Q(pk__in=complete) if keys else Q(pk__isnull=True)
    for row in (
        communities.order_by()
        .values("parent_id", "parent__name", "parent__path")
        .annotate(n=Count("pk"), gaps=Count("pk", filter=gaps))
    ):
        town = _town(towns, row["parent_id"], row["parent__name"], row["parent__path"])
        town.communities, town.metric_gaps = row["n"], row["gaps"]
    for row in (
        entered.order_by()
        .values("community__parent_id", "community__parent__name", "community__parent__path")
        .annotate(n=Count("pk"))
    ):
        town = _town(
            towns,
            row["community__parent_id"],
            row["community__parent__name"],
            row["community__parent__path"],
        )
        town.metrics_filled = row["n"]
    return len(keys)


def _job_counts(cycle):
    """The county's queued and running jobs by kind, each with the page that shows it."""
    rows = (
        Job.objects.filter(
            Q(county_id=cycle.county_id) | Q(cycle=cycle),
            state__in=(JobState.QUEUED, JobState.RUNNING),
        )
        .order_by()
        .values("kind")
        .annotate(n=Count("pk"))
    )
    pages = {
        JobKind.BULLETIN: reverse("bulletin-list", args=[cycle.pk]),
        JobKind.PAY_BANDS: reverse("pay-bands", args=[cycle.pk]),
    }
    counts = {row["kind"]: row["n"] for row in rows}
    imports = reverse("import-list")
    return [
        (kind.label, counts[kind], pages.get(kind, imports)) for kind in JobKind if counts.get(kind)
    ]


def chart_data(towns):
    """Per town, the share of participants whose self-evaluation is submitted and whose
    目标量评 and 组织考评 are complete (percent): a grouped bar chart."""
    series = [
        (_("自评已提交"), "submitted"),
        (_("目标量评已录完"), "target_complete"),
        (_("组织考评已录完"), "org_complete"),
    ]
    return {
        "towns": [t.name for t in towns],
        "series": [
            {
                "name": label,
                "values": [float(percent(getattr(t, name), t.participants) or 0) for t in towns],
                "counts": [f"{getattr(t, name)}/{t.participants}" for t in towns],
            }
            for label, name in series
        ],
    }


def dashboard(user, cycle):
    """The 工作台 of `cycle` as `user` reads it. A fixed number of queries."""
    whole_county = reads_whole_county(user, cycle)
    participants = scoped_participants(user, cycle)
    leaves = _leaves(cycle)
    towns = {}
    _participant_counts(towns, cycle, participants, leaves)
    _pending(towns, Event, participants, EventStatus.REPORTED, "events_pending")
    _pending(towns, ReformFiling, participants, FilingStatus.PENDING, "filings_pending")
    metric_keys = _metric_counts(towns, user, cycle)
    by_name, county_returns = town_return_rates(cycle, staff_participants(user, cycle))
    ordered = sorted(towns.values(), key=lambda t: t.path)
    total = Progress(name=cycle.county.name if whole_county else _("合计"))
    for town in ordered:
        town.returns = by_name.get(town.name)
        total.add(town)
    total.returns = county_returns
    version = current_results(cycle)
    if version is None:
        results = "none"
    else:
        results = "stale" if results_are_stale(cycle, version) else "current"
    return Dashboard(
        cycle=cycle,
        whole_county=whole_county,
        towns=ordered,
        total=total,
        n_leaves=leaves[2],
        metrics_fillable=metric_keys * total.communities,
        returns=total.returns,
        results=results,
        results_version=version,
        jobs=_job_counts(cycle) if whole_county else None,
        bulletin=latest_issued(user, cycle),
        chart=chart_data(ordered),
    )
