from django.urls import include, path

urlpatterns = [
    path("", include("evidence.attachments.urls")),
    path("", include("evidence.events.urls")),
    path("", include("evidence.filings.urls")),
    path("", include("evidence.records.urls")),
    path("", include("evidence.keytasks.urls")),
    path("", include("evidence.rectification.urls")),
]
