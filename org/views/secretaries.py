"""社区书记: the secretaries' post records in one's scope; admins and county assessors
record new posts, end posts and record successors (SPEC §2)."""

from urllib.parse import urlencode

from django.contrib import messages
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, ListView

from core.pagination import PaginatedListMixin
from core.views import BreadcrumbsMixin, ServiceFormMixin, int_or_none
from org import services
from org.access import RoleRequiredMixin
from org.forms import SecretaryForm
from org.models import OrgUnit, OrgUnitKind, Secretary, User
from org.scope import Role, scope_of

# A secretary has their own pages; this list is for those who look after many.
READERS = (Role.ADMIN, Role.COUNTY_ASSESSOR, Role.TOWN_ASSESSOR, Role.OBSERVER)
EDITORS = services.SECRETARY_EDITORS

STATUSES = [
    ("current", gettext_lazy("在任")),
    ("former", gettext_lazy("已离任")),
    ("all", gettext_lazy("全部")),
]


def editable_secretaries(user):
    """Post records the user may change: inside their admin or county assessor subtrees
    (not their own record through a secretary membership)."""
    scope = scope_of(user)
    qs = Secretary.objects.for_user(user, roles=EDITORS)
    return qs if scope.is_global else qs.filter(scope.path_q("community__path", EDITORS))


class SecretaryListView(RoleRequiredMixin, BreadcrumbsMixin, PaginatedListMixin, ListView):
    roles = READERS
    template_name = "org/secretary_list.html"

    def status(self):
        status = self.request.GET.get("status")
        return status if status in dict(STATUSES) else "current"

    def selected_town(self):
        return int_or_none(self.request.GET.get("town"))

    def towns(self):
        return OrgUnit.objects.for_user(self.request.user, roles=READERS).filter(
            kind=OrgUnitKind.TOWN
        )

    def get_queryset(self):
        qs = Secretary.objects.for_user(self.request.user, roles=READERS).select_related(
            "community__parent", "user"
        )
        q = self.request.GET.get("q", "").strip()
        if q:
            qs = qs.filter(
                Q(staff_no__icontains=q) | Q(name__icontains=q) | Q(community__name__icontains=q)
            )
        status = self.status()
        if status == "current":
            qs = qs.current()
        elif status == "former":
            qs = qs.filter(tenure_end__lt=timezone.localdate())
        town = self.selected_town()
        if town is not None:
            qs = qs.filter(community__parent_id=town)
        return qs.order_by("community__path", "-tenure_start", "staff_no")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        scope = scope_of(self.request.user)
        for secretary in context["object_list"]:
            secretary.editable = scope.covers_path(secretary.community.path, EDITORS)
        context["statuses"] = STATUSES
        context["status"] = self.status()
        context["towns"] = self.towns()
        context["selected_town"] = self.selected_town()
        context["can_create"] = scope.has_role(*EDITORS)
        return context

    def get_breadcrumbs(self):
        return [(_("社区书记"), None)]


class SecretaryFormView(RoleRequiredMixin, ServiceFormMixin, BreadcrumbsMixin, FormView):
    """Record a post (no pk) or change one (pk): admins and county assessors, in scope."""

    roles = tuple(EDITORS)
    form_class = SecretaryForm
    template_name = "org/secretary_form.html"

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.secretary = None

    def get_secretary(self):
        if "pk" in self.kwargs and self.secretary is None:
            self.secretary = get_object_or_404(
                editable_secretaries(self.request.user).select_related("community", "user"),
                pk=self.kwargs["pk"],
            )
        return self.secretary

    def communities(self):
        return OrgUnit.objects.for_user(self.request.user, roles=EDITORS).filter(
            kind=OrgUnitKind.COMMUNITY
        )

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        secretary = self.get_secretary()
        accounts = services.linkable_secretary_accounts(self.request.user, secretary)
        if secretary is not None and secretary.user_id:
            # The linked account stays a choice even if its role has since lapsed.
            accounts = accounts | User.objects.filter(pk=secretary.user_id)
        kwargs["community_choices"] = self.communities()
        kwargs["account_choices"] = accounts
        kwargs["editing"] = secretary is not None
        return kwargs

    def get_initial(self):
        secretary = self.get_secretary()
        if secretary is None:
            community = self.communities().filter(pk=int_or_none(self.request.GET.get("community")))
            return {"community": community.first()}
        return {
            "staff_no": secretary.staff_no,
            "name": secretary.name,
            "community": secretary.community,
            "tenure_start": secretary.tenure_start,
            "tenure_end": secretary.tenure_end,
            "has_social_work_certificate": secretary.has_social_work_certificate,
            "certificate_date": secretary.certificate_date,
            "user": secretary.user,
            "version": secretary.version,
        }

    def form_valid(self, form):
        data = dict(form.cleaned_data)
        version = data.pop("version")
        actor, secretary = self.request.user, self.get_secretary()
        if secretary is None:
            saved, refused = self.run_service(
                form, lambda: services.create_secretary(actor=actor, **data)
            )
            message = _("已新增书记任职记录“%(name)s”。")
        else:
            saved, refused = self.run_service(
                form,
                lambda: services.update_secretary(
                    actor=actor, secretary=secretary, version=version, **data
                ),
            )
            message = _("已保存书记任职记录“%(name)s”。")
        if refused:
            return refused
        messages.success(self.request, message % {"name": saved})
        query = urlencode({"q": saved.staff_no, "status": "all"})
        return redirect(f"{reverse('secretary-list')}?{query}")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["secretary"] = self.get_secretary()
        return context

    def get_breadcrumbs(self):
        trail = [(_("社区书记"), reverse("secretary-list"))]
        secretary = self.get_secretary()
        if secretary is None:
            return [*trail, (_("新增任职记录"), None)]
        return [*trail, (str(secretary), None), (_("编辑"), None)]
