"""What people see at their screen sizes (issue 14, guidance): on the usual office
screens (1280 and 1366 px wide) no menu entry breaks over two lines and nothing scrolls
sideways; the admin has the longest menu."""

import pytest
from playwright.sync_api import expect

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
        """() => [...document.querySelectorAll('.app-navbar .nav-link, .app-navbar .navbar-brand')]
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
