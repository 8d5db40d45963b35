"""首页: one page, a section per role the user holds, each showing what exists in scope."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Count, Prefetch, Q
from django.utils import timezone
from django.views.generic import TemplateView

from core.todo import todos
from org import audit
from org.models import Membership, OrgUnit, OrgUnitKind, Secretary, User
from org.scope import Role, scope_of


class HomeView(LoginRequiredMixin, TemplateView):
    template_name = "org/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        scope = scope_of(user)
        context["memberships"] = (
            user.memberships.filter(is_active=True).select_related("org_unit").order_by("role")
        )
        if scope.has_role(Role.ADMIN):
            context["admin"] = admin_overview(user)
        units = {g.role: [] for g in scope.grants}
        grant_units = OrgUnit.objects.in_bulk([g.unit_id for g in scope.grants])
        for grant in scope.grants:
            units[grant.role].append(grant_units[grant.unit_id])
        if Role.COUNTY_ASSESSOR in units:
            context["counties"] = [county_overview(u) for u in units[Role.COUNTY_ASSESSOR]]
        if Role.TOWN_ASSESSOR in units:
            context["towns"] = [town_overview(u) for u in units[Role.TOWN_ASSESSOR]]
        if Role.SECRETARY in units:
            context["posts"] = Secretary.objects.filter(user=user).select_related(
                "community__parent"
            )
        if Role.OBSERVER in units:
            context["observed_units"] = units[Role.OBSERVER]
        context["todos"] = todos(user)
        if audit.can_read_audit(user):
            rows = list(audit.audit_rows(user)[:8])
            context["recent_changes"] = audit.hydrate(rows)
        return context


def admin_overview(user):
    units = OrgUnit.objects.for_user(user, roles={Role.ADMIN})
    by_kind = dict(units.values_list("kind").annotate(n=Count("pk")).order_by())
    return {
        "unit_counts": [(label, by_kind.get(kind, 0)) for kind, label in OrgUnitKind.choices],
        "n_users": User.objects.manageable_by(user).count(),
        "role_counts": [
            (Role(role).label, n)
            for role, n in Membership.objects.filter(org_unit__in=units, is_active=True)
            .values_list("role")
            .annotate(n=Count("pk"))
            .order_by("role")
        ],
    }


def county_overview(county):
    today = timezone.localdate()
    in_post = Q(children__secretaries__tenure_start__lte=today) & (
        Q(children__secretaries__tenure_end__isnull=True)
        | Q(children__secretaries__tenure_end__gte=today)
    )
    towns = (
        OrgUnit.objects.filter(parent=county, kind=OrgUnitKind.TOWN)
        .annotate(
            n_communities=Count("children", distinct=True),
            n_secretaries=Count("children__secretaries", filter=in_post, distinct=True),
        )
        .order_by("code")
    )
    return {"unit": county, "towns": towns}


def town_overview(town):
    communities = (
        OrgUnit.objects.filter(parent=town, kind=OrgUnitKind.COMMUNITY)
        .annotate(n_grids=Count("children", distinct=True))
        .prefetch_related(Prefetch("secretaries", queryset=Secretary.objects.current()))
        .order_by("code")
    )
    return {"unit": town, "communities": communities}
