"""The surveys app's lines of the home page's 待办 (`core.todo`), for those who key paper
counts: counts that disagree, counts waiting for the user's second keying, and
communities whose 民主评议 has fewer than K counted ballots (they block 公示)."""

from django.db.models import Count, Max, Min, Q
from django.urls import reverse
from django.utils.translation import gettext as _

from assessment.models import Cycle, CycleStatus
from core.todo import Todo
from org.scope import scope_of
from surveys.inputs import COUNTS
from surveys.models import PaperTally
from surveys.tallies.selectors import small_samples, staff_communities
from surveys.tallies.services import KEYER_ROLES, settings_of

KEYING = (CycleStatus.OPEN, CycleStatus.SCORING)


def survey_todos(user):
    scope = scope_of(user)
    if not (scope.is_global or any(scope.has_role(role) for role in KEYER_ROLES)):
        return []
    lines = []
    for cycle in Cycle.objects.for_user(user, KEYER_ROLES).filter(status__in=KEYING):
        communities = staff_communities(user, cycle)
        tallies = PaperTally.objects.filter(cycle=cycle, community__in=[c.id for c in communities])
        conflicts, second = _keying_counts(cycle, tallies, user)
        url = reverse("paper-tallies", args=[cycle.pk])
        if conflicts:
            lines.append(Todo(_("纸质票录入不一致"), url, conflicts, cycle.name, tone="danger"))
        if second:
            lines.append(Todo(_("纸质票等待第二人录入"), url, second, cycle.name, tone="warning"))
        if cycle.status == CycleStatus.SCORING:
            small = small_samples(cycle, [c.id for c in communities])
            if small:
                lines.append(
                    Todo(
                        _("民主评议样本不足的社区（阻止公示）"),
                        reverse("survey-return-rates", args=[cycle.pk]),
                        len(small),
                        cycle.name,
                        tone="danger",
                    )
                )
    return lines


def _keying_counts(cycle, tallies, user):
    """(groups whose keyings disagree, groups keyed once by someone else) — the states
    `tally_state` gives under double entry, counted in one query over the groups (a city
    has 9,000); none under single entry, where every keying counts at once."""
    if not settings_of(cycle).double_entry:
        return 0, 0
    spreads = {f"{name}_spread": Max(name) - Min(name) for name in COUNTS}
    disagree = Q()
    for name in spreads:
        disagree |= Q(**{f"{name}__gt": 0})
    counts = (
        tallies.order_by()
        .values("community_id", "category_id")
        .annotate(n=Count("pk"), mine=Count("pk", filter=Q(keyed_by=user)), **spreads)
        .aggregate(
            conflicts=Count("community_id", filter=Q(n__gte=2) & disagree),
            second=Count("community_id", filter=Q(n=1, mine=0)),
        )
    )
    return counts["conflicts"], counts["second"]
