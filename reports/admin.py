"""The reports app in the Django admin (superusers; DESIGN §4): jobs to look into, read
only; bulletins read only (an issued one never changes); the 文号 counters, whose prefix
a county may need to set (e.g. 青组通)."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin
from reports.models import Bulletin, DocumentCounter, Job


@admin.register(Job)
class JobAdmin(ReadOnlyAdmin):
    list_display = (
        "pk",
        "kind",
        "state",
        "progress",
        "county",
        "cycle",
        "requested_by",
        "created_at",
        "finished_at",
    )
    list_filter = ("kind", "state", "county")
    search_fields = ("message", "upload_name", "requested_by__username")
    date_hierarchy = "created_at"

    def get_queryset(self, request):
        return Job.objects.for_user(request.user).select_related("county", "cycle", "requested_by")


@admin.register(Bulletin)
class BulletinAdmin(ReadOnlyAdmin):
    list_display = (
        "pk",
        "cycle",
        "quarter",
        "revision",
        "state",
        "number",
        "generated_at",
        "issued_at",
    )
    list_filter = ("state", "quarter")
    exclude = ("content",)


@admin.register(DocumentCounter)
class DocumentCounterAdmin(admin.ModelAdmin):
    list_display = ("county", "year", "prefix", "last")
    fields = ("county", "year", "prefix", "last")
    readonly_fields = ("county", "year", "last")

    def has_add_permission(self, request):
        return False

    # Deleting a counter would start its county's 文号 again at 1: numbers issued twice.
    def has_delete_permission(self, request, obj=None):
        return False
