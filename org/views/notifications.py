"""通知: the user's own notifications (the bell's page), marking them read, and which
kinds also come by e-mail. Everyone logged in has these pages; each shows and changes
only the user's own rows (another person's notification answers 404)."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import ListView, TemplateView

from core.views import BreadcrumbsMixin, int_or_none
from org.notifications import selectors, services
from org.notifications.models import Notification, NotificationKind


class NotificationListView(LoginRequiredMixin, BreadcrumbsMixin, ListView):
    template_name = "org/notifications/list.html"
    context_object_name = "notifications"
    paginate_by = 30

    def get_queryset(self):
        return selectors.inbox(self.request.user)

    def get_breadcrumbs(self):
        return [(_("通知"), None)]


def _list_page(request):
    page = int_or_none(request.POST.get("page"))
    url = reverse("notification-list")
    return f"{url}?page={page}" if page and page > 1 else url


class NotificationReadView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk):
        notification = get_object_or_404(Notification.objects.for_user(request.user), pk=pk)
        services.mark_read(request.user, [notification.pk])
        return redirect(_list_page(request))


class NotificationReadAllView(LoginRequiredMixin, View):
    http_method_names = ["post"]

    def post(self, request):
        marked = services.mark_read(request.user)
        if marked:
            messages.success(request, _("已将 %(n)d 条通知标为已读。") % {"n": marked})
        return redirect("notification-list")


class NotificationSettingsView(LoginRequiredMixin, BreadcrumbsMixin, TemplateView):
    template_name = "org/notifications/settings.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["choices"] = selectors.email_choices(self.request.user)
        return context

    def post(self, request):
        kinds = [k for k in request.POST.getlist("email") if k in NotificationKind.values]
        services.set_email_preferences(request.user, kinds)
        messages.success(request, _("通知设置已保存。"))
        return redirect("notification-settings")

    def get_breadcrumbs(self):
        return [(_("通知"), reverse("notification-list")), (_("通知设置"), None)]
