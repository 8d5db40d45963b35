"""Role gates: on browser pages (`RoleRequiredMixin`) and on API writes (`writes_only_for`)."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from rest_framework import permissions

from org.scope import scope_of


class RoleRequiredMixin(LoginRequiredMixin):
    """A page only some roles ever have: other roles get 403 (DESIGN §4).

    Objects are then looked up inside the user's scope for those roles, so an object
    outside it answers 404.
    """

    roles = ()
    # Methods anyone logged in may use (reading what their scope reaches); the roles
    # gate the others.
    open_methods = frozenset()

    def dispatch(self, request, *args, **kwargs):
        if (
            request.user.is_authenticated
            and request.method.lower() not in self.open_methods
            and not scope_of(request.user).has_role(*self.roles)
        ):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


def writes_only_for(roles):
    """A permission: reading follows scope (the queryset); writing needs one of `roles`
    somewhere (the queryset then limits where)."""

    class WritesOnlyFor(permissions.BasePermission):
        def has_permission(self, request, view):
            if request.method in permissions.SAFE_METHODS:
                return True
            return scope_of(request.user).has_role(*roles)

    return WritesOnlyFor
