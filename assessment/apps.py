from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AssessmentConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "assessment"
    verbose_name = _("考核组织")

    def ready(self):
        from assessment import audit  # noqa: F401  (connects the audit signal)
        from assessment.audit import protect_history_tables

        post_migrate.connect(protect_history_tables, dispatch_uid="protect_history_tables")
