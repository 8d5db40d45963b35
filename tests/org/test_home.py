"""Home page per role: each section shows what exists in the user's scope, with a fixed
number of queries."""

import pytest
from django.urls import reverse

from org import services

# One world for the module; each test runs in a savepoint inside it.
pytestmark = pytest.mark.usefixtures("shared_world")

SECTIONS = {
    "admin_a": ["home-admin", "home-audit"],
    "county_assessor_a": ["home-county"],
    "town_assessor_a": ["home-town"],
    "observer_a": ["home-observer", "home-audit"],
    "secretary_a1": ["home-secretary"],
}


@pytest.mark.parametrize("persona", list(SECTIONS))
def test_each_role_sees_its_own_sections(world, login, persona, django_assert_max_num_queries):
    client = login(world.persona(persona))
    with django_assert_max_num_queries(24):
        response = client.get(reverse("home"))
    text = response.content.decode()
    for section in SECTIONS[persona]:
        assert f'data-testid="{section}"' in text
    others = {s for sections in SECTIONS.values() for s in sections} - set(SECTIONS[persona])
    for section in others:
        assert f'data-testid="{section}"' not in text


def test_the_admin_sees_unit_and_account_counts(world, login):
    admin = login(world.admin_a).get(reverse("home")).context["admin"]
    assert dict(admin["unit_counts"]) == {"县/区": 1, "乡镇/街道": 2, "社区": 3, "网格": 1}
    # admin, county and town assessors, observer, outsider and three secretaries of QA
    assert admin["n_users"] == 8


def test_the_county_assessor_sees_towns_with_their_communities(world, login):
    [county] = login(world.county_assessor_a).get(reverse("home")).context["counties"]
    rows = {t.name: (t.n_communities, t.n_secretaries) for t in county["towns"]}
    assert rows == {"城关镇": (2, 2), "东湖街道": (1, 1)}


def test_the_town_assessor_sees_communities_and_their_secretaries(world, login):
    text = login(world.town_assessor_a).get(reverse("home")).content.decode()
    assert "城东社区" in text and "甲书记" in text and "城西社区" in text
    assert "东湖社区" not in text


def test_the_secretary_sees_their_post(world, login):
    text = login(world.secretary_a1).get(reverse("home")).content.decode()
    assert "城东社区" in text and "SA1" in text and "城关镇" in text


def test_a_user_with_several_roles_gets_every_section(world, login):
    services.grant_membership(
        actor=world.admin_a, user=world.outsider_b, role="observer", org_unit=world.town_a
    )
    text = login(world.outsider_b).get(reverse("home")).content.decode()
    assert 'data-testid="home-town"' in text and 'data-testid="home-observer"' in text


def test_secretaries_who_left_their_post_are_not_counted(world, login):
    gone = world.secretaries["a2"]
    gone.tenure_end = gone.tenure_start.replace(year=2021)
    services.save_secretary(actor=world.admin_a, secretary=gone, version=1)
    [county] = login(world.county_assessor_a).get(reverse("home")).context["counties"]
    assert {t.name: t.n_secretaries for t in county["towns"]}["城关镇"] == 1
    text = login(world.town_assessor_a).get(reverse("home")).content.decode()
    assert "乙书记" not in text
