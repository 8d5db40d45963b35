"""Each role logs in with its demo account in a real browser and reaches its home page;
screenshots go to docs/screenshots/ for the README."""

import re

from playwright.sync_api import expect

from tests.e2e.conftest import SCREENSHOTS, log_in

ROLES = [
    ("admin", "系统管理员", "home-admin"),
    ("county", "县级考核员", "home-county"),
    ("town", "镇街考核员", "home-town"),
    ("secretary", "社区书记", "home-secretary"),
    ("observer", "纪检监督", "home-observer"),
]


def test_each_role_logs_in_and_sees_its_home_page(demo_county, live_server, watched_page):
    page = watched_page
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.goto(f"{live_server.url}/accounts/login/")
    page.screenshot(path=SCREENSHOTS / "login.png")
    for username, role_label, section in ROLES:
        log_in(page, live_server.url, username)
        expect(page.get_by_test_id(section)).to_be_visible()
        expect(page.get_by_test_id("my-roles")).to_contain_text(role_label)
        page.screenshot(path=SCREENSHOTS / f"home-{username}.png", full_page=True)
        page.get_by_test_id("user-menu").click()
        page.get_by_role("button", name="退出登录").click()
        expect(page).to_have_url(re.compile(r"/accounts/login/"))
    assert page.problems == []


def test_the_admin_finds_a_community_and_the_audit_trail(demo_county, live_server, watched_page):
    page = watched_page
    log_in(page, live_server.url, "admin")
    page.get_by_role("link", name="组织架构").first.click()
    page.get_by_placeholder("按名称或编码搜索").fill("城东")
    page.get_by_role("button", name="查询").click()
    page.get_by_role("link", name="城东社区").click()
    expect(page.get_by_role("heading", name=re.compile("城东社区"))).to_be_visible()
    page.screenshot(path=SCREENSHOTS / "orgunit-detail.png", full_page=True)
    page.get_by_role("link", name="审计日志").click()
    page.get_by_label("对象类型").select_option(label="组织单位")
    page.get_by_role("button", name="筛选").click()
    expect(page.locator("table.audit-table")).to_contain_text("组织单位")
    expect(page.locator("table.audit-table")).not_to_contain_text("考核周期")
    page.screenshot(path=SCREENSHOTS / "audit-log.png")
    assert page.problems == []


def test_the_language_switch_turns_the_page_english(demo_county, live_server, watched_page):
    page = watched_page
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    assert page.problems == []


def test_the_api_docs_render_from_local_files(demo_county, live_server, watched_page):
    page = watched_page
    log_in(page, live_server.url, "admin")
    page.goto(f"{live_server.url}/api/docs/")
    # The schema is generated on request: on a busy machine that takes a while (the bound
    # only stops a hung page).
    expect(page.locator(".swagger-ui .title")).to_contain_text(
        "社区书记绩效考核系统 API", timeout=30_000
    )
    expect(page.get_by_text("/api/v1/org-units/").first).to_be_visible()
    assert page.problems == []


def test_the_county_assessor_opens_the_demo_cycle(demo_county, live_server, watched_page):
    page = watched_page
    log_in(page, live_server.url, "county")
    page.get_by_role("link", name="考核周期").first.click()
    page.get_by_role("link", name="2026年度社区书记考核").click()
    expect(page.get_by_role("heading", name=re.compile("2026年度社区书记考核"))).to_be_visible()
    expect(page.locator("body")).to_contain_text("进行中")
    page.screenshot(path=SCREENSHOTS / "cycle-detail.png", full_page=False)
    assert page.problems == []
