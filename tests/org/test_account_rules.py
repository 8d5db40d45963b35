"""Rules that keep admins from locking themselves or others out, or losing sight of
what they create."""

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.test import Client, RequestFactory
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from core.client_ip import client_ip
from org import services
from org.models import OrgUnit, OrgUnitKind
from tests.factories import TEST_PASSWORD, logs_in

# One world for the module; each test runs in a savepoint inside it.
pytestmark = pytest.mark.usefixtures("shared_world")


def test_an_admin_cannot_create_a_unit_outside_their_subtree(world):
    with pytest.raises(ValidationError) as caught:
        services.create_org_unit(
            actor=world.admin_a, code="NEW", name="新县", kind=OrgUnitKind.COUNTY
        )
    assert "管理范围内的上级单位" in caught.value.message_dict["parent"][0]
    with pytest.raises(ValidationError):
        services.update_org_unit(
            actor=world.admin_a, unit=world.town_a, version=1, parent=world.county_b
        )
    assert not OrgUnit.objects.filter(code="NEW").exists()


def test_a_unit_cannot_change_to_a_kind_its_children_do_not_fit(world):
    with pytest.raises(ValidationError) as caught:
        services.update_org_unit(
            actor=world.admin_a, unit=world.town_a, version=1, kind=OrgUnitKind.COMMUNITY
        )
    assert "不能改为这个类型" in caught.value.message_dict["kind"][0]


def test_an_admin_cannot_suspend_or_revoke_their_own_admin_grant(world):
    own = world.admin_a.memberships.get()
    with pytest.raises(ValidationError, match="不能停用或撤销自己的系统管理员授权"):
        services.set_membership_active(
            actor=world.admin_a, membership=own, version=1, is_active=False
        )
    with pytest.raises(ValidationError):
        services.revoke_membership(actor=world.admin_a, membership=own, version=1)
    own.refresh_from_db()
    assert own.is_active


def lock_out(client, username):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": username, "password": "wrong"})


def test_the_admin_sees_a_lockout_and_lifts_it(world, client, login):
    lock_out(client, "town_a")
    assert services.is_locked_out(world.town_assessor_a)
    admin = login(world.admin_a)
    page = admin.get(reverse("user-detail", args=[world.town_assessor_a.pk]))
    assert 'data-testid="locked-out-badge"' in page.content.decode()
    admin.post(reverse("user-unlock", args=[world.town_assessor_a.pk]))
    assert not services.is_locked_out(world.town_assessor_a)
    admin.logout()
    assert logs_in(client, "town_a", TEST_PASSWORD)


def test_a_password_reset_lifts_the_lockout_revokes_the_token_and_is_audited(world, client):
    Token.objects.create(user=world.town_assessor_a)
    lock_out(client, "town_a")
    services.set_password(
        actor=world.admin_a, user=world.town_assessor_a, password="New-pass-2026x"
    )
    assert not Token.objects.filter(user=world.town_assessor_a).exists()
    assert logs_in(client, "town_a", "New-pass-2026x")
    latest = world.town_assessor_a.history.first()
    assert latest.history_change_reason == "管理员重设密码"
    assert latest.history_user == world.admin_a


def test_the_audit_page_says_why_when_no_field_changed(world, login):
    services.set_password(actor=world.admin_a, user=world.outsider_b, password="New-pass-2026x")
    entry = login(world.admin_a).get(reverse("audit-log")).context["entries"][0]
    assert (entry.reason, entry.changes) == ("管理员重设密码", [])


def test_changing_ones_own_password_is_recorded_as_such(world, login):
    client = login(world.town_assessor_a)
    client.post(
        reverse("password_change"),
        {
            "old_password": TEST_PASSWORD,
            "new_password1": "Fresh-pass-2026",
            "new_password2": "Fresh-pass-2026",
        },
    )
    assert world.town_assessor_a.history.first().history_change_reason == "本人修改密码"


def api_as(token):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return api


def test_changing_ones_own_password_revokes_the_api_token_and_keeps_this_session(world, login):
    token = Token.objects.create(user=world.town_assessor_a)
    assert api_as(token).get("/api/v1/users/me/").status_code == 200
    client = login(world.town_assessor_a)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": TEST_PASSWORD,
            "new_password1": "Fresh-pass-2026",
            "new_password2": "Fresh-pass-2026",
        },
    )
    assert response.url == reverse("password_change_done")
    assert api_as(token).get("/api/v1/users/me/").status_code == 401
    assert not Token.objects.filter(user=world.town_assessor_a).exists()
    assert client.get(reverse("home")).status_code == 200


def test_an_admin_password_reset_ends_the_persons_sessions_revokes_the_token_and_lifts_the_lock(
    world, login
):
    """docs/operations.md §7: a reset by a 系统管理员 (用户管理 → 账号 → 重设密码) ends the
    person's open sessions, revokes their API token and lifts a lockout of their name."""
    person, stranger = Client(), Client()
    person.force_login(world.town_assessor_a)
    assert person.get(reverse("home")).status_code == 200
    token = Token.objects.create(user=world.town_assessor_a)
    lock_out(stranger, "town_a")
    response = login(world.admin_a).post(
        reverse("user-password", args=[world.town_assessor_a.pk]),
        {"password1": "New-pass-2026x", "password2": "New-pass-2026x"},
    )
    assert response.url == reverse("user-detail", args=[world.town_assessor_a.pk])
    page = person.get(reverse("home"))
    assert page.status_code == 302 and page.url.startswith(reverse("login"))
    assert api_as(token).get("/api/v1/users/me/").status_code == 401
    assert not services.is_locked_out(world.town_assessor_a)
    assert logs_in(stranger, "town_a", "New-pass-2026x")


@pytest.mark.parametrize(
    "remote,forwarded,expected",
    [
        ("10.0.0.1", "6.6.6.6", "6.6.6.6"),
        ("10.0.0.1", "6.6.6.6, 203.0.113.7", "203.0.113.7"),
        ("10.0.0.1", "203.0.113.7, 10.0.0.9", "203.0.113.7"),
        ("10.0.0.1", "", "10.0.0.1"),
        ("198.51.100.4", "6.6.6.6", "198.51.100.4"),
    ],
)
def test_lockouts_count_the_client_behind_trusted_proxies_only(
    settings, remote, forwarded, expected
):
    """X-Forwarded-For is believed only from a trusted proxy; a direct client cannot
    forge its address to dodge a lockout."""
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


def test_health_checks_from_the_host_itself_are_allowed():
    assert {"127.0.0.1", "localhost"} <= set(settings.ALLOWED_HOSTS)
