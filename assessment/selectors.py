"""Reads other apps' pages share: the cycle a manager works on, the trail of a cycle's
pages; and the cycle page's participant list: counted per town, filtered."""

from dataclasses import dataclass

from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from assessment.models import Cycle
from assessment.services import MANAGER_ROLES, may_manage
from core.views import int_or_none


def managed_cycle(user, pk):
    """The cycle, if the user manages it; 404 otherwise (existence does not leak)."""
    cycle = get_object_or_404(
        Cycle.objects.for_user(user, roles=MANAGER_ROLES).select_related("county"), pk=pk
    )
    if not may_manage(user, cycle):
        raise Http404
    return cycle


def cycle_crumbs(cycle):
    return [
        (_("考核周期"), reverse("cycle-list")),
        (cycle.name, reverse("cycle-detail", args=[cycle.pk])),
    ]


def participant_towns(participants):
    """Per town of the participants: how many, how many graded (one aggregate query) —
    the cycle page's summary, whatever page of the list it shows (SPEC §6)."""
    rows = (
        participants.order_by("community__parent__path")
        .values("community__parent_id", "community__parent__name")
        .annotate(n=Count("pk"), graded=Count("pk", filter=Q(is_graded=True)))
    )
    return [
        {
            "pk": row["community__parent_id"],
            "name": row["community__parent__name"],
            "n": row["n"],
            "graded": row["graded"],
            "not_graded": row["n"] - row["graded"],
        }
        for row in rows
    ]


@dataclass(frozen=True)
class ParticipantFilter:
    """The participant list's filters: a search (name, 工号, community), a town, graded
    or not. A town outside the reader's scope matches nothing (the list is scoped)."""

    q: str = ""
    town: int | None = None
    graded: bool | None = None

    @classmethod
    def from_query(cls, query):
        return cls(
            q=query.get("q", "").strip()[:50],
            town=int_or_none(query.get("town")),
            graded={"yes": True, "no": False}.get(query.get("graded", "")),
        )

    def __bool__(self):
        return bool(self.q or self.town or self.graded is not None)

    def apply(self, participants):
        if self.q:
            participants = participants.filter(
                Q(secretary__name__icontains=self.q)
                | Q(secretary__staff_no__icontains=self.q)
                | Q(community__name__icontains=self.q)
            )
        if self.town:
            participants = participants.filter(community__parent_id=self.town)
        if self.graded is not None:
            participants = participants.filter(is_graded=self.graded)
        return participants
