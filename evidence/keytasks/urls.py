from django.urls import path

from evidence.keytasks import views

urlpatterns = [
    path("cycles/<int:pk>/key-tasks/", views.KeyTaskListView.as_view(), name="keytask-list"),
    path(
        "cycles/<int:pk>/key-tasks/new/",
        views.KeyTaskCreateView.as_view(),
        name="keytask-create",
    ),
    path("cycles/<int:pk>/key-tasks/board/", views.BoardView.as_view(), name="keytask-board"),
    path(
        "cycles/<int:pk>/key-tasks/summons/",
        views.SummonsView.as_view(),
        name="keytask-summons",
    ),
    path("key-tasks/<int:pk>/", views.KeyTaskDetailView.as_view(), name="keytask-detail"),
    path("key-tasks/<int:pk>/edit/", views.KeyTaskEditView.as_view(), name="keytask-edit"),
    path("key-tasks/<int:pk>/delete/", views.KeyTaskDeleteView.as_view(), name="keytask-delete"),
    path(
        "key-task-assignments/<int:pk>/plan/",
        views.AssignmentPlanView.as_view(),
        name="keytask-assignment-plan",
    ),
    path(
        "key-task-assignments/<int:pk>/remove/",
        views.AssignmentRemoveView.as_view(),
        name="keytask-assignment-remove",
    ),
    path(
        "key-task-assignments/<int:pk>/report/",
        views.ProgressReportView.as_view(),
        name="keytask-report",
    ),
]
