"""核查 in a real browser (SPEC §2 Record checks): the demo town assessor draws a sample
of 城东社区's records, marks the first record 不实 with a note and the others 属实, and
reports a deduction for the 不实 one, which waits for someone else to verify it. The draw is seeded (the seed a draw
would make is fixed here), so the sample is the one the stored data redraws."""

from playwright.sync_api import expect

from assessment.models import Cycle
from demo.management.commands.seed_demo import DEMO_CYCLE
from evidence.models import EventStatus, SpotCheck, SpotCheckVerdict
from evidence.records import services
from org.models import OrgUnit
from scoring.counters import COUNTERS
from tests.e2e.conftest import SCREENSHOTS, log_in

SEED = 20261207


def counted_records(cycle, code):
    return sum(COUNTERS[key](cycle, None)[code] for key in ("diary_entries", "grid_events"))


def test_a_town_assessor_draws_a_sample_and_marks_a_record_untrue(
    demo_county, live_server, watched_page, monkeypatch
):
    monkeypatch.setattr(services.spotchecks.secrets, "randbits", lambda bits: SEED)
    page = watched_page
    cycle = Cycle.objects.get(name=DEMO_CYCLE)
    community = OrgUnit.objects.get(name="城东社区")
    deduction = cycle.frozen_template.event_types.get(code="ZZSH")
    before = counted_records(cycle, community.code)

    log_in(page, live_server.url, "town")
    page.goto(f"{live_server.url}/cycles/{cycle.pk}/")
    page.get_by_test_id("spotchecks-link").first.click()
    page.get_by_test_id("new-spotcheck").click()
    expect(page.get_by_label("抽查比例（%）")).to_have_value("10")
    expect(page.get_by_label("最少抽查条数")).to_have_value("3")
    page.get_by_label("社区").select_option(label="城东社区")
    page.get_by_label("不实记录计入事项类型").select_option(str(deduction.pk))
    page.get_by_role("button", name="随机抽取").click()

    check = SpotCheck.objects.get(community=community)
    items = list(check.items.order_by("position"))
    expect(page.get_by_text(f"中随机抽取 {len(items)} 条，请逐条核查。")).to_be_visible()
    expect(page.get_by_test_id("seed")).to_have_text(str(SEED))
    drawn = [
        f"diary:{i.diary_entry_id}" if i.diary_entry_id else f"grid_event:{i.grid_event_id}"
        for i in items
    ]
    assert drawn == services.draw_sample(check.population, len(items), SEED)

    first = page.get_by_test_id("item-1")
    first.get_by_role("radio", name="不实").check()
    first.get_by_label("核查说明（“不实”必填）").fill("入户核实：居民表示未发生该纠纷")
    first.get_by_role("button", name="保存核查结果").click()
    expect(page.get_by_text("该记录不再计入按记录统计的数据项")).to_be_visible()
    expect(page.get_by_test_id("item-1").get_by_test_id("verdict")).to_have_text("不实")
    expect(page.get_by_test_id("progress")).to_contain_text("不实 1 条")
    expect(page.get_by_test_id("deduction-later-1")).to_be_visible()

    # The deduction is offered once every record is checked (until then the community
    # must not learn of the check).
    for position in range(2, len(items) + 1):
        other = page.get_by_test_id(f"item-{position}")
        other.get_by_role("radio", name="属实").check()
        other.get_by_role("button", name="保存核查结果").click()
        expect(page.get_by_test_id(f"item-{position}").get_by_test_id("verdict")).to_have_text(
            "属实"
        )
    expect(page.get_by_test_id("check-status")).to_have_text("已完成")
    page.screenshot(path=str(SCREENSHOTS / "records-spotcheck.png"), full_page=True)

    page.get_by_test_id("deduction-1").get_by_role("button").click()
    expect(page.get_by_text("状态为待核实，须由其他考核员核实后才扣分")).to_be_visible()
    event_line = page.get_by_test_id("item-1").get_by_test_id("deduction-event")
    expect(event_line.get_by_test_id("event-status")).to_have_text("待核实")
    event_line.get_by_role("link").click()
    expect(page.get_by_test_id("event-status")).to_have_text("待核实")
    expect(page.get_by_test_id("verify")).to_have_count(0)  # not one's own report

    page.goto(f"{live_server.url}/cycles/{cycle.pk}/metrics/")
    expect(page.get_by_test_id(f"checks-{community.code}")).to_contain_text(f" / {len(items)} / 1")

    item = items[0]
    item.refresh_from_db()
    assert item.verdict == SpotCheckVerdict.REFUTED
    assert item.deduction_event.status == EventStatus.REPORTED
    assert item.deduction_event.reported_by.username == "town"
    assert counted_records(cycle, community.code) == before - 1
    assert page.problems == []
