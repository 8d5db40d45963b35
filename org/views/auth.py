"""Login page. Lockout after repeated failures is django-axes' (settings.AXES_*)."""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.utils.translation import gettext as _


class LoginView(auth_views.LoginView):
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["failure_limit"] = settings.AXES_FAILURE_LIMIT
        return context


class PasswordChangeView(auth_views.PasswordChangeView):
    def form_valid(self, form):
        form.user._change_reason = _("本人修改密码")
        return super().form_valid(form)
