"""社区书记 pages (SPEC §2): secretaries' post records in one's scope; admins and county
assessors record posts, end them and record successors; every write is scoped, locked
against concurrent edits and audited."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from org import services
from org.models import Secretary
from org.scope import Role
from tests.conftest import person
from tests.factories import SecretaryFactory

# One world for the module; each test runs in a savepoint inside it.
pytestmark = pytest.mark.usefixtures("shared_world")


def staff_nos(response):
    return {s.staff_no for s in response.context["object_list"]}


def form_data(world, **overrides):
    data = {
        "staff_no": "SA9",
        "name": "新书记",
        "community": world.community_a2.pk,
        "tenure_start": "2026-01-01",
        "tenure_end": "",
        "has_social_work_certificate": "on",
        "certificate_date": "2021-05-01",
        "user": "",
    }
    return {**data, **overrides}


def edit_data(secretary, **overrides):
    data = {
        "staff_no": secretary.staff_no,
        "name": secretary.name,
        "community": secretary.community_id,
        "tenure_start": secretary.tenure_start.isoformat(),
        "tenure_end": "",
        "has_social_work_certificate": "",
        "certificate_date": "",
        "user": secretary.user_id or "",
        "version": secretary.version,
    }
    return {**data, **overrides}


def snapshot():
    return list(Secretary.objects.order_by("pk").values_list())


# --- the list -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("admin_a", {"SA1", "SA2", "SB1"}),
        ("county_assessor_a", {"SA1", "SA2", "SB1"}),
        ("town_assessor_a", {"SA1", "SA2"}),
        ("observer_a", {"SA1", "SA2"}),
        ("outsider_b", {"SB1"}),
        ("split_person", {"SA1", "SA2", "SC1"}),
    ],
)
def test_the_list_shows_exactly_the_secretaries_in_scope(world, login, persona, expected):
    response = login(world.persona(persona)).get(reverse("secretary-list"))
    assert response.status_code == 200
    assert staff_nos(response) == expected


def test_a_town_assessor_sees_nothing_of_another_town_or_county(world, login):
    text = login(world.town_assessor_a).get(reverse("secretary-list")).content.decode()
    assert "甲书记" in text and "城东社区" in text and "城关镇" in text
    for foreign in ("丙书记", "东湖社区", "SB1", "外县书记", "SC1", "外县社区"):
        assert foreign not in text


def test_the_list_is_403_for_a_secretary_who_has_only_their_own_record(world, login):
    assert login(world.secretary_a1).get(reverse("secretary-list")).status_code == 403


def test_the_navigation_links_the_list_for_readers_but_not_for_secretaries(world, login):
    url = reverse("secretary-list")
    observer_page = login(world.observer_a).get(reverse("home")).content.decode()
    assert f'href="{url}"' in observer_page
    secretary_page = login(world.secretary_a1).get(reverse("home")).content.decode()
    assert f'href="{url}"' not in secretary_page


def test_the_list_shows_community_town_tenure_certificate_and_account(world, login):
    services.update_secretary(
        actor=None,
        secretary=world.secretaries["a1"],
        version=1,
        has_social_work_certificate=True,
        certificate_date=date(2021, 5, 1),
    )
    text = login(world.county_assessor_a).get(reverse("secretary-list")).content.decode()
    assert "城东社区" in text and "（城关镇）" in text
    assert "2020-01-01 — 至今" in text
    assert "持证（2021-05-01）" in text and "未持证" in text
    assert "sec_a1" in text


@pytest.mark.parametrize(
    ("q", "expected"),
    [("SA1", {"SA1"}), ("乙书记", {"SA2"}), ("东湖", {"SB1"}), ("sa", {"SA1", "SA2"})],
)
def test_the_list_searches_by_staff_no_name_or_community(world, login, q, expected):
    response = login(world.county_assessor_a).get(reverse("secretary-list"), {"q": q})
    assert staff_nos(response) == expected


def test_the_list_filters_by_town_among_the_towns_in_scope(world, login):
    client = login(world.county_assessor_a)
    response = client.get(reverse("secretary-list"), {"town": world.town_b.pk})
    assert staff_nos(response) == {"SB1"}
    assert set(response.context["towns"]) == {world.town_a, world.town_b}
    town_view = login(world.town_assessor_a).get(
        reverse("secretary-list"), {"town": world.town_b.pk}
    )
    assert staff_nos(town_view) == set()
    assert list(town_view.context["towns"]) == [world.town_a]


def test_an_ended_post_and_its_successor_are_both_on_file(world, login):
    today = timezone.localdate()
    services.update_secretary(
        actor=None,
        secretary=world.secretaries["a2"],
        version=1,
        tenure_end=today - timedelta(days=1),
    )
    services.create_secretary(
        actor=None,
        staff_no="SA2N",
        name="继任书记",
        community=world.community_a2,
        tenure_start=today,
    )
    client = login(world.town_assessor_a)
    assert staff_nos(client.get(reverse("secretary-list"))) == {"SA1", "SA2N"}
    former = client.get(reverse("secretary-list"), {"status": "former"})
    assert staff_nos(former) == {"SA2"}
    everyone = client.get(reverse("secretary-list"), {"status": "all"})
    assert staff_nos(everyone) == {"SA1", "SA2", "SA2N"}


def test_a_post_ending_today_is_still_current(world, login):
    services.update_secretary(
        actor=None,
        secretary=world.secretaries["a2"],
        version=1,
        tenure_end=timezone.localdate(),
    )
    client = login(world.town_assessor_a)
    assert "SA2" in staff_nos(client.get(reverse("secretary-list")))
    assert staff_nos(client.get(reverse("secretary-list"), {"status": "former"})) == set()


def test_the_list_is_paginated_with_a_fixed_number_of_queries(
    world, login, django_assert_max_num_queries
):
    for i in range(60):
        SecretaryFactory(
            staff_no=f"P{i:03d}",
            community=world.community_a1,
            user=None if i % 2 else person(Role.SECRETARY, world.community_a1, f"p{i}", "某"),
        )
    client = login(world.county_assessor_a)
    # session, user, scope, count, page, towns, the bell's unread count, session save, and
    # the request's savepoints
    with django_assert_max_num_queries(12):
        first = client.get(reverse("secretary-list"))
    assert first.context["page_obj"].paginator.num_pages == 2
    second = client.get(reverse("secretary-list"), {"page": 2})
    assert len(second.context["object_list"]) == 63 - 50


def test_editors_get_edit_links_only_for_records_they_may_change(world, login):
    client = login(world.split_person)
    response = client.get(reverse("secretary-list"))
    editable = {s.staff_no for s in response.context["object_list"] if s.editable}
    assert editable == {"SC1"}
    text = response.content.decode()
    assert reverse("secretary-edit", args=[world.secretaries["c1"].pk]) in text
    assert reverse("secretary-edit", args=[world.secretaries["a1"].pk]) not in text
    readers = login(world.observer_a).get(reverse("secretary-list")).content.decode()
    assert reverse("secretary-create") not in readers


# --- create and edit ----------------------------------------------------------------


def test_a_county_assessor_records_a_new_post_and_is_named_in_the_audit_trail(world, login):
    client = login(world.county_assessor_a)
    response = client.post(reverse("secretary-create"), form_data(world))
    secretary = Secretary.objects.get(staff_no="SA9")
    assert response.status_code == 302
    assert response.url.startswith(reverse("secretary-list"))
    assert (secretary.name, secretary.community, secretary.tenure_start) == (
        "新书记",
        world.community_a2,
        date(2026, 1, 1),
    )
    assert secretary.has_social_work_certificate
    assert secretary.certificate_date == date(2021, 5, 1)
    assert secretary.history.first().history_user == world.county_assessor_a
    assert secretary.history.first().scope_path == world.community_a2.path


def test_a_county_assessor_ends_a_post_and_the_change_is_audited(world, login):
    client = login(world.county_assessor_a)
    secretary = world.secretaries["a1"]
    url = reverse("secretary-edit", args=[secretary.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, edit_data(secretary, tenure_end="2025-12-31"))
    assert response.status_code == 302
    secretary.refresh_from_db()
    assert (secretary.tenure_end, secretary.version) == (date(2025, 12, 31), 2)
    latest = secretary.history.first()
    assert latest.history_user == world.county_assessor_a
    assert latest.tenure_end == date(2025, 12, 31)


def test_the_staff_no_cannot_be_changed_after_creation(world, login):
    client = login(world.county_assessor_a)
    secretary = world.secretaries["a1"]
    url = reverse("secretary-edit", args=[secretary.pk])
    assert client.get(url).context["form"].fields["staff_no"].disabled
    client.post(url, edit_data(secretary, staff_no="ZZ9", name="甲书记改"))
    secretary.refresh_from_db()
    assert (secretary.staff_no, secretary.name) == ("SA1", "甲书记改")
    with pytest.raises(ValidationError, match="工号是书记的固定标识"):
        services.update_secretary(
            actor=None, secretary=secretary, version=secretary.version, staff_no="ZZ9"
        )


def test_only_communities_in_the_editors_scope_are_choices(world, login):
    client = login(world.county_assessor_a)
    form = client.get(reverse("secretary-create")).context["form"]
    assert set(form.fields["community"].queryset) == {
        world.community_a1,
        world.community_a2,
        world.community_b1,
    }
    response = client.post(
        reverse("secretary-create"), form_data(world, community=world.community_c1.pk)
    )
    assert response.status_code == 200
    assert response.context["form"].errors["community"]
    assert not Secretary.objects.filter(staff_no="SA9").exists()


def test_the_service_refuses_a_community_outside_the_actors_scope(world):
    before = snapshot()
    with pytest.raises(PermissionDenied):
        services.create_secretary(
            actor=world.county_assessor_a,
            staff_no="SX1",
            name="越界",
            community=world.community_c1,
            tenure_start=date(2026, 1, 1),
        )
    with pytest.raises(PermissionDenied):
        services.update_secretary(
            actor=world.county_assessor_a,
            secretary=world.secretaries["a1"],
            version=1,
            community=world.community_c1,
        )
    with pytest.raises(PermissionDenied):
        services.update_secretary(
            actor=world.county_assessor_a,
            secretary=world.secretaries["c1"],
            version=1,
            community=world.community_a1,
        )
    assert snapshot() == before


def test_a_town_assessor_may_not_record_posts_even_in_their_town(world):
    with pytest.raises(PermissionDenied):
        services.create_secretary(
            actor=world.town_assessor_a,
            staff_no="SX2",
            name="越权",
            community=world.community_a1,
            tenure_start=date(2026, 1, 1),
        )
    assert not Secretary.objects.filter(staff_no="SX2").exists()


def test_a_taken_staff_no_is_refused_with_a_chinese_message(world, login):
    client = login(world.county_assessor_a)
    response = client.post(reverse("secretary-create"), form_data(world, staff_no="SA1"))
    assert response.status_code == 200
    assert response.context["form"].errors["staff_no"] == ["具有 工号 的 社区书记 已存在。"]
    assert Secretary.objects.filter(staff_no="SA1").count() == 1
    assert not Secretary.objects.filter(name="新书记").exists()


def test_a_tenure_ending_before_it_starts_is_refused(world, login):
    client = login(world.county_assessor_a)
    response = client.post(
        reverse("secretary-create"),
        form_data(world, tenure_start="2026-01-01", tenure_end="2025-12-31"),
    )
    assert response.context["form"].errors["tenure_end"] == ["任职结束日期不能早于开始日期。"]
    assert not Secretary.objects.filter(staff_no="SA9").exists()


def test_a_certificate_date_without_a_certificate_is_refused(world, login):
    client = login(world.county_assessor_a)
    response = client.post(
        reverse("secretary-create"), form_data(world, has_social_work_certificate="")
    )
    assert response.context["form"].errors["certificate_date"] == ["未持社工证时不应填写取证日期。"]


def test_editing_a_record_someone_else_changed_shows_their_version(world, login):
    client = login(world.county_assessor_a)
    secretary = world.secretaries["a1"]
    url = reverse("secretary-edit", args=[secretary.pk])
    assert client.post(url, edit_data(secretary, name="甲书记一")).status_code == 302
    response = client.post(url, edit_data(secretary, name="甲书记二", tenure_end="2025-12-31"))
    text = response.content.decode()
    assert response.status_code == 200
    assert "已被他人修改" in text and "甲书记一" in text
    secretary.refresh_from_db()
    assert (secretary.name, secretary.tenure_end, secretary.version) == ("甲书记一", None, 2)
    assert secretary.history.count() == 2


def test_an_edit_without_its_version_is_refused(world, login):
    client = login(world.county_assessor_a)
    secretary = world.secretaries["a1"]
    data = edit_data(secretary, name="无版本")
    del data["version"]
    response = client.post(reverse("secretary-edit", args=[secretary.pk]), data)
    assert response.context["form"].errors["version"]
    secretary.refresh_from_db()
    assert secretary.name == "甲书记"


def test_login_accounts_offered_are_unlinked_secretary_accounts_in_scope(world, login):
    free_here = person(Role.SECRETARY, world.community_a2, "sec_free", "待关联书记")
    person(Role.SECRETARY, world.community_c1, "sec_free_qb", "外县待关联")
    person(Role.TOWN_ASSESSOR, world.town_a, "not_a_secretary", "非书记")
    client = login(world.county_assessor_a)
    create = client.get(reverse("secretary-create")).context["form"]
    assert set(create.fields["user"].queryset) == {free_here}
    secretary = world.secretaries["a2"]
    edit = client.get(reverse("secretary-edit", args=[secretary.pk])).context["form"]
    assert set(edit.fields["user"].queryset) == {free_here, secretary.user}
    client.post(reverse("secretary-create"), form_data(world, user=free_here.pk))
    assert Secretary.objects.get(staff_no="SA9").user == free_here


def test_the_service_refuses_to_link_an_account_outside_scope(world):
    outside = person(Role.SECRETARY, world.community_c1, "sec_free_qb", "外县待关联")
    with pytest.raises(PermissionDenied):
        services.update_secretary(
            actor=world.county_assessor_a,
            secretary=world.secretaries["a1"],
            version=1,
            user=outside,
        )
    assert Secretary.objects.get(staff_no="SA1").user == world.secretary_a1


@pytest.mark.parametrize("persona", ["town_assessor_a", "observer_a", "secretary_a1"])
def test_create_and_edit_are_403_for_roles_that_do_not_record_posts(world, login, persona):
    client = login(world.persona(persona))
    secretary = world.secretaries["a1"]
    before = snapshot()
    edit = reverse("secretary-edit", args=[secretary.pk])
    assert client.get(reverse("secretary-create")).status_code == 403
    assert client.post(reverse("secretary-create"), form_data(world)).status_code == 403
    assert client.get(edit).status_code == 403
    assert client.post(edit, edit_data(secretary, name="改")).status_code == 403
    assert snapshot() == before


def test_a_county_assessor_gets_404_for_a_secretary_of_another_county(world, login):
    client = login(world.county_assessor_a)
    foreign = world.secretaries["c1"]
    before = snapshot()
    url = reverse("secretary-edit", args=[foreign.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, edit_data(foreign, name="被篡改")).status_code == 404
    assert snapshot() == before


def test_an_admin_of_one_county_who_observes_another_cannot_edit_there(world, login):
    client = login(world.split_person)
    inside = world.secretaries["a1"]
    assert client.get(reverse("secretary-edit", args=[inside.pk])).status_code == 404
    own = world.secretaries["c1"]
    assert client.get(reverse("secretary-edit", args=[own.pk])).status_code == 200


def test_recording_a_successor_starts_from_the_community_in_scope(world, login):
    client = login(world.county_assessor_a)
    url = reverse("secretary-create")
    prefilled = client.get(url, {"community": world.community_a2.pk}).context["form"]
    assert prefilled.initial["community"] == world.community_a2
    foreign = client.get(url, {"community": world.community_c1.pk}).context["form"]
    assert foreign.initial["community"] is None


def test_a_refused_form_sums_up_each_error_once_linking_to_its_field(world, login):
    """Issue 14: errors are listed once at the top, each linking to its field."""
    client = login(world.admin_a)
    response = client.post(
        reverse("secretary-create"), form_data(world, name="", tenure_start="明年")
    )
    assert response.status_code == 200
    html = response.content.decode()
    summary = html.split('data-testid="error-summary"')[1].split("</ul>")[0]
    assert "请修改以下 2 处" in summary
    assert 'href="#id_name"' in summary and 'href="#id_tenure_start"' in summary
    for message in response.context["form"].errors["name"]:
        assert summary.count(message) == 1
