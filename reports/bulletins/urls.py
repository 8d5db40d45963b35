from django.urls import path

from reports.bulletins import views

urlpatterns = [
    path("cycles/<int:pk>/bulletins/", views.BulletinListView.as_view(), name="bulletin-list"),
    path("bulletins/<int:pk>/", views.BulletinDetailView.as_view(), name="bulletin-detail"),
    path(
        "bulletins/<int:pk>/requirements/",
        views.BulletinRequirementsView.as_view(),
        name="bulletin-requirements",
    ),
    path("bulletins/<int:pk>/issue/", views.BulletinIssueView.as_view(), name="bulletin-issue"),
    path("bulletins/<int:pk>/xlsx/", views.BulletinWorkbookView.as_view(), name="bulletin-xlsx"),
    path("bulletins/<int:pk>/pdf/", views.BulletinPdfView.as_view(), name="bulletin-pdf"),
]
