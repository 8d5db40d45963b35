"""Rectification in a real browser (issue 6): the county assessor turns a verified
deduction event into a rectification item from the suggestions panel, the community's
secretary records the measures taken, and the assessor closes the item with a PDF."""

from datetime import date

from playwright.sync_api import expect

from assessment.models import Cycle
from demo.management.commands.seed_demo import DEMO_CYCLE
from evidence.models import Event, EventStatus, RectificationItem, RectificationStatus
from org.models import User
from tests.e2e.conftest import log_in, log_out

REPORT = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
WHAT = "楼道堆放杂物引发火情，经核实属实"


def verified_deduction():
    cycle = Cycle.objects.get(name=DEMO_CYCLE)
    participant = cycle.participants.get(secretary__user__username="secretary")
    county = User.objects.get(username="county")
    return Event.objects.create(
        participant=participant,
        event_type=cycle.frozen_template.event_types.get(code="AQSG"),
        occurred_on=date(2026, 5, 8),
        description=WHAT,
        status=EventStatus.VERIFIED,
        reported_by=county,
        verified_by=county,
    )


def test_an_item_from_a_deduction_event_is_worked_on_and_closed_with_evidence(
    demo_county, live_server, watched_page, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    page = watched_page
    event = verified_deduction()
    cycle = event.participant.cycle

    log_in(page, live_server.url, "county")
    page.goto(f"{live_server.url}/cycles/{cycle.pk}/")
    page.get_by_test_id("rectification-link").click()
    suggestion = page.get_by_test_id("suggestion").filter(has_text=WHAT)
    suggestion.get_by_test_id("generate-one").click()
    expect(page.get_by_role("alert").first).to_contain_text("已生成整改事项")
    expect(page.get_by_test_id("suggestion").filter(has_text=WHAT)).to_have_count(0)
    item = RectificationItem.objects.get(event=event)
    log_out(page)

    log_in(page, live_server.url, "secretary")
    page.goto(f"{live_server.url}/cycles/{cycle.pk}/")
    page.get_by_test_id("rectification-link").click()
    expect(page.get_by_test_id("suggestions")).to_have_count(0)
    page.get_by_test_id("item-row").filter(has_text="安全生产事故").get_by_role(
        "link", name="查看"
    ).first.click()
    expect(page.get_by_test_id("close-form")).to_have_count(0)
    page.get_by_label("整改措施与进展").fill("已清理楼道杂物，加装烟感报警器 12 个。")
    page.get_by_test_id("record-progress").click()
    expect(page.get_by_test_id("item-status").first).to_have_text("整改中")
    expect(page.get_by_test_id("item-measures")).to_contain_text("加装烟感报警器")
    log_out(page)

    log_in(page, live_server.url, "county")
    page.goto(f"{live_server.url}/rectification/{item.pk}/")
    page.get_by_label("整改结果（销号说明）").fill("经现场复查，整改到位，予以销号。")
    page.get_by_label("整改佐证材料").set_input_files(
        files=[{"name": "整改复查报告.pdf", "mimeType": "application/pdf", "buffer": REPORT}]
    )
    page.get_by_test_id("close-item").click()
    expect(page.get_by_test_id("item-status").first).to_have_text("已销号")
    expect(page.get_by_test_id("closure-note")).to_contain_text("整改到位")
    expect(page.get_by_test_id("item-evidence").get_by_role("link")).to_have_text(
        "整改复查报告.pdf"
    )
    expect(page.get_by_test_id("item-history")).to_contain_text("销号")
    item.refresh_from_db()
    assert item.status == RectificationStatus.CLOSED and item.attachments.count() == 1
    assert page.problems == []
