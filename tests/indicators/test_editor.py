"""The template editor in the browser (server side): pages, in-place edits returning
the re-rendered tree, structure changes, anchors, event types, metrics, categories, and
who may do what."""

from decimal import Decimal as D

import pytest
from django.urls import reverse

from indicators.models import IndicatorNode, IndicatorTemplate
from indicators.starter import SEED_TEMPLATE, install_starter_templates

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def template(world):
    made = install_starter_templates(actor=None, county=world.county_a)
    return next(t for t in made if t.name == SEED_TEMPLATE["name"])


@pytest.fixture
def editor(world, login):
    return login(world.county_assessor_a)


def row_post(node, **changes):
    data = {
        "name": node.name,
        "points": str(node.points),
        "version": node.version,
        **({"method": node.method} if node.method else {}),
    }
    data.update(changes)
    return data


def test_the_list_and_editor_pages_show_the_tree(
    world, editor, template, django_assert_max_num_queries
):
    assert SEED_TEMPLATE["name"] in editor.get(reverse("template-list")).content.decode()
    with django_assert_max_num_queries(30):
        response = editor.get(reverse("template-detail", args=[template.pk]))
    text = response.content.decode()
    assert 'data-testid="valid-badge"' in text
    assert "三会一课" in text and "信访维稳" in text and "镇级信访案" in text
    assert 'hx-post="/indicators/nodes/' in text


def test_editing_a_cell_saves_and_returns_the_tree_with_new_sums(editor, template):
    node = template.nodes.get(name="三会一课")
    response = editor.post(reverse("node-update", args=[node.pk]), row_post(node, points="5"), **HX)
    text = response.content.decode()
    node.refresh_from_db()
    assert node.points == D(5) and node.version == 2
    assert 'data-testid="invalid-badge"' in text
    assert "指标 1“党建”：下级指标分值合计 24，与本级分值 25 不符。" in text


def test_a_number_that_is_not_one_is_refused_in_chinese_and_nothing_is_saved(editor, template):
    node = template.nodes.get(name="三会一课")
    response = editor.post(
        reverse("node-update", args=[node.pk]), row_post(node, points="六"), **HX
    )
    assert "1.1 未保存：分值：" in response.content.decode()
    node.refresh_from_db()
    assert node.points == D(6)


def test_a_stale_row_is_refused_and_the_latest_is_shown(editor, template):
    node = template.nodes.get(name="三会一课")
    editor.post(reverse("node-update", args=[node.pk]), row_post(node, name="改一"), **HX)
    response = editor.post(
        reverse("node-update", args=[node.pk]), row_post(node, name="改二"), **HX
    )
    text = response.content.decode()
    assert "已被他人修改" in text and 'value="改一"' in text


def test_bands_are_typed_as_in_excel(editor, template):
    node = template.nodes.get(method="bands")
    data = row_post(node, metric_key=node.metric_key, bands="0:0；10:1;20:3;30:4")
    editor.post(reverse("node-update", args=[node.pk]), data, **HX)
    node.refresh_from_db()
    assert node.band_pairs == ((D(0), D(0)), (D(10), D(1)), (D(20), D(3)), (D(30), D(4)))
    bad = editor.post(reverse("node-update", args=[node.pk]), row_post(node, bands="0-0"), **HX)
    assert "分档格式应为" in bad.content.decode()


def test_adding_moving_and_deleting_nodes_from_the_editor(editor, template):
    dimension = template.nodes.get(code="4")
    editor.post(
        reverse("node-create", args=[template.pk]),
        {"parent": dimension.pk, "name": "新指标", "points": "0"},
        **HX,
    )
    new = template.nodes.get(name="新指标")
    assert new.code == "4.4"
    editor.post(
        reverse("node-shift", args=[new.pk]), {"direction": "up", "version": new.version}, **HX
    )
    assert template.nodes.get(name="新指标").code == "4.3"
    new.refresh_from_db()
    response = editor.post(reverse("node-delete", args=[new.pk]), {"version": new.version}, **HX)
    assert not template.nodes.filter(name="新指标").exists()
    assert response.status_code == 200


def test_anchors_and_criteria_are_edited_in_the_detail_panel(editor, template):
    node = template.nodes.get(name="主题党日")
    panel = editor.get(reverse("node-detail", args=[node.pk]), **HX).content.decode()
    assert 'name="bars_label"' in panel
    response = editor.post(
        reverse("node-detail", args=[node.pk]),
        {
            "version": node.version,
            "description": "每月一次。",
            "bars_label": ["好", "差", ""],
            "bars_description": ["按月开展", "未开展", ""],
            "bars_value": ["4", "0", ""],
        },
        **HX,
    )
    assert response.status_code == 200
    node.refresh_from_db()
    assert node.description == "每月一次。"
    assert [(b.label, b.value) for b in node.bars_levels.all()] == [("好", D(4)), ("差", D(0))]


def test_event_types_metrics_and_categories_are_edited_in_their_sections(editor, template):
    leaf = template.nodes.get(name="信访维稳")
    added = editor.post(
        reverse("event-type-save", args=[template.pk]),
        {"code": "XFJ", "name": "信访积案", "points": "-1", "leaf": leaf.pk, "cap": "3"},
        **HX,
    )
    assert "信访积案" in added.content.decode()
    bad = editor.post(
        reverse("event-type-save", args=[template.pk]),
        {"code": "BAD", "name": "错计", "points": "-1"},
        **HX,
    ).content.decode()
    assert "扣分事项必须计入一个“扣分”方法的末级指标" in bad
    editor.post(
        reverse("metric-save", args=[template.pk]),
        {"key": "volunteers", "name": "志愿者人数", "unit": "人", "source": "entered"},
        **HX,
    )
    assert template.metrics.filter(key="volunteers").exists()
    in_use = template.metrics.get(key="cert_rate")
    refused = editor.post(reverse("metric-delete", args=[in_use.pk]), **HX).content.decode()
    assert "仍被指标使用" in refused
    editor.post(
        reverse("category-save", args=[template.pk]), {"name": "社会组织", "weight": "10"}, **HX
    )
    assert template.survey_categories.filter(name="社会组织", weight=D(10)).exists()


def test_a_released_template_is_read_only_and_edits_go_to_a_new_edition(world, editor, template):
    from indicators import services

    services.freeze_template(actor=None, template=template)
    page = editor.get(reverse("template-detail", args=[template.pk])).content.decode()
    assert 'data-testid="released-banner"' in page and 'hx-post="/indicators/nodes/' not in page
    response = editor.post(reverse("template-edition", args=[template.pk]))
    edition = IndicatorTemplate.objects.get(lineage=template.lineage, edition=2)
    assert response.url == reverse("template-detail", args=[edition.pk])
    node = template.nodes.get(name="三会一课")
    stale_page = editor.post(
        reverse("node-update", args=[node.pk]), row_post(node, name="改"), **HX
    )
    assert stale_page["HX-Redirect"] == reverse("template-detail", args=[edition.pk])
    assert edition.nodes.get(code="1.1").name == "改"


def test_creating_a_template_from_a_starter_or_a_copy(world, editor, template):
    response = editor.post(
        reverse("template-create"),
        {"county": world.county_a.pk, "name": "我县2027指标", "start": f"copy:{template.pk}"},
    )
    copy = IndicatorTemplate.objects.get(name="我县2027指标")
    assert response.url == reverse("template-detail", args=[copy.pk])
    assert copy.nodes.count() == template.nodes.count()
    editor.post(
        reverse("template-create"), {"county": world.county_a.pk, "name": "空白", "start": "blank"}
    )
    assert IndicatorTemplate.objects.get(name="空白").nodes.count() == 0


@pytest.mark.parametrize("persona", ["town_assessor_a", "observer_a", "secretary_a1"])
def test_other_roles_read_the_template_but_cannot_edit(world, login, template, persona):
    client = login(world.persona(persona))
    page = client.get(reverse("template-detail", args=[template.pk]))
    assert page.status_code == 200 and "三会一课" in page.content.decode()
    node = template.nodes.get(name="三会一课")
    assert (
        client.post(reverse("node-update", args=[node.pk]), row_post(node, name="改")).status_code
        == 403
    )
    assert client.get(reverse("template-create")).status_code == 403
    assert IndicatorNode.objects.get(pk=node.pk).name == "三会一课"


def test_a_template_of_another_county_is_404(world, login):
    other = install_starter_templates(actor=None, county=world.county_b)[0]
    client = login(world.county_assessor_a)
    assert client.get(reverse("template-detail", args=[other.pk])).status_code == 404
    node = other.nodes.first()
    assert (
        client.post(reverse("node-update", args=[node.pk]), row_post(node, name="改")).status_code
        == 404
    )


def test_readers_open_the_criteria_panel_read_only(world, login, template):
    client = login(world.town_assessor_a)
    node = template.nodes.get(name="三会一课")
    panel = client.get(reverse("node-detail", args=[node.pk])).content.decode()
    assert "按规定召开支部党员大会" in panel and "保存评分标准" not in panel
    assert client.post(reverse("node-detail", args=[node.pk]), {"version": 1}).status_code == 403


def test_a_copy_from_another_county_is_refused_before_anything_is_made(world, editor, template):
    from org import services as org_services

    org_services.grant_membership(
        actor=None, user=world.county_assessor_a, role="county_assessor", org_unit=world.county_b
    )
    foreign = install_starter_templates(actor=None, county=world.county_b)[0]
    before = IndicatorTemplate.objects.count()
    response = editor.post(
        reverse("template-create"),
        {"county": world.county_a.pk, "name": "越县复制", "start": f"copy:{foreign.pk}"},
    )
    assert "只能复制本县/区的指标体系" in response.content.decode()
    assert IndicatorTemplate.objects.count() == before
