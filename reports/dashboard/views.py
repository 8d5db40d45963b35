"""工作台 in the browser: a cycle's progress for its staff, and `/dashboard/`, which
opens the one the reader most likely wants. A cycle's page answers 404 to secretaries
and to anyone outside the cycle's county (SPEC §1: existence does not leak)."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views import View

from assessment.selectors import cycle_crumbs
from org.access import RoleRequiredMixin
from reports.dashboard import selectors
from scoring.access import STAFF_ROLES


class DashboardView(RoleRequiredMixin, View):
    """The newest cycle in progress the reader works on as staff; a page saying so when
    none is running. A page secretaries never have (403, DESIGN §4)."""

    roles = STAFF_ROLES

    def get(self, request):
        cycle = selectors.running_cycle(request.user)
        if cycle is not None:
            return redirect("cycle-dashboard", cycle.pk)
        return render(
            request,
            "reports/dashboard/none_running.html",
            {"breadcrumbs": [(_("工作台"), "")]},
        )


class CycleDashboardView(LoginRequiredMixin, View):
    def get(self, request, pk):
        cycle = get_object_or_404(
            selectors.staff_cycles(request.user).select_related("county"), pk=pk
        )
        board = selectors.dashboard(request.user, cycle)
        return render(
            request,
            "reports/dashboard/detail.html",
            {
                "cycle": cycle,
                "board": board,
                "breadcrumbs": [*cycle_crumbs(cycle), (_("工作台"), "")],
            },
        )
