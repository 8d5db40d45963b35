from django.urls import path

from scoring.appeals import views as appeals

urlpatterns = [
    path("cycles/<int:pk>/appeals/", appeals.AppealListView.as_view(), name="appeal-list"),
    path("cycles/<int:pk>/appeals/new/", appeals.AppealCreateView.as_view(), name="appeal-create"),
    path("appeals/<int:pk>/", appeals.AppealDetailView.as_view(), name="appeal-detail"),
    path("appeals/<int:pk>/act/", appeals.AppealActionView.as_view(), name="appeal-act"),
    path("appeals/<int:pk>/correct/", appeals.AppealCorrectView.as_view(), name="appeal-correct"),
    path(
        "appeals/<int:pk>/evidence/", appeals.AppealEvidenceView.as_view(), name="appeal-evidence"
    ),
]
