from django.urls import path

from assessment import views as cycle_views

urlpatterns = [
    path("cycles/", cycle_views.CycleListView.as_view(), name="cycle-list"),
    path("cycles/new/", cycle_views.CycleCreateView.as_view(), name="cycle-create"),
    path("cycles/<int:pk>/", cycle_views.CycleDetailView.as_view(), name="cycle-detail"),
    path(
        "cycles/<int:pk>/settings/",
        cycle_views.CycleSettingsView.as_view(),
        name="cycle-settings",
    ),
    path(
        "cycles/<int:pk>/transition/",
        cycle_views.CycleTransitionView.as_view(),
        name="cycle-transition",
    ),
    path("cycles/<int:pk>/enrol/", cycle_views.CycleEnrolView.as_view(), name="cycle-enrol"),
    path(
        "cycles/<int:pk>/participants/add/",
        cycle_views.ParticipantAddView.as_view(),
        name="cycle-participant-add",
    ),
    path(
        "participants/<int:pk>/grading/",
        cycle_views.ParticipantGradingView.as_view(),
        name="participant-grading",
    ),
    path(
        "participants/<int:pk>/withdraw/",
        cycle_views.ParticipantWithdrawView.as_view(),
        name="participant-withdraw",
    ),
]
