"""Template services: starting templates, cloning, freezing, editions, tree edits."""

from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError

from core.versioning import StaleVersion
from indicators import services
from indicators.models import EventType, IndicatorTemplate
from indicators.starter import SEED_TEMPLATE, install_starter_templates


@pytest.fixture
def seed_template(world):
    made = install_starter_templates(actor=world.county_assessor_a, county=world.county_a)
    return next(t for t in made if t.name == SEED_TEMPLATE["name"])


def codes(template):
    return [(n.code, n.name) for n in template.nodes.all()]


def test_both_starting_templates_are_valid_and_installed_once(world):
    made = install_starter_templates(actor=None, county=world.county_a)
    assert {t.name for t in made} == {"社区书记绩效考核指标（示范）", "修水县“三张考卷”"}
    for template in made:
        report = services.check_template(template)
        assert report.problems == [], [p.message for p in report.problems]
    assert install_starter_templates(actor=None, county=world.county_a) == []


def test_the_seed_template_has_the_seeds_dimensions_ranges_and_events(seed_template):
    dimensions = {
        n.name: (n.points, n.range_min, n.range_max)
        for n in seed_template.nodes.filter(parent=None)
    }
    assert dimensions == {
        "党建": (D(25), D(20), D(25)),
        "社区治理与民生服务": (D(35), D(30), D(40)),
        "重点工作与创新突破": (D(25), D(20), D(30)),
        "廉政与履职规范": (D(15), D(10), D(15)),
    }
    survey = seed_template.nodes.get(name="群众满意度")
    assert (survey.method, survey.points) == ("survey", D(15))
    events = {
        e.name: (e.points, e.is_veto, e.leaf.name if e.leaf else None)
        for e in seed_template.event_types.select_related("leaf")
    }
    assert events["镇级信访案"] == (D(-3), False, "信访维稳")
    assert events["越级信访"][1] is True
    assert events["省级表彰"] == (D(20), False, None)
    assert events["无故缺席"][0] == D(-5)
    assert seed_template.nodes.get(name="三会一课").bars_levels.count() == 4


def test_codes_follow_the_tree_in_reading_order(seed_template):
    names = codes(seed_template)
    assert names[:3] == [("1", "党建"), ("1.1", "三会一课"), ("1.2", "主题党日")]
    assert names[-1] == ("4.3", "社工持证率")


def test_a_clone_is_a_deep_copy_with_its_own_rows(seed_template, world):
    copy = services.clone_template(
        actor=world.county_assessor_a, template=seed_template, name="副本"
    )
    assert codes(copy) == codes(seed_template)
    assert copy.lineage != seed_template.lineage and copy.edition == 1
    leaf = copy.event_types.get(code="ZJXF").leaf
    assert leaf.template == copy and leaf.name == "信访维稳"
    assert copy.nodes.get(name="三会一课").bars_levels.count() == 4
    assert copy.survey_categories.count() == 3 and copy.metrics.count() == 5
    assert services.check_template(copy).is_valid


def test_freezing_releases_the_source_and_later_edits_make_a_new_edition(seed_template, world):
    actor = world.county_assessor_a
    frozen = services.freeze_template(actor=actor, template=seed_template)
    seed_template.refresh_from_db()
    assert frozen.is_frozen and seed_template.released
    node = seed_template.nodes.get(name="三会一课")
    edited = services.update_node(
        actor=actor, node=node, version=node.version, name="三会一课（修订）"
    )
    assert edited.template != seed_template
    assert edited.template.edition == 2 and edited.template.lineage == seed_template.lineage
    assert frozen.nodes.get(code="1.1").name == "三会一课"
    assert seed_template.nodes.get(code="1.1").name == "三会一课"
    # the second edit goes to the same new edition
    again = services.update_node(actor=actor, node=node, version=None, points=D(6))
    assert again.template == edited.template
    assert (
        IndicatorTemplate.objects.filter(lineage=seed_template.lineage, is_frozen=False).count()
        == 2
    )


def test_a_frozen_copy_refuses_every_edit(seed_template, world):
    frozen = services.freeze_template(actor=None, template=seed_template)
    node = frozen.nodes.first()
    with pytest.raises(ValidationError, match="冻结"):
        services.update_node(actor=None, node=node, version=node.version, name="改")
    with pytest.raises(ValidationError, match="冻结"):
        services.add_node(actor=None, template=frozen, name="新", points=D(1))


def test_adding_moving_and_deleting_nodes_renumbers_codes(world):
    template = services.create_template(actor=None, county=world.county_a, name="空白")
    a = services.add_node(actor=None, template=template, name="甲", points=D(60))
    b = services.add_node(actor=None, template=template, name="乙", points=D(40))
    a1 = services.add_node(
        actor=None, template=template, parent=a, name="甲一", points=D(30), method="rating"
    )
    services.add_node(
        actor=None, template=template, parent=a, name="甲二", points=D(30), method="rating"
    )
    assert codes(template) == [("1", "甲"), ("1.1", "甲一"), ("1.2", "甲二"), ("2", "乙")]
    services.move_node(actor=None, node=b, version=b.version, before=a)
    assert codes(template) == [("1", "乙"), ("2", "甲"), ("2.1", "甲一"), ("2.2", "甲二")]
    a1.refresh_from_db()
    services.move_node(actor=None, node=a1, version=a1.version, parent=b)
    assert codes(template) == [("1", "乙"), ("1.1", "甲一"), ("2", "甲"), ("2.1", "甲二")]
    a.refresh_from_db()
    services.delete_node(actor=None, node=a, version=a.version)
    assert codes(template) == [("1", "乙"), ("1.1", "甲一")]


def test_a_leaf_that_gets_a_child_drops_its_method(world):
    template = services.create_template(actor=None, county=world.county_a, name="空白")
    dim = services.add_node(
        actor=None, template=template, name="甲", points=D(100), method="rating"
    )
    services.add_node(
        actor=None, template=template, parent=dim, name="甲一", points=D(100), method="rating"
    )
    dim.refresh_from_db()
    assert dim.method == ""


def test_a_node_cannot_move_into_its_own_subtree(seed_template):
    dimension = seed_template.nodes.get(code="1")
    leaf = seed_template.nodes.get(code="1.1")
    with pytest.raises(ValidationError, match="自己的下级"):
        services.move_node(actor=None, node=dimension, version=dimension.version, parent=leaf)


def test_deleting_a_leaf_with_event_types_charged_to_it_is_refused(seed_template):
    leaf = seed_template.nodes.get(name="信访维稳")
    with pytest.raises(ValidationError, match="镇级信访案"):
        services.delete_node(actor=None, node=leaf, version=leaf.version)
    assert seed_template.nodes.filter(name="信访维稳").exists()


def test_a_stale_node_version_is_refused(seed_template):
    node = seed_template.nodes.get(code="1.1")
    services.update_node(actor=None, node=node, version=node.version, name="改一")
    with pytest.raises(StaleVersion):
        services.update_node(actor=None, node=node, version=node.version, name="改二")


def test_event_types_edit_in_the_new_edition_too(seed_template, world):
    services.freeze_template(actor=None, template=seed_template)
    event_type = seed_template.event_types.get(code="ZJXF")
    changed = services.save_event_type(
        actor=None,
        template=seed_template,
        event_type=event_type,
        version=event_type.version,
        points=D(-4),
    )
    assert changed.template.edition == 2 and changed.leaf.template == changed.template
    assert EventType.objects.get(pk=event_type.pk).points == D(-3)


def test_metrics_in_use_cannot_be_deleted(seed_template):
    metric = seed_template.metrics.get(key="cert_rate")
    with pytest.raises(ValidationError, match="仍被指标使用"):
        services.delete_metric(actor=None, metric=metric)


def test_every_edit_is_audited_with_its_author(seed_template, world):
    node = seed_template.nodes.get(code="1.1")
    services.update_node(
        actor=world.county_assessor_a, node=node, version=node.version, points=D(5)
    )
    latest = node.history.first()
    assert latest.history_user == world.county_assessor_a
    assert latest.scope_path == "/QA/"
    assert services.check_template(seed_template).errors  # 党建 now sums to 24 ≠ 25
