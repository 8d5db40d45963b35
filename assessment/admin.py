"""Django admin for cycles and participants (read-only; see `org.admin`)."""

from django.contrib import admin

from assessment.models import Cycle, Participant
from core.admin import ReadOnlyAdmin


@admin.register(Cycle)
class CycleAdmin(ReadOnlyAdmin):
    """Cycles change only through their services and lifecycle; a published cycle must
    stay as published, so the admin shows them and changes nothing."""

    list_display = ("name", "county", "year", "status")
    list_filter = ("status", "year")


@admin.register(Participant)
class ParticipantAdmin(ReadOnlyAdmin):
    list_display = ("secretary", "cycle", "community", "is_graded")
    list_filter = ("is_graded",)
