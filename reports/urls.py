from django.urls import include, path

from reports import views

urlpatterns = [
    path("imports/", views.ImportListView.as_view(), name="import-list"),
    path("imports/new/", views.ImportStartView.as_view(), name="import-start"),
    path("imports/template/", views.TemplateDownloadView.as_view(), name="import-template"),
    path("imports/<int:pk>/", views.JobDetailView.as_view(), name="import-job"),
    path("imports/<int:pk>/status/", views.JobStatusView.as_view(), name="import-job-status"),
    path("imports/<int:pk>/confirm/", views.ConfirmImportView.as_view(), name="import-confirm"),
    path("cycles/<int:pk>/import/", views.CycleImportView.as_view(), name="cycle-import"),
    path("cycles/<int:pk>/export/", views.ResultsExportView.as_view(), name="results-export"),
    path("", include("reports.background.urls")),
    path("", include("reports.backups.urls")),
    path("", include("reports.bulletins.urls")),
    path("", include("reports.paybands.urls")),
    path("", include("reports.dashboard.urls")),
]
