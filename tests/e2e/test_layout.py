"""What people see at their screen sizes (issue 14, guidance): on the usual office
screens (1280 and 1366 px wide) no menu entry breaks over two lines and nothing scrolls
sideways; the admin has the longest menu."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from scoring.models import Result
from tests.e2e.conftest import log_in


@pytest.mark.parametrize("width", [1280, 1366])
def test_the_menu_never_breaks_a_word_at_office_widths(
    demo_county, live_server, watched_page, width
):
    page = watched_page
    page.set_viewport_size({"width": width, "height": 800})
    log_in(page, live_server.url, "admin")
    expect(page.get_by_test_id("todo")).to_be_visible()
    lines = page.evaluate(
        """() => [...document.querySelectorAll('.app-navbar .nav-link, .app-navbar .navbar-brand, .app-navbar .btn')]
            .map((el) => {
              const style = getComputedStyle(el);
              const line = parseFloat(style.lineHeight) || parseFloat(style.fontSize) * 1.5;
              const inner = el.getBoundingClientRect().height
                - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom);
              return [el.textContent.trim(), Math.round(inner / line)];
            })"""
    )
    assert len(lines) > 5, lines
    assert all(n == 1 for _text, n in lines), lines
    assert page.evaluate("document.scrollingElement.scrollWidth") <= width
    assert page.problems == []


PHONE = {"width": 375, "height": 740}


def test_a_secretary_on_a_phone_reaches_the_work_and_reads_the_card(
    demo_county, live_server, watched_page
):
    """On a phone: big buttons on the home page lead to 自我检评 and 民情直报; the
    self-evaluation's save and submit stay in reach without scrolling the long form;
    the score card's waterfall is tall enough to read; nothing scrolls sideways."""
    page = watched_page
    page.set_viewport_size(PHONE)
    log_in(page, live_server.url, "secretary")
    big = page.locator(".todo-big")
    expect(big.filter(has_text="民情直报")).to_be_visible()
    big.filter(has_text="自我检评").click()
    save = page.get_by_test_id("save-draft")
    expect(save).to_be_visible()
    assert save.bounding_box()["y"] + save.bounding_box()["height"] <= PHONE["height"]
    assert page.evaluate("document.scrollingElement.scrollHeight") > 3 * PHONE["height"]
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    page.mouse.wheel(0, 2500)
    assert save.bounding_box()["y"] + save.bounding_box()["height"] <= PHONE["height"]

    last_year = (
        Result.objects.current()
        .filter(participant__secretary__user__username="secretary", version__is_published=True)
        .first()
    )
    page.goto(live_server.url + reverse("result-card", args=[last_year.participant_id]))
    chart = page.get_by_test_id("waterfall")
    expect(chart).to_have_attribute("data-rendered", "true")
    assert chart.bounding_box()["height"] >= 400
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    assert page.problems == []
