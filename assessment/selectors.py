"""Reads other apps' pages share: the cycle a manager works on, the trail of a cycle's
pages."""

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from assessment.models import Cycle
from assessment.services import MANAGER_ROLES, may_manage


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
