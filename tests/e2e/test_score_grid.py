"""The score grid in a real browser (issue 5): a county assessor opens it from the cycle
page, types scores moving with Enter and the arrows as in Excel, sees them autosaved
without a reload, an inline refusal for 999, the counters move, a conflict when the
entry changed behind the page, and records a 关键事件 in the side panel."""

import re
from decimal import Decimal as D

from playwright.sync_api import expect

from assessment.models import Cycle
from demo.management.commands.seed_demo import DEMO_CYCLE
from indicators.models import BarsLevel
from org.models import User
from scoring.models import CriticalIncident, ScoreEntry, Source
from scoring.services import enter_score
from tests.e2e.conftest import SCREENSHOTS, log_in


def test_a_county_assessor_scores_in_the_grid(demo_county, live_server, watched_page):
    page = watched_page
    cycle = Cycle.objects.get(name=DEMO_CYCLE)
    county = User.objects.get(username="county")
    party = cycle.frozen_template.nodes.get(code="1")  # 党建: the first dimension
    leaves = list(party.children.filter(method="rating").order_by("sort_key"))
    # Setup: 党建's rating leaves are scored directly here (the demo anchors them), and
    # this account starts with none of them entered, whatever else the demo holds.
    ScoreEntry.objects.filter(leaf__in=leaves).update(level=None)
    BarsLevel.objects.filter(node__in=leaves).delete()
    ScoreEntry.objects.filter(leaf__in=leaves, rater=county, source=Source.TARGET).delete()
    first, second = cycle.participants.order_by("community__path", "secretary__staff_no")[:2]
    total = cycle.participants.count()
    incidents_before = CriticalIncident.objects.filter(participant=first).count()

    def cell(who, leaf):
        return page.locator(f"#v-{who.pk}-{leaf.pk}")

    log_in(page, live_server.url, "county")
    page.goto(f"{live_server.url}/cycles/{cycle.pk}/")
    page.get_by_test_id("grid-link-target").click()
    expect(page.get_by_role("heading", name=re.compile("评分表"))).to_be_visible()
    expect(page.get_by_test_id("grid-help")).to_be_visible()
    page.evaluate("window.notReloaded = true")

    cell(first, leaves[0]).click()
    page.keyboard.type("5")
    page.keyboard.press("Enter")  # Excel: Enter goes down the column
    expect(cell(second, leaves[0])).to_be_focused()
    expect(page.get_by_test_id(f"done-{first.pk}")).to_have_text(f"1/{len(leaves)}")
    expect(page.get_by_test_id("save-status")).to_contain_text("已自动保存")
    page.keyboard.type("4")
    page.keyboard.press("ArrowRight")  # the caret is at the end: next column
    expect(cell(second, leaves[1])).to_be_focused()
    page.keyboard.type("3")
    page.keyboard.press("ArrowUp")
    expect(cell(first, leaves[1])).to_be_focused()
    expect(page.get_by_test_id(f"done-{second.pk}")).to_have_text(f"2/{len(leaves)}")
    expect(page.get_by_test_id(f"col-{leaves[0].code}")).to_have_text(f"已评 2/{total}")

    page.keyboard.type("999")
    expect(cell(first, leaves[1])).to_have_class(re.compile("is-invalid"))  # while typing
    page.keyboard.press("Tab")
    expect(cell(first, leaves[2])).to_be_focused()
    refused = page.get_by_test_id(f"cell-{first.pk}-{leaves[1].code}")
    expect(refused.get_by_test_id("cell-error")).to_contain_text(
        f"的分数应在 0 到 {leaves[1].points.normalize()} 之间"
    )
    expect(page.get_by_test_id("save-status")).to_contain_text("未保存")
    cell(first, leaves[1]).click()
    page.keyboard.press("Escape")  # back to the saved value (none)
    expect(cell(first, leaves[1])).to_have_value("")
    expect(refused.get_by_test_id("cell-error")).to_have_count(0)
    expect(page.get_by_test_id("cell-info")).to_contain_text("评分标准")

    saved = {
        (e.participant_id, e.leaf_id): e.value
        for e in ScoreEntry.objects.filter(rater=county, leaf__in=leaves, source=Source.TARGET)
    }
    assert saved == {
        (first.pk, leaves[0].pk): D(5),
        (second.pk, leaves[0].pk): D(4),
        (second.pk, leaves[1].pk): D(3),
    }
    assert page.evaluate("window.notReloaded") is True  # autosaved in place
    page.screenshot(path=SCREENSHOTS / "score-grid.png", full_page=False)

    # The same account changes the first score in another window: this page is behind.
    enter_score(
        actor=county, participant=first, leaf=leaves[0], source=Source.TARGET, value="2", version=1
    )
    cell(first, leaves[0]).fill("6")
    cell(first, leaves[0]).press("Enter")
    conflict = page.get_by_test_id(f"cell-{first.pk}-{leaves[0].code}")
    expect(conflict.get_by_test_id("cell-conflict")).to_contain_text(
        "已被他人修改为 2，请确认后重新输入"
    )
    expect(cell(first, leaves[0])).to_have_value("2")
    cell(first, leaves[0]).fill("6")
    cell(first, leaves[0]).press("Enter")
    expect(conflict.get_by_test_id("cell-conflict")).to_have_count(0)
    expect(cell(first, leaves[0])).to_have_value("6")
    entry = ScoreEntry.objects.get(
        participant=first, leaf=leaves[0], rater=county, source=Source.TARGET
    )
    assert (entry.value, entry.version) == (D(6), 3)

    page.get_by_test_id(f"incidents-{first.pk}").click()
    panel = page.get_by_test_id("incident-panel")
    expect(panel).to_contain_text(first.secretary.name)
    panel.get_by_label("发生日期").fill("2026-03-15")
    panel.get_by_label("事件经过").fill("加装电梯引发群体矛盾，书记三次召集协商化解")
    panel.get_by_test_id("incident-add").click()
    expect(panel.get_by_test_id("incident").first).to_contain_text("三次召集协商化解")
    expect(page.get_by_test_id(f"incident-count-{first.pk}")).to_have_text(
        str(incidents_before + 1)
    )
    assert CriticalIncident.objects.filter(participant=first).count() == incidents_before + 1
    assert page.problems == []
