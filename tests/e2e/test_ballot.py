"""The anonymous ballot on a phone (issue 6; SPEC §1 评议人): a resident opens the slip's
link at 375 px, answers, sees the thank-you page; the same link then says it is used."""

from playwright.sync_api import expect

from surveys.models import Choice, PooledBallot
from tests.e2e.conftest import SCREENSHOTS
from tests.factories import open_seed_cycle
from tests.surveys import issue

PHONE = {"width": 375, "height": 740}


def no_horizontal_scroll(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_resident_casts_a_ballot_on_a_phone_once(
    world, live_server, watched_page, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"  # the slips PDF
    cycle = open_seed_cycle(world.county_a)
    _, _, (code,) = issue(cycle, world.community_a1, world.county_assessor_a, size=1)
    page = watched_page
    page.set_viewport_size(PHONE)

    page.goto(f"{live_server.url}/b/{code}/")
    expect(page.get_by_test_id("ballot-community")).to_have_text("城东社区")
    expect(page.get_by_test_id("ballot-secretary")).to_contain_text("甲书记")
    expect(page.get_by_test_id("ballot-cycle")).to_contain_text(cycle.name)
    expect(page.get_by_role("group", name="您对本社区书记的工作是否满意？")).to_be_visible()
    assert no_horizontal_scroll(page)
    page.get_by_text("满意", exact=True).click()
    page.get_by_label("意见建议（选填）").fill("网格员上门很及时，希望多办老年活动。")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "ballot-phone.png"), full_page=True)
    page.get_by_role("button", name="提交评议").click()

    expect(page.get_by_test_id("ballot-thanks")).to_contain_text("感谢您的评议")
    expect(page.get_by_test_id("ballot-thanks")).not_to_contain_text("城东社区")
    assert no_horizontal_scroll(page)
    ballot = PooledBallot.objects.get()
    assert ballot.choice == Choice.SATISFIED and ballot.comment.startswith("网格员上门")

    page.goto(f"{live_server.url}/b/{code}/")
    expect(page.get_by_test_id("ballot-refused")).to_contain_text("该评议票已使用")
    assert no_horizontal_scroll(page)
    # The used link answers 410 Gone, which Chromium reports on the console; nothing else.
    assert [p for p in page.problems if "status of 410" not in p] == []
