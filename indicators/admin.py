"""Django admin (superusers' break-glass tool): templates are shown, not changed — the
editor's services keep codes, editions and frozen copies right."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin
from indicators.models import EventType, IndicatorNode, IndicatorTemplate


@admin.register(IndicatorTemplate)
class TemplateAdmin(ReadOnlyAdmin):
    list_display = ("name", "edition", "county", "released", "is_frozen")
    list_filter = ("released", "is_frozen")


@admin.register(IndicatorNode)
class NodeAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "points", "method", "template")
    search_fields = ("code", "name")


@admin.register(EventType)
class EventTypeAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "points", "is_veto", "template")
