"""The results pages in a real browser: a county assessor opens the ranking from the cycle
page, filters it, opens a participant (radar), the score card (waterfall), overrides a
grade with a reason, and looks at the quota and pay-tier preview. Screenshots go to
docs/screenshots/ for the README."""

import re
from decimal import Decimal

from playwright.sync_api import expect

from assessment.models import Cycle
from demo.management.commands.seed_demo import DEMO_CYCLE
from org.models import User
from scoring.models import GradeOverride
from scoring.services import current_results, results_are_stale
from tests.e2e.conftest import SCREENSHOTS, log_in
from tests.factories import complete_scoring


def demo_cycle_with_results():
    """The demo's running cycle, with results whatever the demo data holds today."""
    cycle = Cycle.objects.get(name=DEMO_CYCLE)
    if results_are_stale(cycle):
        complete_scoring(cycle, User.objects.get(username="county"))
    assert current_results(cycle) is not None
    return Cycle.objects.get(pk=cycle.pk)


def test_a_county_assessor_checks_the_results_and_overrides_a_grade(
    demo_county, live_server, watched_page
):
    page = watched_page
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    cycle = demo_cycle_with_results()
    labels = list(cycle.grade_labels)
    log_in(page, live_server.url, "county")
    expect(page.get_by_test_id("home-county")).to_be_visible()

    page.goto(f"{live_server.url}/cycles/{cycle.pk}/")
    page.get_by_test_id("link-ranking").click()
    expect(page.get_by_role("heading", name="考核结果排名")).to_be_visible()
    table = page.get_by_test_id("ranking")
    expect(table).to_contain_text("东湖街道")
    page.get_by_label("镇街").select_option(label="城关镇")
    page.get_by_test_id("apply-filters").click()
    expect(page).to_have_url(re.compile(r"town=\d+"))
    expect(table).to_contain_text("城关镇")
    expect(table).not_to_contain_text("东湖街道")
    page.get_by_test_id("sort-final").click()
    expect(page).to_have_url(re.compile(r"sort=-final"))
    expect(page).to_have_url(re.compile(r"town=\d+"))  # sorting keeps the filter
    page.screenshot(path=SCREENSHOTS / "ranking.png", full_page=False)

    first = table.locator("tbody tr").first.get_by_role("link")
    name = first.inner_text()
    first.click()
    expect(page.get_by_role("heading", name=re.compile(name))).to_be_visible()
    radar = page.get_by_test_id("radar")
    expect(radar).to_have_attribute("data-rendered", "true")
    expect(radar.locator("canvas")).to_have_count(1)
    radar.hover()  # the tooltip draws on the canvas: no inline styles for the CSP to refuse
    expect(page.get_by_test_id("leaf-table")).to_contain_text("党建")

    page.get_by_test_id("link-card").click()
    expect(page.get_by_role("heading", name=re.compile("计分卡"))).to_be_visible()
    waterfall = page.get_by_test_id("waterfall")
    expect(waterfall).to_have_attribute("data-rendered", "true")
    expect(waterfall.locator("canvas")).to_have_count(1)
    # What the bars say adds up by hand to the stored 综合得分 (issue 14, item 2): the
    # labels are read back from the drawn chart's own formatters.
    drawn = page.evaluate(
        """() => {
          const chart = echarts.getInstanceByDom(document.getElementById("waterfall-chart"));
          const option = chart.getOption();
          const texts = option.xAxis[0].data.map(() => "");
          option.series.filter((s) => s.label && s.label.show).forEach((s) => {
            s.data.forEach((value, i) => {
              if (value !== "-" && value !== null) {
                texts[i] = s.label.formatter({ value: Number(value), dataIndex: i });
              }
            });
          });
          return { categories: option.xAxis[0].data, texts: texts };
        }"""
    )
    at = drawn["categories"].index("综合得分")
    moves = [Decimal(t.replace("−", "-").replace("+", "")) for t in drawn["texts"][:at]]
    assert sum(moves) == Decimal(drawn["texts"][at]), drawn
    assert not any("round2" in text for text in page.get_by_test_id("steps").all_inner_texts())
    expect(page.get_by_test_id("steps")).to_contain_text("综合得分")
    expect(page.get_by_test_id("step-mismatch")).to_have_count(0)
    page.screenshot(path=SCREENSHOTS / "result-card.png", full_page=True)

    page.go_back()
    current = page.get_by_test_id("grade").inner_text().strip()
    new_grade = next(label for label in labels if label != current)
    form = page.get_by_test_id("override-form")
    form.get_by_label("调整后等次").select_option(label=new_grade)
    form.get_by_label("调整理由").fill("在防汛抢险中表现突出，经党组研究调整")
    form.get_by_test_id("override-save").click()
    expect(page.get_by_role("alert")).to_contain_text(f"等次调整为“{new_grade}”")
    expect(page.get_by_test_id("grade")).to_have_text(new_grade)
    expect(page.get_by_test_id("override-note")).to_contain_text("在防汛抢险中表现突出")
    assert GradeOverride.objects.get(participant__cycle=cycle).grade == new_grade

    page.goto(f"{live_server.url}/scoring/cycles/{cycle.pk}/preview/")
    expect(page.get_by_test_id("group").first).to_contain_text("向下取整")
    expect(page.get_by_test_id("tiers").first).to_contain_text("一档")
    page.screenshot(path=SCREENSHOTS / "preview.png", full_page=True)
    assert page.problems == []
