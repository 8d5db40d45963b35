from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Nothing domain-specific: API conventions, optimistic locking, shared view and form
    helpers, template filters (DESIGN §2)."""

    name = "core"
