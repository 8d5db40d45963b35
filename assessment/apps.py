from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "assessment"
    verbose_name = _("考核周期")

    def ready(self):
        # 社工持证率 counts the org app's 社区工作者 roster: a change to it changes the
        # inputs of the county's running cycles.
        from assessment.services import roster_changed
        from org.services import on_roster_changed

        on_roster_changed(roster_changed)
