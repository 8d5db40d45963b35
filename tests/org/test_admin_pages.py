"""Admin pages in the product UI: org units, users and memberships, with search and
pagination; everything else of these pages is for admins only."""

import pytest
from django.urls import reverse

from org.models import Membership, OrgUnit, OrgUnitKind, User
from org.scope import Role
from tests.factories import TEST_PASSWORD, OrgUnitFactory, logs_in

# One world for the module; each test runs in a savepoint inside it.
pytestmark = pytest.mark.usefixtures("shared_world")


def test_admin_creates_a_community_under_a_town(world, login):
    client = login(world.admin_a)
    response = client.post(
        reverse("orgunit-create"),
        {"code": "QA103", "name": "城南社区", "kind": "community", "parent": world.town_a.pk},
    )
    unit = OrgUnit.objects.get(code="QA103")
    assert response.status_code == 302
    assert response.url == reverse("orgunit-detail", args=[unit.pk])
    assert unit.path == "/QA/QA1/QA103/"
    assert unit.history.get().history_user == world.admin_a


def test_a_misplaced_unit_is_refused_with_a_chinese_message_and_not_saved(world, login):
    client = login(world.admin_a)
    response = client.post(
        reverse("orgunit-create"),
        {"code": "QA9", "name": "错位社区", "kind": "community", "parent": world.county_a.pk},
    )
    assert response.status_code == 200
    assert "“社区”不能挂在“县/区”下。" in response.content.decode()
    assert not OrgUnit.objects.filter(code="QA9").exists()


def test_a_parent_outside_the_admins_subtree_is_not_a_choice(world, login):
    client = login(world.admin_a)
    response = client.post(
        reverse("orgunit-create"),
        {"code": "QB9", "name": "越界", "kind": "community", "parent": world.town_c.pk},
    )
    assert response.status_code == 200
    assert not OrgUnit.objects.filter(code="QB9").exists()


def test_editing_a_unit_someone_else_changed_shows_their_version(world, login):
    client = login(world.admin_a)
    url = reverse("orgunit-edit", args=[world.town_a.pk])
    form = {"code": "QA1", "kind": "town", "parent": world.county_a.pk, "version": 1}
    assert client.post(url, {**form, "name": "城关镇一"}).status_code == 302
    response = client.post(url, {**form, "name": "城关镇二"})
    text = response.content.decode()
    assert "已被他人修改" in text and "城关镇一" in text
    assert OrgUnit.objects.get(code="QA1").name == "城关镇一"


def test_an_edit_form_without_its_version_is_refused(world, login):
    client = login(world.admin_a)
    url = reverse("orgunit-edit", args=[world.town_a.pk])
    response = client.post(
        url, {"code": "QA1", "name": "无版本", "kind": "town", "parent": world.county_a.pk}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["version"]
    assert OrgUnit.objects.get(code="QA1").name == "城关镇"
    response = client.post(
        reverse("membership-suspend", args=[world.outsider_b.memberships.get().pk]), follow=True
    )
    assert "缺少版本号" in response.content.decode()
    assert world.outsider_b.memberships.get().is_active


def test_the_code_of_an_existing_unit_is_not_editable(world, login):
    client = login(world.admin_a)
    url = reverse("orgunit-edit", args=[world.town_a.pk])
    form = {
        "code": "ZZ9",
        "name": "城关镇",
        "kind": "town",
        "parent": world.county_a.pk,
        "version": 1,
    }
    assert client.post(url, form).status_code == 302
    assert (
        OrgUnit.objects.filter(code="QA1").exists()
        and not OrgUnit.objects.filter(code="ZZ9").exists()
    )


def test_deleting_a_unit_with_children_is_explained_and_refused(world, login):
    client = login(world.admin_a)
    response = client.post(
        reverse("orgunit-delete", args=[world.town_a.pk]), {"version": 1}, follow=True
    )
    assert "还有下级单位，不能删除" in response.content.decode()
    assert OrgUnit.objects.filter(code="QA1").exists()


@pytest.mark.parametrize("persona", ["county_assessor_a", "town_assessor_a", "secretary_a1"])
@pytest.mark.parametrize("route", ["orgunit-create", "user-list", "user-create"])
def test_pages_for_admins_only_are_403_for_other_roles(world, login, persona, route):
    assert login(world.persona(persona)).get(reverse(route)).status_code == 403


def test_org_list_searches_by_name_or_code_and_filters_by_kind(world, login):
    client = login(world.county_assessor_a)
    text = client.get(reverse("orgunit-list"), {"q": "城东"}).content.decode()
    assert "城东社区" in text and "城西社区" not in text
    text = client.get(reverse("orgunit-list"), {"kind": "town"}).content.decode()
    assert "东湖街道" in text and "城东社区" not in text


def test_org_list_is_paginated_with_a_fixed_number_of_queries(
    world, login, django_assert_max_num_queries
):
    for i in range(60):
        OrgUnitFactory(code=f"QA1{i + 10:02d}", kind=OrgUnitKind.COMMUNITY, parent=world.town_a)
    client = login(world.county_assessor_a)
    # session, user, scope, count, page, the bell's unread count, session save, and the
    # request's savepoints
    with django_assert_max_num_queries(11):
        first = client.get(reverse("orgunit-list"))
    assert first.context["page_obj"].paginator.num_pages == 2
    second = client.get(reverse("orgunit-list"), {"page": 2})
    assert len(second.context["object_list"]) == 67 - 50


def test_admin_creates_an_account_with_its_first_role(world, login):
    client = login(world.admin_a)
    response = client.post(
        reverse("user-create"),
        {
            "username": "new_town",
            "full_name": "新考核员",
            "password1": "Strong-pass-2026",
            "password2": "Strong-pass-2026",
            "role": Role.TOWN_ASSESSOR,
            "org_unit": world.town_b.pk,
        },
    )
    user = User.objects.get(username="new_town")
    assert response.status_code == 302
    assert user.password.startswith("argon2")
    assert user.memberships.get().org_unit == world.town_b
    client.logout()
    assert logs_in(client, "new_town", "Strong-pass-2026")


def test_account_creation_reports_every_problem_and_saves_nothing(world, login):
    client = login(world.admin_a)
    response = client.post(
        reverse("user-create"),
        {
            "username": "sec_a1",
            "full_name": "重名",
            "password1": "123",
            "password2": "123",
            "role": Role.SECRETARY,
            "org_unit": world.town_a.pk,
        },
    )
    errors = response.context["form"].errors
    assert "username" in errors
    assert "password1" in errors
    assert "只能绑定到社区" in errors["org_unit"][0]
    assert User.objects.filter(username="sec_a1").count() == 1


def test_user_list_searches_and_filters_by_role(world, login, django_assert_max_num_queries):
    client = login(world.admin_a)
    with django_assert_max_num_queries(12):  # 11 + the bell's unread count
        response = client.get(reverse("user-list"), {"role": Role.SECRETARY})
    accounts = {u.username for u in response.context["object_list"]}
    assert accounts == {"sec_a1", "sec_a2", "sec_b1"}
    response = client.get(reverse("user-list"), {"q": "甲"})
    assert {u.username for u in response.context["object_list"]} == {
        "admin_a",
        "county_a",
        "town_a",
        "observer_a",
        "sec_a1",
    }


def test_user_list_finds_the_accounts_of_a_unit(world, login):
    response = login(world.admin_a).get(reverse("user-list"), {"q": "东湖"})
    assert {u.username for u in response.context["object_list"]} == {"outsider_b", "sec_b1"}


def test_admin_grants_suspends_and_revokes_a_membership(world, login):
    client = login(world.admin_a)
    user = world.outsider_b
    client.post(
        reverse("membership-grant", args=[user.pk]),
        {"role": Role.OBSERVER, "org_unit": world.county_a.pk},
    )
    membership = Membership.objects.get(user=user, role=Role.OBSERVER)
    client.post(reverse("membership-suspend", args=[membership.pk]), {"version": 1})
    membership.refresh_from_db()
    assert not membership.is_active
    client.post(reverse("membership-revoke", args=[membership.pk]), {"version": 2})
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert membership.history.count() == 3


def test_admin_edits_an_account_and_cannot_disable_themself(world, login):
    client = login(world.admin_a)
    url = reverse("user-edit", args=[world.outsider_b.pk])
    client.post(url, {"full_name": "改名", "is_active": "", "version": 1})
    user = User.objects.get(pk=world.outsider_b.pk)
    assert (user.full_name, user.is_active, user.version) == ("改名", False, 2)
    own = reverse("user-edit", args=[world.admin_a.pk])
    response = client.post(own, {"full_name": "管理员甲", "is_active": "", "version": 1})
    assert "不能停用自己的账号" in response.content.decode()


def test_admin_resets_a_password_that_must_pass_the_validators(world, login):
    client = login(world.admin_a)
    url = reverse("user-password", args=[world.outsider_b.pk])
    response = client.post(url, {"password1": "short", "password2": "short"})
    assert response.context["form"].errors["password1"]
    client.post(url, {"password1": "Another-pass-2026", "password2": "Another-pass-2026"})
    client.logout()
    assert not logs_in(client, "outsider_b", TEST_PASSWORD)
    assert logs_in(client, "outsider_b", "Another-pass-2026")


def test_org_unit_detail_shows_children_secretaries_and_memberships(world, login):
    client = login(world.town_assessor_a)
    text = client.get(reverse("orgunit-detail", args=[world.community_a1.pk])).content.decode()
    assert "城东一网格" in text and "甲书记" in text and "sec_a1" not in text
