"""What every browser view of the product shares: login, role gate, scoped lookups."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied

from assessment.scope import scope_of


class RoleRequiredMixin(LoginRequiredMixin):
    """A page only some roles ever have: other roles get 403 (DESIGN §4).

    Objects are then looked up inside the user's scope for those roles, so an object
    outside it answers 404.
    """

    roles = ()

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not scope_of(request.user).has_role(*self.roles):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class BreadcrumbsMixin:
    """Views list their trail as (label, url) pairs; the last one is the page itself."""

    def get_breadcrumbs(self):
        return []

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["breadcrumbs"] = self.get_breadcrumbs()
        return context
