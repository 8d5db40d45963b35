from django.urls import path

from evidence.records import views

urlpatterns = [
    path("records/", views.RecordsHomeView.as_view(), name="records-home"),
    path("records/diary/", views.DiaryListView.as_view(), name="diary-list"),
    path("records/diary/new/", views.DiaryFormView.as_view(), name="diary-create"),
    path("records/diary/<int:pk>/edit/", views.DiaryFormView.as_view(), name="diary-edit"),
    path("records/grid-events/", views.GridEventListView.as_view(), name="gridevent-list"),
    path("records/grid-events/new/", views.GridEventCreateView.as_view(), name="gridevent-create"),
    path(
        "records/grid-events/<int:pk>/",
        views.GridEventDetailView.as_view(),
        name="gridevent-detail",
    ),
    path(
        "records/grid-events/<int:pk>/move/",
        views.GridEventMoveView.as_view(),
        name="gridevent-move",
    ),
    path("cycles/<int:pk>/metrics/", views.MetricGridView.as_view(), name="metric-grid"),
    path("cycles/<int:pk>/metrics/cell/", views.MetricCellView.as_view(), name="metric-cell"),
    path("cycles/<int:pk>/metrics/import/", views.MetricImportView.as_view(), name="metric-import"),
    path("cycles/<int:pk>/spot-checks/", views.SpotCheckListView.as_view(), name="spotcheck-list"),
    path(
        "cycles/<int:pk>/spot-checks/new/",
        views.SpotCheckDrawView.as_view(),
        name="spotcheck-create",
    ),
    path(
        "records/spot-checks/<int:pk>/",
        views.SpotCheckDetailView.as_view(),
        name="spotcheck-detail",
    ),
    path(
        "records/spot-checks/items/<int:pk>/mark/",
        views.SpotCheckMarkView.as_view(),
        name="spotcheck-mark",
    ),
    path(
        "records/spot-checks/items/<int:pk>/deduction/",
        views.SpotCheckDeductionView.as_view(),
        name="spotcheck-deduction",
    ),
]
