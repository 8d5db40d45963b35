from django.urls import path

from evidence.events import views

urlpatterns = [
    path("cycles/<int:pk>/events/", views.EventListView.as_view(), name="event-list"),
    path("cycles/<int:pk>/events/new/", views.EventFormView.as_view(), name="event-create"),
    path("cycles/<int:pk>/events/bulk/", views.EventBulkView.as_view(), name="event-bulk"),
    path("events/<int:pk>/", views.EventDetailView.as_view(), name="event-detail"),
    path("events/<int:pk>/edit/", views.EventFormView.as_view(editing=True), name="event-edit"),
    path("events/<int:pk>/act/", views.EventActionView.as_view(), name="event-act"),
]
