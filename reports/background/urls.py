from django.urls import path

from reports.background import views

urlpatterns = [
    path("jobs/", views.JobListView.as_view(), name="job-list"),
    path("jobs/rows/", views.JobRowsView.as_view(), name="job-rows"),
    path("jobs/<int:pk>/", views.JobPageView.as_view(), name="job-detail"),
    path("jobs/<int:pk>/file/", views.JobOutputView.as_view(), name="job-output"),
]
