"""for_user on every model (SPEC §1: scope is org tree position × role)."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError

from org import services
from org.models import Membership, OrgUnit, Secretary, User
from org.scope import Role, scope_of

# One world for the module; each test runs in a savepoint inside it.
pytestmark = pytest.mark.usefixtures("shared_world")


@pytest.mark.parametrize(
    "persona,expected",
    [
        ("admin_a", {"SA1", "SA2", "SB1"}),
        ("county_assessor_a", {"SA1", "SA2", "SB1"}),
        ("town_assessor_a", {"SA1", "SA2"}),
        ("observer_a", {"SA1", "SA2"}),
        ("secretary_a1", {"SA1"}),
        ("outsider_b", {"SB1"}),
    ],
)
def test_each_role_sees_the_secretaries_of_its_subtree_only(world, persona, expected):
    user = world.persona(persona)
    assert set(Secretary.objects.for_user(user).values_list("staff_no", flat=True)) == expected


@pytest.mark.parametrize(
    "persona,expected",
    [
        ("town_assessor_a", {"QA1", "QA101", "QA102", "QA101-1"}),
        ("secretary_a1", {"QA101", "QA101-1"}),
        ("outsider_b", {"QA2", "QA201"}),
    ],
)
def test_org_units_in_scope(world, persona, expected):
    user = world.persona(persona)
    assert set(OrgUnit.objects.for_user(user).values_list("code", flat=True)) == expected


def test_a_secretary_sees_only_themself_among_users_and_memberships(world):
    user = world.secretary_a1
    assert list(User.objects.for_user(user)) == [user]
    assert {m.user for m in Membership.objects.for_user(user)} == {user}


def test_a_town_assessor_sees_the_people_of_their_town(world):
    names = set(User.objects.for_user(world.town_assessor_a).values_list("username", flat=True))
    assert names == {"town_a", "observer_a", "sec_a1", "sec_a2", "split"}


def test_accounts_without_any_role_are_seen_by_superusers_only(world):
    orphan = User.objects.create(username="orphan", full_name="无角色")
    root = User.objects.create(username="root", is_superuser=True)
    assert orphan not in User.objects.for_user(world.admin_a)
    assert orphan not in User.objects.manageable_by(world.admin_a)
    assert orphan in User.objects.manageable_by(root)


def test_an_admin_manages_only_accounts_wholly_inside_their_subtree(world):
    """An account that also holds a role in another county, and any superuser, are out
    of a county admin's reach, though they may be visible."""
    split = world.outsider_b
    services.grant_membership(actor=None, user=split, role=Role.OBSERVER, org_unit=world.county_b)
    root = User.objects.create(username="root", is_superuser=True)
    services.grant_membership(actor=None, user=root, role=Role.OBSERVER, org_unit=world.town_a)
    managed = User.objects.manageable_by(world.admin_a)
    assert split not in managed and root not in managed
    assert world.town_assessor_a in managed
    assert split in User.objects.for_user(world.admin_a)


def test_superusers_reach_everything(world):
    root = User.objects.create(username="root", is_superuser=True)
    assert OrgUnit.objects.for_user(root).count() == OrgUnit.objects.count()
    assert Secretary.objects.for_user(root).count() == 4


def test_anonymous_reaches_nothing(world):
    anonymous = AnonymousUser()
    for model in (OrgUnit, User, Membership, Secretary):
        assert not model.objects.for_user(anonymous).exists()


def test_a_suspended_membership_stops_reaching_its_subtree(world):
    membership = world.town_assessor_a.memberships.get()
    services.set_membership_active(
        actor=world.admin_a, membership=membership, version=1, is_active=False
    )
    user = User.objects.get(pk=world.town_assessor_a.pk)
    assert not Secretary.objects.for_user(user).exists()


def test_several_memberships_add_up(world):
    user = world.outsider_b
    services.grant_membership(
        actor=world.admin_a, user=user, role=Role.OBSERVER, org_unit=world.town_a
    )
    user = User.objects.get(pk=user.pk)
    assert set(Secretary.objects.for_user(user).values_list("staff_no", flat=True)) == {
        "SA1",
        "SA2",
        "SB1",
    }
    assert scope_of(user).roles == {Role.TOWN_ASSESSOR, Role.OBSERVER}


def test_scope_is_read_once_per_user_object(world, django_assert_num_queries):
    user = User.objects.get(pk=world.town_assessor_a.pk)
    with django_assert_num_queries(1):
        scope_of(user)
        scope_of(user)
        assert scope_of(user).has_role(Role.TOWN_ASSESSOR)


def test_a_role_binds_only_to_its_kind_of_unit(world):
    with pytest.raises(ValidationError) as caught:
        services.grant_membership(
            actor=world.admin_a, user=world.outsider_b, role=Role.SECRETARY, org_unit=world.town_a
        )
    assert "只能绑定到" in caught.value.messages[0]
    assert world.outsider_b.memberships.count() == 1
