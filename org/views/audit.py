"""审计日志: the audit trail for admins and observers, filterable, with before/after."""

from django.core.paginator import Paginator
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from core.views import BreadcrumbsMixin
from org import audit
from org.access import RoleRequiredMixin
from org.forms import AuditFilterForm


class AuditLogView(RoleRequiredMixin, BreadcrumbsMixin, TemplateView):
    roles = tuple(audit.AUDIT_ROLES)
    template_name = "org/audit_log.html"
    paginate_by = 30

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        form = AuditFilterForm(self.request.GET or None, type_choices=audit.object_type_choices())
        filters = {}
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            filters = {
                "actor": data["actor"].strip() or None,
                "object_type": data["object_type"] or None,
                "date_from": data["date_from"],
                "date_to": data["date_to"],
            }
        page = Paginator(audit.audit_rows(user, **filters), self.paginate_by).get_page(
            self.request.GET.get("page")
        )
        context.update(
            form=form,
            page_obj=page,
            entries=audit.hydrate(list(page.object_list)),
        )
        return context

    def get_breadcrumbs(self):
        return [(_("审计日志"), None)]
