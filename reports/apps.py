from django.apps import AppConfig


class ReportsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reports"

    def ready(self):
        from core.panels import register_panel

        register_panel("cycle-actions", "reports/_cycle_actions.html", order=30)
