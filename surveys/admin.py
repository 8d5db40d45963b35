"""Django admin (break-glass, superusers only) for democratic appraisal. Everything is
read-only: batches, tokens and ballots change only through `surveys.ballots`, which keeps
them anonymous; tokens and single ballots are not listed at all."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin
from surveys.models import BallotBatch, PaperTally, SurveySettings


@admin.register(SurveySettings)
class SurveySettingsAdmin(ReadOnlyAdmin):
    list_display = ("cycle", "min_group_size", "double_entry")


@admin.register(BallotBatch)
class BallotBatchAdmin(ReadOnlyAdmin):
    list_display = (
        "cycle",
        "community",
        "category",
        "size",
        "slips_state",
        "slips_printed",
        "voided_at",
        "created_at",
    )
    list_filter = ("cycle", "slips_state", "slips_printed")
    list_select_related = ("cycle", "community", "category")


@admin.register(PaperTally)
class PaperTallyAdmin(ReadOnlyAdmin):
    list_display = ("cycle", "community", "category", "keyed_by", "updated_at")
    list_select_related = ("cycle", "community", "category", "keyed_by")
