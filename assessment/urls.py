from django.urls import include, path

from assessment.views import accounts, appeals, audit, evidence, home, org, secretaries
from assessment.views import cycles as cycle_views

urlpatterns = [
    path("", home.HomeView.as_view(), name="home"),
    path("org/", org.OrgUnitListView.as_view(), name="orgunit-list"),
    path("org/new/", org.OrgUnitFormView.as_view(), name="orgunit-create"),
    path("org/<int:pk>/", org.OrgUnitDetailView.as_view(), name="orgunit-detail"),
    path("org/<int:pk>/edit/", org.OrgUnitFormView.as_view(), name="orgunit-edit"),
    path("org/<int:pk>/delete/", org.OrgUnitDeleteView.as_view(), name="orgunit-delete"),
    path("users/", accounts.UserListView.as_view(), name="user-list"),
    path("users/new/", accounts.UserCreateView.as_view(), name="user-create"),
    path("users/<int:pk>/", accounts.UserDetailView.as_view(), name="user-detail"),
    path("users/<int:pk>/edit/", accounts.UserEditView.as_view(), name="user-edit"),
    path("users/<int:pk>/password/", accounts.UserSetPasswordView.as_view(), name="user-password"),
    path("users/<int:pk>/unlock/", accounts.UserUnlockView.as_view(), name="user-unlock"),
    path(
        "users/<int:pk>/memberships/",
        accounts.MembershipGrantView.as_view(),
        name="membership-grant",
    ),
    path(
        "memberships/<int:pk>/suspend/",
        accounts.MembershipChangeView.as_view(action="suspend"),
        name="membership-suspend",
    ),
    path(
        "memberships/<int:pk>/resume/",
        accounts.MembershipChangeView.as_view(action="resume"),
        name="membership-resume",
    ),
    path(
        "memberships/<int:pk>/revoke/",
        accounts.MembershipChangeView.as_view(action="revoke"),
        name="membership-revoke",
    ),
    path("secretaries/", secretaries.SecretaryListView.as_view(), name="secretary-list"),
    path("secretaries/new/", secretaries.SecretaryFormView.as_view(), name="secretary-create"),
    path(
        "secretaries/<int:pk>/edit/",
        secretaries.SecretaryFormView.as_view(),
        name="secretary-edit",
    ),
    path("cycles/", cycle_views.CycleListView.as_view(), name="cycle-list"),
    path("cycles/new/", cycle_views.CycleCreateView.as_view(), name="cycle-create"),
    path("cycles/<int:pk>/", cycle_views.CycleDetailView.as_view(), name="cycle-detail"),
    path("cycles/<int:pk>/appeals/", appeals.AppealListView.as_view(), name="appeal-list"),
    path("cycles/<int:pk>/appeals/new/", appeals.AppealCreateView.as_view(), name="appeal-create"),
    path("appeals/<int:pk>/", appeals.AppealDetailView.as_view(), name="appeal-detail"),
    path("appeals/<int:pk>/act/", appeals.AppealActionView.as_view(), name="appeal-act"),
    path("appeals/<int:pk>/correct/", appeals.AppealCorrectView.as_view(), name="appeal-correct"),
    path(
        "appeals/<int:pk>/evidence/", appeals.AppealEvidenceView.as_view(), name="appeal-evidence"
    ),
    path("evidence/<int:pk>/", evidence.EvidenceDownloadView.as_view(), name="evidence-download"),
    path(
        "evidence/<int:pk>/remove/", evidence.EvidenceRemoveView.as_view(), name="evidence-remove"
    ),
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
    path("audit/", audit.AuditLogView.as_view(), name="audit-log"),
    path("me/", accounts.ProfileView.as_view(), name="profile"),
    path("", include("assessment.events.urls")),
    path("", include("assessment.records.urls")),
    path("", include("assessment.keytasks.urls")),
    path("", include("assessment.rectification.urls")),
]
