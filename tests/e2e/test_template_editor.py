"""The template editor in a real browser: type in a cell, see the parent's sum and the
dimension's range check update while typing, leave the cell and see it saved."""

import re
from decimal import Decimal as D

from playwright.sync_api import expect

from indicators.models import IndicatorNode
from indicators.services import clone_template
from indicators.starter import SEED_TEMPLATE
from org.models import OrgUnit
from tests.e2e.conftest import SCREENSHOTS, log_in


def test_editing_a_leaf_updates_sums_and_range_warnings_and_saves(
    demo_county, live_server, watched_page
):
    page = watched_page
    county = OrgUnit.objects.get(code="QS")
    # The demo's seed template is released (its cycle is open): edit a fresh copy.
    seed = county.templates.get(name=SEED_TEMPLATE["name"], edition=1, is_frozen=False)
    template = clone_template(actor=None, template=seed, name="试编辑")
    log_in(page, live_server.url, "county")
    page.goto(f"{live_server.url}/indicators/{template.pk}/")
    expect(page.get_by_test_id("valid-badge")).to_be_visible()
    # Look ids up before the browser starts saving: the test database is shared with the
    # live server's thread.
    ids = dict(template.nodes.values_list("code", "pk"))
    leaf_pk = ids["1.1"]
    cell = page.locator(f"#n{leaf_pk}-points")
    sum_box = page.get_by_test_id("sum-1")
    dimension = page.locator(f"#n{ids['1']}-points")

    cell.fill("9")  # 党建 children now total 28: the sum turns red while typing
    expect(sum_box).to_contain_text("28")
    expect(sum_box).to_have_class(re.compile("text-danger"))
    expect(page.locator("#total-points")).to_have_text("100")
    dimension.fill("28")  # matches the children, but outside 党建's range 20–25
    expect(dimension).to_have_class(re.compile("is-invalid"))
    expect(page.locator("#total-points")).to_have_text("103")
    page.screenshot(path=SCREENSHOTS / "template-editor.png", full_page=False)

    dimension.fill("25")
    dimension.press("Tab")  # leaving the cell saves its row
    # Each save redraws the whole tree: type into the leaf once no answer is on its way,
    # not while a redraw replaces the cell under the typing.
    expect(page.locator("#tree-section .htmx-request")).to_have_count(0)
    cell.fill("3")
    cell.press("Enter")  # Excel-like: Enter moves down; leaving the cell saves the row
    expect(page.locator(f"#n{ids['1.2']}-points")).to_be_focused()
    expect(page.get_by_test_id("valid-badge")).to_be_hidden()
    # The row saves on leaving the cell; on a busy machine its answer takes a while.
    expect(page.get_by_test_id("problems")).to_contain_text(
        "下级指标分值合计 22，与本级分值 25 不符", timeout=20_000
    )
    expect(cell).to_have_value("3")
    assert IndicatorNode.objects.get(pk=leaf_pk).points == D(3)
    assert page.problems == []
    assert (SCREENSHOTS / "template-editor.png").exists()
