from django.urls import path

from indicators import views

urlpatterns = [
    path("", views.TemplateListView.as_view(), name="template-list"),
    path("new/", views.TemplateCreateView.as_view(), name="template-create"),
    path("<int:pk>/", views.TemplateEditorView.as_view(), name="template-detail"),
    path("<int:pk>/edition/", views.TemplateNewEdition.as_view(), name="template-edition"),
    path("<int:pk>/clone/", views.TemplateClone.as_view(), name="template-clone"),
    path("<int:pk>/nodes/", views.NodeCreate.as_view(), name="node-create"),
    path("nodes/<int:pk>/", views.NodeUpdate.as_view(), name="node-update"),
    path("nodes/<int:pk>/shift/", views.NodeShift.as_view(), name="node-shift"),
    path("nodes/<int:pk>/delete/", views.NodeDelete.as_view(), name="node-delete"),
    path("nodes/<int:pk>/detail/", views.NodeDetail.as_view(), name="node-detail"),
    path("<int:pk>/event-types/", views.EventTypeSave.as_view(), name="event-type-save"),
    path("event-types/<int:pk>/delete/", views.EventTypeDelete.as_view(), name="event-type-delete"),
    path("<int:pk>/metrics/", views.MetricSave.as_view(), name="metric-save"),
    path("metrics/<int:pk>/delete/", views.MetricDelete.as_view(), name="metric-delete"),
    path("<int:pk>/categories/", views.CategorySave.as_view(), name="category-save"),
    path("categories/<int:pk>/delete/", views.CategoryDelete.as_view(), name="category-delete"),
]
