from django.apps import AppConfig


class SurveysConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "surveys"

    def ready(self):
        # Registers the survey counts as a scoring input source (SPEC §3.4).
        from core.panels import register_panel
        from surveys import inputs  # noqa: F401

        register_panel("cycle-evidence-links", "surveys/_actions.html", order=200)
