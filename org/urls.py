from django.urls import path

from org.views import accounts, audit, home, notifications, secretaries, workers
from org.views import units as org

urlpatterns = [
    path("", home.HomeView.as_view(), name="home"),
    path("org/", org.OrgUnitListView.as_view(), name="orgunit-list"),
    path("org/new/", org.OrgUnitFormView.as_view(), name="orgunit-create"),
    path("org/<int:pk>/", org.OrgUnitDetailView.as_view(), name="orgunit-detail"),
    path("org/<int:pk>/edit/", org.OrgUnitFormView.as_view(), name="orgunit-edit"),
    path("org/<int:pk>/delete/", org.OrgUnitDeleteView.as_view(), name="orgunit-delete"),
    path("org/<int:pk>/workers/", workers.WorkerListView.as_view(), name="worker-list"),
    path("org/<int:pk>/workers/add/", workers.WorkerAddView.as_view(), name="worker-add"),
    path("workers/<int:pk>/edit/", workers.WorkerEditView.as_view(), name="worker-edit"),
    path("workers/<int:pk>/delete/", workers.WorkerDeleteView.as_view(), name="worker-delete"),
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
    path("audit/", audit.AuditLogView.as_view(), name="audit-log"),
    path("me/", accounts.ProfileView.as_view(), name="profile"),
    path("notifications/", notifications.NotificationListView.as_view(), name="notification-list"),
    path(
        "notifications/read/",
        notifications.NotificationReadAllView.as_view(),
        name="notification-read-all",
    ),
    path(
        "notifications/settings/",
        notifications.NotificationSettingsView.as_view(),
        name="notification-settings",
    ),
    path(
        "notifications/<int:pk>/read/",
        notifications.NotificationReadView.as_view(),
        name="notification-read",
    ),
]
