"""Democratic appraisal as a scoring input (SPEC §3.4, DESIGN §3).

Per community and category, the online ballots (grouped by choice; released and still
pooled alike) and the counted paper counts become one `engine.SurveyCount` each. Two
queries whatever the cycle's size: a grouped count of both ballot tables, one of paper
keyings (with the cycle's double-entry setting joined in).

Cut-off (provisional scores, SPEC §3.6): a ballot counts from the day it was cast
(`cast_on`); a paper keying from the day it was last saved (`updated_at`, local date), so
a quarter's provisional rate never includes counts keyed after the quarter ended. With
double entry, both agreeing keyings must lie on or before the cut-off.
"""

from collections import defaultdict

from django.db.models import Count, Max, Min

from scoring import engine
from scoring.inputs import InputContribution, register_input_source
from surveys.models import BALLOT_TABLES, Choice, PaperTally
from surveys.tallies.services import TallyStatus, settings_of, tally_state

CHOICE_FIELDS = {
    Choice.SATISFIED: "satisfied",
    Choice.BASIC: "basic",
    Choice.UNSATISFIED: "unsatisfied",
    Choice.UNKNOWN: "unknown",
}


def survey_counts(cycle, cutoff=None, communities=None):
    """{(community code, category name): [satisfied, basic, unsatisfied, unknown]} of
    online ballots plus counted paper counts; `communities` (ids) narrows the rows."""
    tallies = PaperTally.objects.filter(cycle=cycle)
    if cutoff is not None:
        tallies = tallies.filter(updated_at__date__lte=cutoff)
    if communities is not None:
        tallies = tallies.filter(community__in=communities)
    totals = defaultdict(lambda: [0, 0, 0, 0])
    fields = list(CHOICE_FIELDS.values())
    grouped = []
    for table in BALLOT_TABLES:
        ballots = table.objects.filter(cycle=cycle)
        if cutoff is not None:
            ballots = ballots.filter(cast_on__lte=cutoff)
        if communities is not None:
            ballots = ballots.filter(community__in=communities)
        grouped.append(
            ballots.order_by()
            .values("community__code", "category__name", "choice")
            .annotate(n=Count("pk"))
            .values_list("community__code", "category__name", "choice", "n")
        )
    for community, category, choice, n in grouped[0].union(*grouped[1:], all=True):
        totals[community, category][fields.index(CHOICE_FIELDS[choice])] += n
    states = paper_states(cycle, tallies, "community__code", "category__name")
    for group, (_status, counted) in states.items():
        if counted is not None:
            totals[group] = [a + b for a, b in zip(totals[group], counted, strict=True)]
    return totals


def paper_keyings(tallies, community_field, category_field):
    """({(community, category): [(keyed_by id, counts, updated_at)]}, double entry on) of
    the paper keyings in `tallies`, grouped by the two fields named (one query)."""
    keyings = defaultdict(list)
    double_entry = True
    for row in tallies.values_list(
        community_field,
        category_field,
        "keyed_by_id",
        "satisfied",
        "basic",
        "unsatisfied",
        "unknown",
        "updated_at",
        "cycle__survey_settings__double_entry",
    ):
        community, category, keyer, *counts, at, setting = row
        keyings[community, category].append((keyer, tuple(counts), at))
        double_entry = setting is not False
    return keyings, double_entry


COUNTS = ("satisfied", "basic", "unsatisfied", "unknown")


def paper_states(cycle, tallies, community_field, category_field):
    """{(community, category): (status, counted counts or None)} of the keyings in
    `tallies` (of `cycle`), grouped by the two fields named, as `tally_state` decides.
    Under double entry (the default) decided in the database — one row per group: one
    keying waits, two or more agree when every count's lowest equals its highest —
    instead of every keying coming to Python (a city keys tens of thousands)."""
    double_entry = settings_of(cycle).double_entry
    if not double_entry:
        keyings, _double = paper_keyings(tallies, community_field, category_field)
        return {group: tally_state(rows, False) for group, rows in keyings.items()}
    bounds = {}
    for name in COUNTS:
        bounds[f"{name}_low"], bounds[f"{name}_high"] = Min(name), Max(name)
    rows = (
        tallies.order_by()
        .values(community_field, category_field)
        .annotate(n=Count("pk"), **bounds)
        .values_list(community_field, category_field, "n", *bounds)
    )
    states = {}
    for community, category, n, *found in rows:
        low, high = tuple(found[0::2]), tuple(found[1::2])
        if n == 1:
            states[community, category] = (TallyStatus.PENDING, None)
        elif low == high:
            states[community, category] = (TallyStatus.AGREED, low)
        else:
            states[community, category] = (TallyStatus.CONFLICT, None)
    return states


def as_engine_counts(totals):
    return tuple(
        engine.SurveyCount(community, category, *counts)
        for (community, category), counts in sorted(totals.items())
    )


@register_input_source
def survey_input(cycle, cutoff, only=None):
    """Scoring input source: the cycle's survey counts (SPEC §3.4); with `only`, of its
    communities."""
    communities = None if only is None else only.communities
    return InputContribution(
        survey_counts=as_engine_counts(survey_counts(cycle, cutoff, communities))
    )
