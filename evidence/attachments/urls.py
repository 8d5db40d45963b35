from django.urls import path

from evidence.attachments import views as evidence

urlpatterns = [
    path("evidence/<int:pk>/", evidence.EvidenceDownloadView.as_view(), name="evidence-download"),
    path(
        "evidence/<int:pk>/remove/", evidence.EvidenceRemoveView.as_view(), name="evidence-remove"
    ),
]
