from django.urls import path

from reports.backups import views

urlpatterns = [
    path("jobs/backup/", views.BackupStartView.as_view(), name="job-backup"),
]
