from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Nothing domain-specific: API conventions, optimistic locking, shared view and form
    helpers, template filters, the security log (DESIGN §2)."""

    name = "core"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

        from core import security_log

        user_logged_in.connect(security_log.logged_in, dispatch_uid="security_log_login")
        user_login_failed.connect(security_log.login_failed, dispatch_uid="security_log_failed")
        user_logged_out.connect(security_log.logged_out, dispatch_uid="security_log_logout")
