"""民情直报 on a phone (issue 6: "The diary and grid event forms work well on a phone"):
at a 375 px wide viewport the demo secretary opens 民情直报 from the menu, records a
民情日记, reports a 网格事件 and resolves it — and no page scrolls sideways."""

import re
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from assessment.models import Cycle
from evidence.models import DiaryEntry, GridEvent, GridEventStatus, MetricValue
from org.models import OrgUnit
from tests.e2e.conftest import SCREENSHOTS, log_in

PHONE = {"width": 375, "height": 740}
CYCLE = "2026年度社区书记考核"


def assert_fits_the_phone(page):
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} scrolls sideways: {width}px"


def test_a_secretary_records_a_diary_and_reports_and_resolves_a_grid_event_on_a_phone(
    demo_county, live_server, watched_page
):
    page = watched_page
    page.set_viewport_size(PHONE)
    today = timezone.localdate().strftime("%Y-%m-%d")

    log_in(page, live_server.url, "secretary")
    page.get_by_label("展开导航").click()
    # The menu entry (the home page also lists 民情直报 among the to-dos).
    page.locator("a.nav-link", has_text="民情直报").click()
    expect(page.get_by_role("heading", name="民情直报")).to_be_visible()
    assert_fits_the_phone(page)

    # 民情日记: one column, big controls, the date already today.
    page.get_by_test_id("new-diary").click()
    expect(page.get_by_label("日期", exact=True)).to_have_value(today)
    page.get_by_label("类别").select_option(label="民生诉求")
    page.get_by_label("民情内容").fill("3号楼老人反映电梯经常停运，上下楼困难")
    page.get_by_label("跟进情况").fill("已联系物业维保单位当天检修")
    page.get_by_label("已解决", exact=True).check()
    assert_fits_the_phone(page)
    page.screenshot(path=str(SCREENSHOTS / "records-diary-phone.png"), full_page=True)
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("民情日记已保存。")).to_be_visible()
    expect(page.get_by_test_id("diary-list")).to_contain_text("3号楼老人反映电梯经常停运")
    assert_fits_the_phone(page)

    # 网格事件: reported, then resolved from its page.
    page.get_by_test_id("new-gridevent").click()
    expect(page.get_by_label("上报日期")).to_have_value(today)
    page.get_by_label("网格").select_option(label="第一网格")
    page.get_by_label("类别").select_option(label="安全隐患")
    page.get_by_label("事件描述").fill("小区东门井盖缺失，存在安全隐患")
    assert_fits_the_phone(page)
    page.get_by_role("button", name="上报").click()
    expect(page.get_by_text("网格事件已上报。")).to_be_visible()
    expect(page.get_by_test_id("status")).to_have_text("已上报")
    assert_fits_the_phone(page)

    resolve = page.get_by_test_id("move-resolve")
    expect(resolve.get_by_label("办结日期")).to_have_value(today)
    resolve.get_by_label("处理情况").fill("已协调市政补装井盖")
    resolve.get_by_role("button", name="办结").click()
    expect(page.get_by_test_id("status")).to_have_text("已办结")
    expect(page.get_by_test_id("handling-note")).to_contain_text("已协调市政补装井盖")
    expect(page.get_by_test_id("move-reopen")).to_have_count(0)
    assert_fits_the_phone(page)
    page.screenshot(path=str(SCREENSHOTS / "records-gridevent-phone.png"), full_page=True)

    entry = DiaryEntry.objects.get(content__startswith="3号楼老人")
    assert entry.resolved and entry.resolved_on == timezone.localdate()
    event = GridEvent.objects.get(description__startswith="小区东门井盖")
    assert (event.status, event.grid.name) == (GridEventStatus.RESOLVED, "第一网格")
    assert re.search(r"/records/grid-events/\d+/$", page.url)
    assert page.problems == []


def test_the_county_assessor_fills_the_metric_grid_and_each_cell_saves_itself(
    demo_county, live_server, watched_page
):
    """指标数据 grid: a value saves when the cell is left; a bad one is refused in place,
    naming community and metric; the footer counts the filled cells."""
    page = watched_page
    cycle = Cycle.objects.get(name=CYCLE)
    community = OrgUnit.objects.filter(kind="community").order_by("path").first()
    MetricValue.objects.filter(cycle=cycle).delete()
    log_in(page, live_server.url, "county")
    page.goto(f"{live_server.url}{reverse('metric-grid', args=[cycle.pk])}")
    cell = page.get_by_test_id(f"cell-{community.code}-service_coverage")
    filled = page.get_by_test_id("filled")
    expect(filled).to_contain_text("已填写 0 /")

    cell.get_by_role("textbox").fill("-5")
    cell.get_by_role("textbox").press("Tab")
    expect(cell.get_by_test_id("cell-error")).to_have_text(
        f"{community.name}的“服务覆盖率”不能为负数。"
    )
    cell.get_by_role("textbox").fill("93.5")
    cell.get_by_role("textbox").press("Tab")
    expect(cell.get_by_test_id("cell-error")).to_have_count(0)
    expect(filled).to_contain_text("已填写 1 /")
    assert MetricValue.objects.get(cycle=cycle, community=community).value == Decimal("93.5")
    page.screenshot(path=str(SCREENSHOTS / "records-metric-grid.png"))
    assert page.problems == []
