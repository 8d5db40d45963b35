from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo county of `make run` (`manage.py seed_demo`): it touches every layer, so it
    sits above them all."""

    name = "demo"
