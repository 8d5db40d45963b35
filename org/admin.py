"""Django admin: a break-glass tool for superusers. Daily work uses the product pages,
where the services keep the org tree's paths and the audit trail right, so the tree and
the memberships are read-only here."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin
from org.models import Membership, OrgUnit, Secretary, User


@admin.register(User)
class AccountAdmin(UserAdmin):
    list_display = ("username", "full_name", "is_active", "is_superuser", "last_login")
    search_fields = ("username", "full_name", "phone")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("个人信息"), {"fields": ("full_name", "phone", "email")}),
        (_("权限"), {"fields": ("is_active", "is_staff", "is_superuser")}),
    )

    def has_delete_permission(self, request, obj=None):
        # Accounts are disabled, never deleted: the audit trail keeps pointing at them.
        return False


@admin.register(OrgUnit)
class OrgUnitAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "kind", "parent")
    search_fields = ("code", "name")
    list_filter = ("kind",)


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdmin):
    list_display = ("user", "role", "org_unit", "is_active")
    list_filter = ("role", "is_active")


@admin.register(Secretary)
class SecretaryAdmin(ReadOnlyAdmin):
    list_display = ("staff_no", "name", "community", "tenure_start", "tenure_end")
    search_fields = ("staff_no", "name")
