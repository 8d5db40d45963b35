from django.urls import path

from evidence.rectification import views

urlpatterns = [
    path(
        "cycles/<int:pk>/rectification/",
        views.ItemListView.as_view(),
        name="rectification-list",
    ),
    path(
        "cycles/<int:pk>/rectification/new/",
        views.ItemCreateView.as_view(),
        name="rectification-create",
    ),
    path(
        "cycles/<int:pk>/rectification/from-events/",
        views.FromEventsView.as_view(),
        name="rectification-from-events",
    ),
    path(
        "cycles/<int:pk>/rectification/carry-over/",
        views.CarryOverView.as_view(),
        name="rectification-carry-over",
    ),
    path("rectification/<int:pk>/", views.ItemDetailView.as_view(), name="rectification-detail"),
    path("rectification/<int:pk>/edit/", views.ItemEditView.as_view(), name="rectification-edit"),
    path(
        "rectification/<int:pk>/progress/",
        views.ItemProgressView.as_view(),
        name="rectification-progress",
    ),
    path(
        "rectification/<int:pk>/close/",
        views.ItemCloseView.as_view(),
        name="rectification-close",
    ),
    path(
        "rectification/<int:pk>/reopen/",
        views.ItemReopenView.as_view(),
        name="rectification-reopen",
    ),
]
