"""用户与授权: admins manage accounts and role memberships inside their subtree.
Everyone manages their own password and API token."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, FormView, ListView, TemplateView
from rest_framework.authtoken.models import Token

from core.pagination import PaginatedListMixin
from core.versioning import StaleVersion
from core.views import BreadcrumbsMixin, ServiceFormMixin, int_or_none
from org import services
from org.access import RoleRequiredMixin
from org.forms import MembershipForm, SetPasswordForm, UserCreateForm, UserEditForm
from org.models import Membership, OrgUnit, User
from org.scope import Role, scope_of

ADMIN_ONLY = {Role.ADMIN}


def managed_users(user):
    return User.objects.manageable_by(user)


def managed_units(user):
    return OrgUnit.objects.for_user(user, roles=ADMIN_ONLY)


class UserListView(RoleRequiredMixin, BreadcrumbsMixin, PaginatedListMixin, ListView):
    roles = (Role.ADMIN,)
    template_name = "org/user_list.html"

    def get_queryset(self):
        qs = managed_users(self.request.user).prefetch_related(
            Prefetch("memberships", queryset=Membership.objects.select_related("org_unit"))
        )
        q = self.request.GET.get("q", "").strip()
        if q:
            at_unit = Membership.objects.filter(
                Q(org_unit__name__icontains=q) | Q(org_unit__code__iexact=q)
            )
            qs = qs.filter(
                Q(username__icontains=q)
                | Q(full_name__icontains=q)
                | Q(phone__icontains=q)
                | Q(pk__in=at_unit.values("user_id"))
            )
        role = self.request.GET.get("role")
        if role in Role.values:
            qs = qs.filter(pk__in=Membership.objects.filter(role=role).values("user_id"))
        return qs.order_by("username")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["roles"] = Role.choices
        return context

    def get_breadcrumbs(self):
        return [(_("用户管理"), None)]


class UserCreateView(RoleRequiredMixin, ServiceFormMixin, BreadcrumbsMixin, FormView):
    roles = (Role.ADMIN,)
    template_name = "org/user_form.html"
    form_class = UserCreateForm
    service_field_names = {"password": "password1"}

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["unit_choices"] = managed_units(self.request.user)
        return kwargs

    def form_valid(self, form):
        data = dict(form.cleaned_data)
        data["password"] = data.pop("password1")
        data.pop("password2")
        user, refused = self.run_service(
            form, lambda: services.create_user(actor=self.request.user, **data)
        )
        if refused:
            return refused
        messages.success(self.request, _("已创建账号“%(name)s”。") % {"name": user.username})
        return redirect("user-detail", pk=user.pk)

    def get_breadcrumbs(self):
        return [(_("用户管理"), reverse("user-list")), (_("新建账号"), None)]


class UserDetailView(RoleRequiredMixin, BreadcrumbsMixin, DetailView):
    roles = (Role.ADMIN,)
    template_name = "org/user_detail.html"
    context_object_name = "account"

    def get_queryset(self):
        return managed_users(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        scope = scope_of(self.request.user)
        memberships = list(
            self.object.memberships.select_related("org_unit").order_by("role", "org_unit__path")
        )
        for membership in memberships:
            membership.manageable = scope.covers_path(membership.org_unit.path, {Role.ADMIN})
        context["memberships"] = memberships
        context["membership_form"] = kwargs.get("membership_form") or MembershipForm(
            unit_choices=managed_units(self.request.user)
        )
        context["locked_out"] = services.is_locked_out(self.object)
        return context

    def get_breadcrumbs(self):
        return [(_("用户管理"), reverse("user-list")), (str(self.object), None)]


class UserEditView(RoleRequiredMixin, ServiceFormMixin, BreadcrumbsMixin, FormView):
    roles = (Role.ADMIN,)
    template_name = "org/user_edit.html"
    form_class = UserEditForm

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.account = None

    def get_account(self):
        if self.account is None:
            self.account = get_object_or_404(managed_users(self.request.user), pk=self.kwargs["pk"])
        return self.account

    def get_initial(self):
        account = self.get_account()
        return {
            "full_name": account.full_name,
            "phone": account.phone,
            "email": account.email,
            "is_active": account.is_active,
            "version": account.version,
        }

    def form_valid(self, form):
        data = dict(form.cleaned_data)
        version = data.pop("version")
        account = self.get_account()
        _done, refused = self.run_service(
            form,
            lambda: services.update_user(
                actor=self.request.user, user=account, version=version, **data
            ),
        )
        if refused:
            return refused
        messages.success(self.request, _("已保存账号信息。"))
        return redirect("user-detail", pk=account.pk)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["account"] = self.get_account()
        return context

    def get_breadcrumbs(self):
        account = self.get_account()
        return [
            (_("用户管理"), reverse("user-list")),
            (str(account), reverse("user-detail", args=[account.pk])),
            (_("编辑"), None),
        ]


class UserSetPasswordView(UserEditView):
    """An admin sets a new password for someone who forgot theirs."""

    template_name = "org/user_set_password.html"
    form_class = SetPasswordForm

    def get_initial(self):
        return {}

    service_field_names = {"password": "password1"}

    def form_valid(self, form):
        account = self.get_account()
        _done, refused = self.run_service(
            form,
            lambda: services.set_password(
                actor=self.request.user, user=account, password=form.cleaned_data["password1"]
            ),
        )
        if refused:
            return refused
        messages.success(self.request, _("已为“%(name)s”设置新密码。") % {"name": account})
        return redirect("user-detail", pk=account.pk)

    def get_breadcrumbs(self):
        return [*super().get_breadcrumbs()[:-1], (_("重设密码"), None)]


class UserUnlockView(RoleRequiredMixin, View):
    """Lift a login lockout before its cool-off ends."""

    roles = (Role.ADMIN,)

    def post(self, request, pk):
        account = get_object_or_404(managed_users(request.user), pk=pk)
        services.unlock_login(actor=request.user, user=account)
        messages.success(request, _("已解除“%(name)s”的登录锁定。") % {"name": account})
        return redirect("user-detail", pk=account.pk)


class MembershipGrantView(RoleRequiredMixin, View):
    roles = (Role.ADMIN,)

    def post(self, request, pk):
        account = get_object_or_404(managed_users(request.user), pk=pk)
        form = MembershipForm(request.POST, unit_choices=managed_units(request.user))
        if form.is_valid():
            try:
                services.grant_membership(actor=request.user, user=account, **form.cleaned_data)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, _("已添加角色授权。"))
        else:
            for errors in form.errors.values():
                messages.error(request, " ".join(errors))
        return redirect("user-detail", pk=account.pk)


class MembershipChangeView(RoleRequiredMixin, View):
    """Suspend, resume or revoke one membership (action in the URL)."""

    roles = (Role.ADMIN,)
    action = None

    def post(self, request, pk):
        membership = get_object_or_404(Membership.objects.manageable_by(request.user), pk=pk)
        version = int_or_none(request.POST.get("version"))
        try:
            if self.action == "revoke":
                services.revoke_membership(
                    actor=request.user, membership=membership, version=version
                )
                messages.success(request, _("已撤销角色授权。"))
            else:
                services.set_membership_active(
                    actor=request.user,
                    membership=membership,
                    version=version,
                    is_active=self.action == "resume",
                )
                messages.success(request, _("已更新角色授权。"))
        except StaleVersion as exc:
            messages.error(request, str(exc))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect("user-detail", pk=membership.user_id)


class ProfileView(LoginRequiredMixin, BreadcrumbsMixin, TemplateView):
    """我的账号: own memberships, password change link, personal API token."""

    template_name = "org/profile.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["memberships"] = user.memberships.select_related("org_unit").order_by("role")
        context["token"] = Token.objects.filter(user=user).first()
        return context

    def post(self, request):
        """Create or renew the API token; the old one stops working at once. The key is
        shown this once; afterwards only its last characters."""
        Token.objects.filter(user=request.user).delete()
        token = Token.objects.create(user=request.user)
        messages.success(
            request,
            _("已生成新的 API 令牌（旧令牌已失效），请立即复制保存，它只显示这一次：%(key)s")
            % {"key": token.key},
        )
        return redirect("profile")

    def get_breadcrumbs(self):
        return [(_("我的账号"), None)]
