"""组织架构: browse the org tree in one's scope; admins create, edit and delete units."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import DetailView, FormView, ListView

from core.pagination import PaginatedListMixin
from core.versioning import StaleVersion
from core.views import BreadcrumbsMixin, ServiceFormMixin, int_or_none
from org import services
from org.access import RoleRequiredMixin
from org.forms import OrgUnitForm
from org.models import OrgUnit, OrgUnitKind
from org.scope import Role, scope_of
from org.views.workers import READERS as WORKER_READERS


class OrgUnitListView(LoginRequiredMixin, BreadcrumbsMixin, PaginatedListMixin, ListView):
    template_name = "org/orgunit_list.html"

    def get_queryset(self):
        qs = OrgUnit.objects.for_user(self.request.user).select_related("parent")
        q = self.request.GET.get("q", "").strip()
        if q:
            qs = qs.filter(Q(name__icontains=q) | Q(code__icontains=q))
        kind = self.request.GET.get("kind")
        if kind in OrgUnitKind.values:
            qs = qs.filter(kind=kind)
        return qs.with_child_count().order_by("path")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["kinds"] = OrgUnitKind.choices
        context["can_manage"] = scope_of(self.request.user).has_role(Role.ADMIN)
        return context

    def get_breadcrumbs(self):
        return [(_("组织架构"), None)]


class OrgUnitDetailView(LoginRequiredMixin, BreadcrumbsMixin, DetailView):
    template_name = "org/orgunit_detail.html"
    context_object_name = "unit"

    def get_queryset(self):
        return OrgUnit.objects.for_user(self.request.user).select_related("parent")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        unit, user = self.object, self.request.user
        visible = OrgUnit.objects.for_user(user)
        context["ancestors"] = list(unit.ancestors().filter(pk__in=visible.values("pk")))
        context["children"] = visible.filter(parent=unit).with_child_count().order_by("code")
        context["memberships"] = (
            unit.memberships.for_user(user)
            .select_related("user")
            .order_by("role", "user__username")
        )
        context["secretaries"] = unit.secretaries.for_user(user).select_related("user")
        context["can_manage"] = scope_of(user).covers_path(unit.path, {Role.ADMIN})
        context["reads_roster"] = scope_of(user).covers_path(unit.path, set(WORKER_READERS))
        return context

    def get_breadcrumbs(self):
        return [(_("组织架构"), reverse("orgunit-list")), (self.object.name, None)]


class OrgUnitFormView(RoleRequiredMixin, ServiceFormMixin, BreadcrumbsMixin, FormView):
    """Create a unit (no pk) or edit one (pk): admins only, inside their subtree."""

    roles = (Role.ADMIN,)
    form_class = OrgUnitForm
    template_name = "org/orgunit_form.html"

    def manageable(self):
        return OrgUnit.objects.for_user(self.request.user, roles={Role.ADMIN})

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.unit = None

    def get_unit(self):
        if "pk" in self.kwargs and self.unit is None:
            self.unit = get_object_or_404(self.manageable(), pk=self.kwargs["pk"])
        return self.unit

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["parent_choices"] = self.manageable()
        kwargs["editing"] = self.get_unit() is not None
        return kwargs

    def get_initial(self):
        unit = self.get_unit()
        if unit is None:
            parent = (
                self.manageable().filter(pk=int_or_none(self.request.GET.get("parent"))).first()
            )
            return {"parent": parent, "kind": _child_kind(parent)}
        return {
            "code": unit.code,
            "name": unit.name,
            "kind": unit.kind,
            "parent": unit.parent,
            "version": unit.version,
        }

    def form_valid(self, form):
        data = dict(form.cleaned_data)
        version = data.pop("version")
        actor, unit = self.request.user, self.get_unit()
        if unit is None:
            unit, refused = self.run_service(
                form, lambda: services.create_org_unit(actor=actor, **data)
            )
            message = _("已新增单位“%(name)s”。")
        else:
            unit, refused = self.run_service(
                form,
                lambda: services.update_org_unit(actor=actor, unit=unit, version=version, **data),
            )
            message = _("已保存单位“%(name)s”。")
        if refused:
            return refused
        messages.success(self.request, message % {"name": unit.name})
        return redirect("orgunit-detail", pk=unit.pk)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["unit"] = self.get_unit()
        return context

    def get_breadcrumbs(self):
        unit = self.get_unit()
        trail = [(_("组织架构"), reverse("orgunit-list"))]
        if unit is None:
            return [*trail, (_("新增单位"), None)]
        return [*trail, (unit.name, reverse("orgunit-detail", args=[unit.pk])), (_("编辑"), None)]


class OrgUnitDeleteView(RoleRequiredMixin, BreadcrumbsMixin, DetailView):
    roles = (Role.ADMIN,)
    template_name = "org/orgunit_confirm_delete.html"
    context_object_name = "unit"

    def get_queryset(self):
        return OrgUnit.objects.for_user(self.request.user, roles={Role.ADMIN})

    def post(self, request, *args, **kwargs):
        unit = self.get_object()
        try:
            services.delete_org_unit(
                actor=request.user, unit=unit, version=int_or_none(request.POST.get("version"))
            )
        except StaleVersion as exc:
            messages.error(request, str(exc))
            return redirect("orgunit-detail", pk=unit.pk)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("orgunit-detail", pk=unit.pk)
        messages.success(request, _("已删除单位“%(name)s”。") % {"name": unit.name})
        if unit.parent_id:
            return redirect("orgunit-detail", pk=unit.parent_id)
        return redirect("orgunit-list")

    def get_breadcrumbs(self):
        return [
            (_("组织架构"), reverse("orgunit-list")),
            (self.object.name, reverse("orgunit-detail", args=[self.object.pk])),
            (_("删除"), None),
        ]


def _child_kind(parent):
    order = [OrgUnitKind.COUNTY, OrgUnitKind.TOWN, OrgUnitKind.COMMUNITY, OrgUnitKind.GRID]
    if parent is None:
        return OrgUnitKind.COUNTY
    index = order.index(OrgUnitKind(parent.kind))
    return order[min(index + 1, len(order) - 1)]
