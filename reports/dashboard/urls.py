from django.urls import path

from reports.dashboard import views

urlpatterns = [
    path("dashboard/", views.DashboardView.as_view(), name="dashboard"),
    path("cycles/<int:pk>/dashboard/", views.CycleDashboardView.as_view(), name="cycle-dashboard"),
]
