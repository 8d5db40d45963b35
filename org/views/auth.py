"""Login page and one's own password change. Lockouts after repeated failures are
django-axes' with core.lockout's per-address limit (settings.AXES_*, LOGIN_ADDRESS_*)."""

from django.conf import settings
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect

from org import services


class LoginView(auth_views.LoginView):
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["failure_limit"] = settings.AXES_FAILURE_LIMIT
        return context


class PasswordChangeView(auth_views.PasswordChangeView):
    def form_valid(self, form):
        services.change_own_password(user=form.user, password=form.cleaned_data["new_password1"])
        # As Django's own view: the session that made the change stays signed in.
        update_session_auth_hash(self.request, form.user)
        return redirect(self.get_success_url())
