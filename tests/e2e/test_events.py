"""Events in a real browser (issue 6): a town assessor reports a deduction event with a
PDF, a county assessor verifies it (someone other than the reporter), and the
participant's results page shows the event as counted (SPEC §2, §3.1)."""

from playwright.sync_api import expect

from assessment.models import Cycle
from demo.management.commands.seed_demo import DEMO_CYCLE
from evidence.models import Event, EventStatus
from tests.e2e.conftest import log_in, log_out

NOTICE = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def test_a_town_assessor_reports_and_the_county_verifies_a_deduction(
    demo_county, live_server, watched_page, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    page = watched_page
    cycle = Cycle.objects.get(name=DEMO_CYCLE)
    participant = cycle.participants.get(secretary__user__username="secretary")
    petition = cycle.frozen_template.event_types.get(code="ZJXF")

    log_in(page, live_server.url, "town")
    page.goto(f"{live_server.url}/cycles/{cycle.pk}/")
    page.get_by_test_id("events-link").click()
    page.get_by_test_id("report-event").click()
    page.get_by_label("参评书记").select_option(str(participant.pk))
    page.get_by_label("事项类型").select_option(str(petition.pk))
    page.get_by_label("发生日期").fill("2026-05-10")
    page.get_by_label("情况说明").fill("5 月 10 日群众到镇信访，反映小区停车问题。")
    page.get_by_test_id("event-files").set_input_files(
        files=[{"name": "信访登记.pdf", "mimeType": "application/pdf", "buffer": NOTICE}]
    )
    page.get_by_test_id("save-event").click()
    expect(page.get_by_test_id("event-status")).to_have_text("待核实")
    expect(page.get_by_test_id("evidence-link")).to_have_text("信访登记.pdf")
    expect(page.get_by_test_id("verify")).to_have_count(0)  # not one's own report
    event = Event.objects.get(reported_by__username="town", description__startswith="5 月 10 日")
    log_out(page)

    log_in(page, live_server.url, "county")
    page.goto(f"{live_server.url}/cycles/{cycle.pk}/events/?status=reported")
    page.get_by_test_id("event-row").filter(has_text="2026-05-10").filter(
        has_text=participant.secretary.name
    ).get_by_role("link", name="查看").click()
    page.get_by_label("核实意见（不予认定必填）").fill("经核实属实")
    page.get_by_test_id("verify").click()
    expect(page.get_by_test_id("event-status")).to_have_text("已核实")
    expect(page.get_by_test_id("verifier")).to_contain_text("周县考")
    event.refresh_from_db()
    assert event.status == EventStatus.VERIFIED

    page.goto(f"{live_server.url}/scoring/results/{participant.pk}/")
    row = (
        page.get_by_test_id("participant-events")
        .get_by_test_id("effect-row")
        .filter(has=page.locator(f'a[href="/events/{event.pk}/"]'))
    )
    expect(row).to_have_count(1)
    expect(row.get_by_test_id("effect")).to_have_text("计入")
    expect(row).to_contain_text("-3")
    assert page.problems == []
