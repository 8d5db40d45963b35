from django.urls import path

from evidence.filings import views

urlpatterns = [
    path("cycles/<int:pk>/filings/", views.FilingListView.as_view(), name="filing-list"),
    path("cycles/<int:pk>/filings/new/", views.FilingCreateView.as_view(), name="filing-create"),
    path("filings/<int:pk>/", views.FilingDetailView.as_view(), name="filing-detail"),
    path("filings/<int:pk>/decide/", views.FilingDecideView.as_view(), name="filing-decide"),
]
