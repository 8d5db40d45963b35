"""Org tree (SPEC §2): codes, kinds, parent rules, ancestor/descendant queries, moves."""

import pytest
from django.core.exceptions import ValidationError

from core.versioning import StaleVersion
from org import services
from org.models import OrgUnit, OrgUnitKind, common_path

# One world for the module; each test runs in a savepoint inside it.
pytestmark = pytest.mark.usefixtures("shared_world")


def test_path_and_depth_follow_the_tree(world):
    assert world.county_a.path == "/QA/"
    assert world.community_a1.path == "/QA/QA1/QA101/"
    assert world.grid_a1.depth == 3


def test_descendants_are_one_query_whatever_the_depth(world, django_assert_num_queries):
    with django_assert_num_queries(1):
        codes = {u.code for u in world.county_a.descendants()}
    assert codes == {"QA1", "QA2", "QA101", "QA102", "QA201", "QA101-1"}


def test_ancestors_are_one_query_from_the_root_down(world, django_assert_num_queries):
    with django_assert_num_queries(1):
        names = [u.name for u in world.grid_a1.ancestors()]
    assert names == ["青山县", "城关镇", "城东社区"]


def test_moving_a_community_moves_its_grids(world):
    admin = world.admin_a
    services.update_org_unit(actor=admin, unit=world.community_a1, version=1, parent=world.town_b)
    grid = OrgUnit.objects.get(code="QA101-1")
    assert grid.path == "/QA/QA2/QA101/QA101-1/"
    assert grid.depth == 3
    assert {u.code for u in world.town_b.descendants()} >= {"QA101", "QA101-1"}


def test_codes_are_stable_and_cannot_be_changed(world):
    """SPEC §2: codes are stable identifiers."""
    with pytest.raises(ValidationError, match="创建后不能修改"):
        services.update_org_unit(actor=None, unit=world.town_a, version=1, code="QA9")
    assert OrgUnit.objects.get(code="QA101-1").path == "/QA/QA1/QA101/QA101-1/"


def test_an_edit_without_a_version_is_refused(world):
    with pytest.raises(ValidationError, match="缺少版本号"):
        services.update_org_unit(actor=None, unit=world.town_a, version=None, name="无版本")


@pytest.mark.parametrize(
    "kind,parent_attr",
    [
        (OrgUnitKind.COMMUNITY, "county_a"),
        (OrgUnitKind.TOWN, "town_a"),
        (OrgUnitKind.GRID, "town_a"),
        (OrgUnitKind.TOWN, None),
    ],
)
def test_a_unit_must_sit_under_the_right_kind_of_parent(world, kind, parent_attr):
    parent = getattr(world, parent_attr) if parent_attr else None
    with pytest.raises(ValidationError) as caught:
        services.create_org_unit(actor=None, code="X1", name="错位单位", kind=kind, parent=parent)
    assert "不能挂在" in caught.value.message_dict["parent"][0]
    assert not OrgUnit.objects.filter(code="X1").exists()


def test_a_unit_cannot_move_under_its_own_subtree(world):
    district = services.create_org_unit(
        actor=None, code="QAX", name="开发区", kind=OrgUnitKind.COUNTY, parent=world.county_a
    )
    with pytest.raises(ValidationError) as caught:
        services.update_org_unit(actor=None, unit=world.county_a, version=1, parent=district)
    assert "不能是本单位或其下级" in caught.value.message_dict["parent"][0]
    assert OrgUnit.objects.get(code="QA").parent is None


def test_codes_are_unique_and_plain(world):
    with pytest.raises(ValidationError) as caught:
        services.create_org_unit(
            actor=None, code="QA1", name="重复", kind=OrgUnitKind.TOWN, parent=world.county_a
        )
    assert "code" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        services.create_org_unit(
            actor=None, code="含 空格/斜杠", name="坏编码", kind=OrgUnitKind.COUNTY
        )
    assert "编码只能包含" in caught.value.message_dict["code"][0]


def test_a_unit_with_children_or_people_cannot_be_deleted(world):
    with pytest.raises(ValidationError, match="还有下级单位"):
        services.delete_org_unit(actor=None, unit=world.town_a, version=1)
    with pytest.raises(ValidationError, match="仍有用户授权"):
        services.delete_org_unit(actor=None, unit=world.community_a2, version=1)
    services.delete_org_unit(actor=None, unit=world.grid_a1, version=1)
    assert not OrgUnit.objects.filter(code="QA101-1").exists()


def test_a_stale_version_is_refused_and_nothing_changes(world):
    services.update_org_unit(actor=None, unit=world.town_a, version=1, name="城关镇（新）")
    with pytest.raises(StaleVersion) as caught:
        services.update_org_unit(actor=None, unit=world.town_a, version=1, name="别人的修改")
    assert caught.value.current.name == "城关镇（新）"
    assert OrgUnit.objects.get(code="QA1").name == "城关镇（新）"


def test_common_path_is_the_deepest_shared_ancestor():
    assert common_path(["/QA/QA1/QA101/", "/QA/QA1/QA102/"]) == "/QA/QA1/"
    assert common_path(["/QA/QA1/", "/QB/"]) == ""
    assert common_path([]) == ""


def test_a_county_with_templates_or_cycles_cannot_be_deleted(world):
    from indicators.starter import install_starter_templates

    install_starter_templates(actor=None, county=world.county_b)
    for unit in (
        OrgUnit.objects.filter(path__startswith="/QB/").exclude(code="QB").order_by("-depth")
    ):
        unit.memberships.all().delete()
        unit.secretaries.all().delete()
        services.delete_org_unit(actor=None, unit=unit, version=unit.version)
    county = OrgUnit.objects.get(code="QB")
    county.memberships.all().delete()
    with pytest.raises(ValidationError, match="已有指标体系或考核周期"):
        services.delete_org_unit(actor=None, unit=county, version=county.version)
