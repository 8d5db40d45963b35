"""季度通报 and the 工作台 in a real browser, on the demo county: a county assessor opens
the running cycle's bulletins, generates the third quarter's, writes 下步工作要求 and
签发 it (it takes the county's first 文号), reads it on a phone too, then opens the 工作台 with its chart drawn;
axe-core finds no serious or critical problem on either page."""

from playwright.sync_api import expect

from assessment.models import Cycle
from demo.management.commands.seed_demo import DEMO_CYCLE
from reports.models import Bulletin
from tests.e2e.a11y import assert_accessible
from tests.e2e.conftest import SCREENSHOTS, log_in

PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 860}


def test_a_county_assessor_generates_and_issues_a_bulletin_then_reads_the_dashboard(
    demo_county, live_server, watched_page
):
    page = watched_page
    cycle = Cycle.objects.get(name=DEMO_CYCLE)
    log_in(page, live_server.url, "county")
    page.goto(f"{live_server.url}/cycles/{cycle.pk}/")
    page.get_by_test_id("link-bulletins").click()
    page.get_by_label("季度").select_option("3")
    page.get_by_test_id("generate").click()
    expect(page.get_by_text("已开始生成季度通报")).to_be_visible()
    page.get_by_role("link", name="查看").first.click()

    document = page.get_by_test_id("bulletin-document")
    for heading in ("一、总体情况", "二、暂定排名", "三、各镇街情况", "八、下步工作要求"):
        expect(document.get_by_role("heading", name=heading)).to_be_visible()
    expect(document.locator("svg").first).to_be_visible()
    page.get_by_label("八、下步工作要求（签发前填写，每段一行）").fill(
        "抓好整改落实\n做好年度考核准备"
    )
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("下步工作要求已保存。")).to_be_visible()
    page.get_by_label("已核对内容，确认签发").check()
    page.get_by_test_id("issue").click()
    bulletin = Bulletin.objects.get(cycle=cycle, quarter=3)
    assert bulletin.number == "青组通〔2026〕1号" or bulletin.number.endswith("〔2026〕1号")
    expect(page.get_by_test_id("bulletin-state")).to_have_text("已签发")
    expect(page.get_by_text(bulletin.number).first).to_be_visible()
    expect(document.get_by_text("抓好整改落实")).to_be_visible()
    assert_accessible(page)
    page.screenshot(path=str(SCREENSHOTS / "bulletin.png"), full_page=False)
    # On a phone the page keeps its width: wide tables scroll inside it.
    page.set_viewport_size(PHONE)
    expect(document.get_by_role("heading", name="二、暂定排名")).to_be_visible()
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    page.set_viewport_size(DESKTOP)

    page.get_by_role("link", name="工作台").first.click()
    expect(page).to_have_url(f"{live_server.url}/cycles/{cycle.pk}/dashboard/")
    expect(page.locator("canvas").first).to_be_visible()
    expect(page.get_by_text(bulletin.number).first).to_be_visible()
    assert_accessible(page)
    page.screenshot(path=str(SCREENSHOTS / "dashboard.png"), full_page=False)
