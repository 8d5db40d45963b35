"""Reading democratic appraisal (SPEC §1, §3.4; issue 6): return rates while the survey
runs, aggregate results afterwards, paper-count states.

Who sees what:
- staff (admins, county/town assessors, observers) over their scope: return rates and
  paper-count states at any time; aggregate results with comments from 评分中 on (the
  survey runs while the cycle is 进行中, and half-counted results would only invite
  guessing who answered what);
- a secretary: nothing of other communities; their own community's aggregate (counts and
  rates, never comments, so no resident's words reach the person they judged) once the
  cycle's results are visible to them (公示 and after, SPEC §1);
- a category's counts, rate and comments are shown only from K counted ballots — and
  none of a community's categories while one of them has 1..K-1 (it would follow from
  the overall rate by subtraction) — and the overall rate only from K counted ballots in
  all (K per cycle, SurveySettings).

Rates come from the engine (`engine.satisfaction_rate`), the same function that scores
the `survey` leaves: SPEC §3.4 is written once.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from assessment.models import CycleStatus
from indicators.models import IndicatorNode, SurveyCategory
from org.models import OrgUnit
from scoring import engine
from scoring.access import STAFF_ROLES, cycle_access
from scoring.inputs import SmallSample, cycle_settings
from scoring.models import VISIBLE_TO_SECRETARY
from surveys.inputs import paper_states, survey_counts
from surveys.models import BALLOT_TABLES, BallotToken, PaperTally
from surveys.tallies.services import TallyStatus, settings_of, tally_state

# The 公示 blocker names at most this many communities, then counts the rest.
SMALL_LISTED = 10

RESULT_STATUSES = frozenset(
    {CycleStatus.SCORING, CycleStatus.REVIEW, CycleStatus.PUBLISHED, CycleStatus.ARCHIVED}
)


@dataclass(frozen=True)
class Community:
    id: int
    code: str
    name: str
    town: str
    path: str


def staff_participants(user, cycle):
    """The cycle's participants whose community is within the user's staff scope."""
    return cycle.participants.filter(community__in=OrgUnit.objects.for_user(user, STAFF_ROLES))


def staff_communities(user, cycle):
    """The cycle's participating communities within the user's staff scope, by path."""
    return cycle_communities(cycle, staff_participants(user, cycle))


def cycle_communities(cycle, participants=None):
    """The participating communities (of `participants`, default all the cycle's), by
    path: what a county-wide document reports."""
    participants = cycle.participants.all() if participants is None else participants
    rows = participants.order_by("community__path").values_list(
        "community_id",
        "community__code",
        "community__name",
        "community__parent__name",
        "community__path",
    )
    return list(dict.fromkeys(Community(*row) for row in rows))


def community_of(unit):
    """One community unit as `Community` (its town's name looked up)."""
    town = OrgUnit.objects.filter(pk=unit.parent_id).values_list("name", flat=True).first()
    return Community(unit.pk, unit.code, unit.name, town or "", unit.path)


def categories_of(cycle):
    return list(
        SurveyCategory.objects.filter(template_id=cycle.frozen_template_id).order_by(
            "-weight", "name"
        )
    )


def _percent(part, whole):
    if not whole:
        return None
    return engine.round2(Decimal(part) * engine.HUNDRED / Decimal(whole))


# --------------------------------------------------------------------- paper counts


@dataclass
class TallyGroup:
    community: Community
    category: SurveyCategory
    status: TallyStatus
    counted: tuple | None
    keyings: list = field(default_factory=list)

    def own(self, user):
        return next((k for k in self.keyings if k.keyed_by_id == user.pk), None)

    @property
    def status_label(self):
        return self.status.label


def tally_groups(cycle, communities, categories):
    """One TallyGroup per community × category, with its keyings (two queries)."""
    double_entry = settings_of(cycle).double_entry
    keyings = defaultdict(list)
    for tally in (
        PaperTally.objects.filter(cycle=cycle, community__in=[c.id for c in communities])
        .select_related("keyed_by")
        .order_by("updated_at")
    ):
        keyings[tally.community_id, tally.category_id].append(tally)
    groups = []
    for community in communities:
        for category in categories:
            rows = keyings[community.id, category.pk]
            status, counted = tally_state(
                [(t.keyed_by_id, t.counts, t.updated_at) for t in rows], double_entry
            )
            groups.append(TallyGroup(community, category, status, counted, rows))
    return groups


# --------------------------------------------------------------------- return rates


@dataclass
class ReturnRate:
    label: str
    issued: int = 0
    used: int = 0
    paper: int = 0
    status: TallyStatus | None = None

    @property
    def rate(self):
        return _percent(self.used, self.issued)

    def add(self, other):
        self.issued += other.issued
        self.used += other.used
        self.paper += other.paper


@dataclass
class CommunityReturns:
    community: Community
    rows: list
    total: ReturnRate


def return_rates(cycle, communities):
    """Per community and category: tokens issued, used, return rate %, counted paper
    ballots; totals per community, town and county (a fixed number of queries).

    Issued counts the tokens that exist and may be used or were: a batch whose slips are
    still being made has none yet, and a voided batch (作废) keeps only its used ones in
    the base (SPEC §2)."""
    categories = categories_of(cycle)
    ids = [c.id for c in communities]
    issued, used = {}, {}
    for c, k, n_issued, n_used in (
        BallotToken.objects.filter(batch__cycle=cycle, batch__community__in=ids)
        .order_by()
        .values("batch__community_id", "batch__category_id")
        .annotate(
            n_issued=Count("pk", filter=Q(voided=False)),
            n_used=Count("pk", filter=Q(used_on__isnull=False)),
        )
        .values_list("batch__community_id", "batch__category_id", "n_issued", "n_used")
    ):
        issued[c, k], used[c, k] = n_issued, n_used
    # Only each group's state and counted ballots: the keyings as plain rows (a city's
    # are tens of thousands; `tally_groups` builds a model for each).
    states = paper_states(
        cycle,
        PaperTally.objects.filter(cycle=cycle, community__in=ids),
        "community_id",
        "category_id",
    )
    per_community, towns = [], {}
    county = ReturnRate(cycle.county.name)
    for community in communities:
        total = ReturnRate(community.name)
        rows = []
        for category in categories:
            key = community.id, category.pk
            status, counted = states.get(key, (TallyStatus.MISSING, None))
            row = ReturnRate(
                category.name,
                issued=issued.get(key, 0),
                used=used.get(key, 0),
                paper=sum(counted) if counted else 0,
                status=status,
            )
            rows.append(row)
            total.add(row)
        per_community.append(CommunityReturns(community, rows, total))
        towns.setdefault(community.town, ReturnRate(community.town)).add(total)
        county.add(total)
    return per_community, list(towns.values()), county


def town_return_rates(cycle, participants):
    """`return_rates`' town and county totals alone — {town name: ReturnRate} and the
    county's (None when `participants` have no community) — summed in the database
    rather than from a row per community and category (a city has 9,000).

    Under double entry (the default) a group's paper ballots count once two keyings
    agree (`paper_states`): decided here per group in SQL, then summed per town. Single
    entry goes through `return_rates` itself."""
    names = list(
        participants.order_by().values_list("community__parent__name", flat=True).distinct()
    )
    if not names:
        return {}, None
    if not settings_of(cycle).double_entry:
        _rows, towns, county = return_rates(cycle, cycle_communities(cycle, participants))
        return {town.label: town for town in towns}, county
    communities = participants.order_by().values("community_id")
    categories = [category.pk for category in categories_of(cycle)]
    towns = {name: ReturnRate(name) for name in names}
    for name, issued, used in (
        BallotToken.objects.filter(
            batch__cycle=cycle, batch__community__in=communities, batch__category__in=categories
        )
        .order_by()
        .values("batch__community__parent__name")
        .annotate(
            n_issued=Count("pk", filter=Q(voided=False)),
            n_used=Count("pk", filter=Q(used_on__isnull=False)),
        )
        .values_list("batch__community__parent__name", "n_issued", "n_used")
    ):
        town = towns.setdefault(name, ReturnRate(name))
        town.issued += issued
        town.used += used
    for name, paper in _agreed_paper_per_town(cycle, communities, categories):
        towns.setdefault(name, ReturnRate(name)).paper += paper
    county = ReturnRate(cycle.county.name)
    for town in towns.values():
        county.add(town)
    return towns, county


def _agreed_paper_per_town(cycle, communities, categories):
    """(town name, paper ballots) of the groups whose keyings agree (two or more, every
    count's lowest equal to its highest: `paper_states`)."""
    if not categories:
        return []
    inner, params = communities.query.sql_with_params()
    agree = " AND ".join(f"g.{name}_low = g.{name}_high" for name in PAPER_COUNTS)
    bounds = ", ".join(
        f"MIN(p.{name}) AS {name}_low, MAX(p.{name}) AS {name}_high" for name in PAPER_COUNTS
    )
    counted = " + ".join(f"g.{name}_low" for name in PAPER_COUNTS)
    marks = ", ".join(["%s"] * len(categories))
    unit = OrgUnit._meta.db_table
    sql = (
        f"SELECT t.name, SUM({counted}) FROM ("
        f"SELECT p.community_id, COUNT(*) AS n, {bounds}"
        f" FROM {PaperTally._meta.db_table} p"
        f" WHERE p.cycle_id = %s AND p.category_id IN ({marks}) AND p.community_id IN ({inner})"
        " GROUP BY p.community_id, p.category_id) g"
        f" JOIN {unit} c ON c.id = g.community_id LEFT JOIN {unit} t ON t.id = c.parent_id"
        f" WHERE g.n >= 2 AND {agree} GROUP BY t.name"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [cycle.pk, *categories, *params])
        return [(name, int(paper)) for name, paper in cursor.fetchall()]


PAPER_COUNTS = ("satisfied", "basic", "unsatisfied", "unknown")


# -------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Audience:
    """Which communities' aggregate results the user sees, and whether with comments."""

    communities: list
    comments: bool


def results_audience(user, cycle):
    """SPEC §1: staff over their scope once the survey is over; a secretary their own
    community after publication, without comments. None: nothing to see."""
    access = cycle_access(user, cycle)
    if access.sees_others:
        if cycle.status not in RESULT_STATUSES:
            return None
        return Audience(staff_communities(user, cycle), comments=True)
    own = access.own_participant
    if own is not None and cycle.status in VISIBLE_TO_SECRETARY:
        return Audience([community_of(own.community)], comments=False)
    return None


@dataclass
class CategoryResult:
    name: str
    weight: Decimal
    satisfied: int
    basic: int
    unsatisfied: int
    unknown: int
    rate: Decimal | None
    shown: bool
    comments: list

    @property
    def counted(self):
        return self.satisfied + self.basic + self.unsatisfied


@dataclass
class CommunityResult:
    community: Community
    categories: list
    counted: int
    rate: Decimal
    shown: bool
    min_group_size: int

    @property
    def no_ballots(self):
        """SPEC §3.4: no counted ballot at all → rate 0 and a warning."""
        return self.counted == 0


def aggregate_results(cycle, audience):
    """Per community: per category counts by choice and rate_c, the overall rate
    (SPEC §3.4, by the engine), comments sorted by text; each hidden below K."""
    k = settings_of(cycle).min_group_size
    categories = categories_of(cycle)
    values = cycle_settings(cycle).survey_values
    weights = {c.name: c.weight for c in categories}
    ids = [c.id for c in audience.communities]
    totals = survey_counts(cycle, communities=ids)
    comments = defaultdict(list)
    if audience.comments:
        released, pooled = (
            table.objects.filter(cycle=cycle, community__in=ids)
            .exclude(comment="")
            .values_list("community__code", "category__name", "comment")
            for table in BALLOT_TABLES
        )
        for community, category, text in released.union(pooled, all=True).order_by("comment"):
            comments[community, category].append(text)
    results = []
    for community in audience.communities:
        counts = [
            engine.SurveyCount(
                community.code, c.name, *totals.get((community.code, c.name), (0,) * 4)
            )
            for c in categories
        ]
        rows = []
        # A category below K hidden beside shown ones would follow by subtraction from
        # the overall rate (which the result page shows): then no category is shown.
        sizes = [c.satisfied + c.basic + c.unsatisfied for c in counts]
        any_small = any(0 < n < k for n in sizes)
        for category, count in zip(categories, counts, strict=True):
            counted = count.satisfied + count.basic + count.unsatisfied
            shown = counted >= k and not any_small
            rate = engine.satisfaction_rate([count], {category.name: Decimal(1)}, values)
            rows.append(
                CategoryResult(
                    category.name,
                    category.weight,
                    count.satisfied,
                    count.basic,
                    count.unsatisfied,
                    count.unknown,
                    engine.round2(rate.rate) if counted else None,
                    shown,
                    comments[community.code, category.name] if shown else [],
                )
            )
        overall = engine.satisfaction_rate(counts, weights, values)
        results.append(
            CommunityResult(
                community,
                rows,
                overall.counted,
                engine.round2(overall.rate),
                overall.counted >= k,
                k,
            )
        )
    return results


def small_samples(cycle, communities=None):
    """{community id: SmallSample} of the cycle's participating communities whose counted
    ballots (online + paper, 不了解 not counted) are fewer than K (SPEC §3.4 Validity):
    their 民主评议 is not valid — too few to keep each resident's choice hidden, or none
    at all (then also rate 0 and the warning 无有效测评票) — and the cycle may not go to
    公示 until more slips or paper counts come in. Nothing when the cycle's indicator
    tree has no `survey` leaf. Three queries."""
    if not IndicatorNode.objects.filter(
        template_id=cycle.frozen_template_id, method=engine.Method.SURVEY, children__isnull=True
    ).exists():
        return {}
    k = settings_of(cycle).min_group_size
    counted = counted_ballots(cycle, communities)
    return {pk: SmallSample(n, k) for pk, n in counted.items() if n < k}


def counted_ballots(cycle, communities=None):
    """{community id: counted ballots (online + paper, 不了解 not counted)} of every
    participating community (of `communities`, ids, when given).

    The whole cycle's reading is kept in the cache for the cycle's `inputs_version`:
    every ballot cast and every paper count that changes what counts bumps it, and the
    cycle page, the home page's to-dos and the dashboard all ask (a city reads 9,000
    groups of paper counts and its ballots to answer). A few communities — a participant
    page, a page of the grid — are counted on their own: while scores are being entered
    the version moves with every save, and the whole city would be read again each time."""
    wanted = None if communities is None else set(communities)
    if wanted is not None and len(wanted) <= NARROWED_COMMUNITIES:
        return _counted(cycle, cycle.participants.filter(community__in=wanted), wanted)
    key = f"surveys:counted-ballots:{cycle.pk}:{cycle.inputs_version}"
    found = cache.get(key)
    if found is None:
        found = _counted(cycle, cycle.participants.all())
        cache.set(key, found, COUNTED_SECONDS)
    if wanted is not None:
        found = {pk: n for pk, n in found.items() if pk in wanted}
    return found


def _counted(cycle, participants, communities=None):
    codes = dict(participants.order_by().values_list("community__code", "community_id"))
    found = dict.fromkeys(codes.values(), 0)
    for (code, _category), (satisfied, basic, unsatisfied, _unknown) in survey_counts(
        cycle, communities=None if communities is None else list(communities)
    ).items():
        if code in codes:
            found[codes[code]] += satisfied + basic + unsatisfied
    return found


# Up to this many communities are counted on their own; more are read from the whole
# cycle's (cached) counts.
NARROWED_COMMUNITIES = 200


COUNTED_SECONDS = 60 * 60


def small_sample_problems(cycle):
    """Why the cycle may not go to 公示 (a result check): the communities whose survey
    sample is too small, by name, with their counts."""
    small = small_samples(cycle)
    if not small:
        return []
    names = dict(OrgUnit.objects.filter(pk__in=small).values_list("pk", "name"))
    k = next(iter(small.values())).k
    listed = sorted(small.items(), key=lambda item: names[item[0]])
    parts = [
        _("%(name)s %(n)d 张") % {"name": names[pk], "n": sample.counted}
        for pk, sample in listed[:SMALL_LISTED]
    ]
    if len(listed) > SMALL_LISTED:
        parts.append(_("另有 %(n)d 个社区") % {"n": len(listed) - SMALL_LISTED})
    return [
        _(
            "民主评议样本不足：以下社区的有效测评票少于 %(k)d 张，测评无效且可能暴露投票人的选择"
            "（%(list)s）。请增发测评票或录入纸质票汇总，达到 %(k)d 张后再开始公示。"
        )
        % {"k": k, "list": "、".join(parts)}
    ]


def paper_count_note(cycle, transition_name):
    """Before scoring or 公示: paper counts keyed once awaiting the second keying, or two
    keyings that disagree — neither counts in the satisfaction rate."""
    if transition_name not in ("start_scoring", "start_review", "publish"):
        return []
    states = [
        status
        for status, _counted in paper_states(
            cycle, PaperTally.objects.filter(cycle=cycle), "community_id", "category_id"
        ).values()
    ]
    notes = []
    pending = states.count(TallyStatus.PENDING)
    conflicts = states.count(TallyStatus.CONFLICT)
    if conflicts:
        notes.append(
            _("%(n)d 组纸质票两次录入不一致，不计入满意率，请核对后更正。") % {"n": conflicts}
        )
    if pending:
        notes.append(
            _("%(n)d 组纸质票只录入了一次，等待第二人录入，暂不计入满意率。") % {"n": pending}
        )
    return notes
