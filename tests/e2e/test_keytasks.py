"""Key tasks in a real browser (issue 6, SPEC §2 挂图作战): the county assessor assigns a
task to two communities; one secretary reports 100% with a PDF; on a day after the
deadline the board shows that community done and the other overdue, and the 约谈 list
names the overdue one."""

from playwright.sync_api import expect

from assessment.models import Cycle
from demo.management.commands.seed_demo import DEMO_CYCLE
from evidence.models import Event, EventStatus
from tests.e2e.conftest import log_in, log_out

PHOTOS = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def test_a_task_is_assigned_reported_and_shown_on_the_board_and_summons_list(
    demo_county, live_server, watched_page, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    page = watched_page
    cycle = Cycle.objects.get(name=DEMO_CYCLE)

    log_in(page, live_server.url, "county")
    page.goto(f"{live_server.url}/cycles/{cycle.pk}/")
    page.get_by_test_id("keytasks-link").click()
    page.get_by_test_id("new-keytask").click()
    page.get_by_label("任务名称").fill("背街小巷整治")
    page.get_by_label("完成时限").fill("2026-06-30")
    page.get_by_label("按期完成计入事项类型").select_option(label="重点任务按时完成（RWAS）")
    page.get_by_label("分配给").select_option(label="选定的社区")
    page.get_by_label("城关镇 · 城东社区").check()
    page.get_by_label("城关镇 · 城西社区").check()
    page.get_by_test_id("save-keytask").click()
    expect(page.get_by_test_id("keytask-title")).to_have_text("背街小巷整治")
    expect(page.get_by_test_id("assignment")).to_have_count(2)
    log_out(page)

    log_in(page, live_server.url, "secretary")
    page.goto(f"{live_server.url}/cycles/{cycle.pk}/")
    page.get_by_test_id("keytasks-link").click()
    page.get_by_test_id("own-assignments").get_by_role("listitem").filter(
        has_text="背街小巷整治"
    ).get_by_test_id("report-progress").click()
    page.get_by_label("累计进度（%）").fill("100")
    page.get_by_label("报告日期").fill("2026-06-15")
    page.get_by_label("进展情况").fill("改造完成，已验收")
    page.get_by_test_id("progress-files").set_input_files(
        files=[{"name": "验收单.pdf", "mimeType": "application/pdf", "buffer": PHOTOS}]
    )
    page.get_by_test_id("submit-progress").click()
    expect(page.get_by_test_id("assignment-progress")).to_have_text("100%")
    expect(page.get_by_test_id("evidence-link")).to_have_text("验收单.pdf")
    log_out(page)
    event = Event.objects.get(key_task__task__title="背街小巷整治")
    assert event.status == EventStatus.REPORTED and event.event_type.code == "RWAS"

    log_in(page, live_server.url, "county")
    page.goto(f"{live_server.url}/cycles/{cycle.pk}/")
    page.get_by_test_id("keytask-board-link").click()
    page.get_by_label("截至日期").fill("2026-07-01")
    page.get_by_label("乡镇/街道").select_option(label="城关镇")
    page.get_by_test_id("board-apply").click()
    expect(page.get_by_test_id("board-as-of")).to_contain_text("截至 2026-07-01")
    board = page.get_by_test_id("board")
    cell = "[data-community={}] td[data-task='%d']" % event.key_task.task_id
    expect(board.locator(cell.format("QS0101"))).to_have_attribute("data-status", "done")
    expect(board.locator(cell.format("QS0102"))).to_have_attribute("data-status", "overdue")
    expect(board.locator(f"td[data-task='{event.key_task.task_id}']")).to_have_count(2)
    # Each cell is painted in its status colour, as the legend shows (issue 14, item 9),
    # on screen and in print.
    painted = {"done": "rgb(207, 226, 255)", "overdue": "rgb(248, 215, 218)"}

    def colours():
        return {
            status: board.locator(f"td[data-status='{status}']").first.evaluate(
                "td => getComputedStyle(td).backgroundColor"
            )
            for status in painted
        }

    assert colours() == painted
    page.emulate_media(media="print")
    assert colours() == painted
    page.emulate_media(media="screen")

    page.goto(f"{live_server.url}/cycles/{cycle.pk}/key-tasks/summons/?on=2026-07-01")
    rows = page.get_by_test_id("summons-row").filter(has_text="背街小巷整治")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("城西社区")
    assert page.problems == []
