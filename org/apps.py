from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "org"
    verbose_name = _("组织与人员")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from org import audit  # noqa: F401  (connects the audit signal)
        from org.audit import index_predecessors, protect_history_tables

        post_migrate.connect(protect_history_tables, dispatch_uid="protect_history_tables")
        post_migrate.connect(index_predecessors, dispatch_uid="index_predecessors")
        # Django saves the whole user on login to set last_login, which would write an
        # empty "changed" audit record per login; set the column alone instead.
        user_logged_in.disconnect(dispatch_uid="update_last_login")
        user_logged_in.connect(record_last_login, dispatch_uid="record_last_login")


def record_last_login(sender, user, **kwargs):
    now = timezone.now()
    type(user).objects.filter(pk=user.pk).update(last_login=now)
    user.last_login = now
