"""Appeals in a real browser (issue 5): during 公示 the secretary sees their own result and
files an appeal with an evidence file; the county assessor downloads the file, accepts
the appeal, corrects one score with a reason (before and after kept), closes it, and the
cycle can then be published."""

from pathlib import Path

from playwright.sync_api import expect

from assessment import services as cycles
from assessment.models import Cycle, CycleStatus
from demo.management.commands.seed_demo import DEMO_CYCLE
from org.models import User
from scoring.models import Appeal, AppealStatus
from tests.e2e.conftest import SCREENSHOTS, log_in, log_out
from tests.factories import complete_scoring


def demo_cycle_in_review():
    cycle = Cycle.objects.get(name=DEMO_CYCLE)
    cycle = cycles.transition(actor=None, cycle=cycle, name="start_scoring", version=cycle.version)
    cycle = complete_scoring(cycle, User.objects.get(username="county"))
    return cycles.transition(actor=None, cycle=cycle, name="start_review", version=cycle.version)


def open_cycle(page, base_url, cycle):
    page.goto(f"{base_url}/cycles/{cycle.pk}/")
    expect(page.get_by_test_id("cycle-status")).to_have_text("公示中")


# A minimal PDF, as a secretary's scanner would give it (the type is read from the content).
MEETING_NOTES = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
)


def test_a_secretary_appeals_and_the_county_reviews_and_publishes(
    demo_county, live_server, watched_page, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    page = watched_page
    cycle = demo_cycle_in_review()

    log_in(page, live_server.url, "secretary")
    open_cycle(page, live_server.url, cycle)
    page.get_by_test_id("link-my-results").click()
    expect(page.get_by_test_id("leaf-table")).to_be_visible()
    page.go_back()
    page.get_by_test_id("appeals-link").click()
    page.get_by_test_id("file-appeal").click()
    page.get_by_test_id("submit-appeal").click()  # empty: the browser asks for the reasons
    expect(page.get_by_label("申诉理由")).to_have_js_property("validity.valueMissing", True)
    page.get_by_label("申诉理由").fill("1.1 三会一课台账齐全，组织考评偏低，请复核。")
    page.get_by_label("佐证材料说明").fill("2026 年支部会议记录本第 3–12 页")
    page.get_by_test_id("appeal-files").set_input_files(
        files=[{"name": "会议记录.pdf", "mimeType": "application/pdf", "buffer": MEETING_NOTES}]
    )
    page.get_by_test_id("submit-appeal").click()
    expect(page.get_by_test_id("appeal-status")).to_have_text("待受理")
    expect(page.get_by_test_id("appeal-reasons")).to_contain_text("三会一课台账齐全")
    expect(page.get_by_test_id("appeal-evidence").get_by_role("link")).to_have_text("会议记录.pdf")
    log_out(page)

    log_in(page, live_server.url, "county")
    open_cycle(page, live_server.url, cycle)
    expect(page.get_by_test_id("blockers-publish")).to_contain_text("申诉未办结")
    page.get_by_test_id("appeals-link").click()
    page.get_by_test_id("appeals").get_by_role("link", name="查看").click()
    with page.expect_download() as download:
        page.get_by_test_id("appeal-evidence").get_by_role("link", name="会议记录.pdf").click()
    assert download.value.suggested_filename == "会议记录.pdf"
    assert Path(download.value.path()).read_bytes() == MEETING_NOTES
    page.get_by_test_id("accept-appeal").click()
    expect(page.get_by_test_id("appeal-status")).to_have_text("复核中")
    row = (
        page.get_by_test_id("correction-table")
        .locator("tbody tr")
        .filter(has_text="组织考评")
        .first
    )
    form = row.locator("form")
    choice = form.locator("select[name=level]")
    if choice.count():
        choice.select_option(index=0)
    else:
        form.locator("input[name=value]").fill("1")
    form.get_by_label("改分理由").fill("核实会议记录，按实际次数调整")
    form.get_by_role("button", name="改分").click()
    expect(page.get_by_role("alert").first).to_contain_text("改为")
    changes = page.get_by_test_id("appeal-changes")
    expect(changes).to_contain_text("核实会议记录")
    page.get_by_label("复核结论").fill("经核实，调整 1 项组织考评，其余维持。")
    page.get_by_test_id("decide-appeal").click()
    expect(page.get_by_test_id("appeal-status")).to_have_text("已办结")
    expect(page.get_by_test_id("appeal-decision")).to_contain_text("调整 1 项组织考评")
    page.screenshot(path=SCREENSHOTS / "appeal.png", full_page=True)

    open_cycle(page, live_server.url, cycle)
    page.get_by_test_id("transition-publish").click()
    # Every transition is confirmed on a page that says what it will do (issue 14).
    expect(page.get_by_test_id("consequences")).to_contain_text(
        "发布结果：当前考核结果成为最终结果"
    )
    page.get_by_test_id("confirm-transition").click()
    expect(page.get_by_test_id("cycle-status")).to_have_text("已发布")
    appeal = Appeal.objects.get()
    assert appeal.status == AppealStatus.DECIDED and appeal.changes.count() == 1
    assert Cycle.objects.get(pk=cycle.pk).status == CycleStatus.PUBLISHED
    assert page.problems == []
