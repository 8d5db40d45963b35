from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AssessmentConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "assessment"
    verbose_name = _("考核组织")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from assessment import audit  # noqa: F401  (connects the audit signal)
        from assessment.audit import protect_history_tables

        # Registration by import: the events' and metric values' scoring input sources,
        # the counted metrics of 民情日记/网格事件, the rectification carry-over on opening.
        from assessment.events import inputs  # noqa: F401
        from assessment.records import counters  # noqa: F401
        from assessment.records import inputs as record_inputs  # noqa: F401
        from assessment.rectification import services  # noqa: F401

        post_migrate.connect(protect_history_tables, dispatch_uid="protect_history_tables")
        # Django saves the whole user on login to set last_login, which would write an
        # empty "changed" audit record per login; set the column alone instead.
        user_logged_in.disconnect(dispatch_uid="update_last_login")
        user_logged_in.connect(record_last_login, dispatch_uid="record_last_login")


def record_last_login(sender, user, **kwargs):
    from django.utils import timezone

    now = timezone.now()
    type(user).objects.filter(pk=user.pk).update(last_login=now)
    user.last_login = now
