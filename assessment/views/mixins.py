"""What every browser view of the product shares: login, role gate, scoped lookups."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError

from assessment.scope import scope_of
from assessment.services import StaleVersion
from assessment.views.util import apply_validation_error


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


class BreadcrumbsMixin:
    """Views list their trail as (label, url) pairs; the last one is the page itself."""

    def get_breadcrumbs(self):
        return []

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["breadcrumbs"] = self.get_breadcrumbs()
        return context


class ServiceFormMixin:
    """A form view whose valid form runs one service call; the service decides.

    `run_service` returns (result, None) on success, or (None, response) when the service
    refused: its ValidationError is shown on the form (service field names renamed by
    `service_field_names`), and a StaleVersion shows the record as the other person
    saved it (template variable `current`).
    """

    service_field_names = {}

    def run_service(self, form, call):
        try:
            return call(), None
        except StaleVersion as exc:
            form.add_error(None, str(exc))
            context = self.get_context_data(form=form, current=exc.current)
            return None, self.render_to_response(context)
        except ValidationError as exc:
            apply_validation_error(form, exc, self.service_field_names)
            return None, self.form_invalid(form)
