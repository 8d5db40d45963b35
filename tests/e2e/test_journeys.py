"""The five journeys of the users (issue 14), each in a real browser against the demo
county, with axe-core checking each journey's main pages (no serious or critical
violation) and a few screenshots to docs/screenshots/journey-<n>-<what>.png.

1. The county assessor runs the 2026 cycle from 进行中 to 已发布: a town assessor reports
   an event that the county verifies (four eyes), 进入评分 confirmed on its page, 组织考评
   typed in the score grid with the keyboard, 开始公示 (refused until every score and
   survey sample is there), 发布结果, and the Excel ranking matches the ranking page.
2. The secretary fills the self-evaluation (a behaviour-anchor level and an evidence
   file), saves a draft, submits; once the cycle is 公示中 reads the result and score
   card and files an appeal; last year's published result takes no appeal.
3. A resident answers the anonymous ballot on a phone, is thanked, and the link is then
   refused.
4. The admin creates an account with a role in a town (who then logs in) and reads the
   audit trail of a changed score.
5. The observer reads everything in scope and finds every write control absent, every
   write refused.

Bulk setup (the scores of 32 secretaries, survey samples) goes through the services and
tests/factories.py, so the file stays within a few minutes.
"""

import re
from decimal import Decimal as D

import openpyxl
from playwright.sync_api import expect

from assessment import services as cycles
from assessment.models import Cycle, CycleStatus
from demo.management.commands.seed_demo import DEMO_CYCLE, LAST_YEAR_CYCLE
from evidence.models import Event, EventStatus
from org.models import Membership, User
from org.scope import Role
from scoring.models import (
    Appeal,
    AppealStatus,
    GradeOverride,
    ScoreEntry,
    SelfEvaluation,
    SelfEvaluationStatus,
    Source,
)
from scoring.services import current_results, enter_score
from surveys.models import PooledBallot
from tests.e2e.a11y import assert_accessible
from tests.e2e.conftest import SCREENSHOTS, log_in, log_out
from tests.factories import complete_scoring
from tests.surveys import issue

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PHONE = {"width": 375, "height": 740}


def shot(page, name, *, full_page=False):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=full_page)


def open_cycle(page, base_url, cycle, status):
    page.goto(f"{base_url}/cycles/{cycle.pk}/")
    expect(page.get_by_test_id("cycle-status")).to_have_text(status)


def confirm_transition(page, name, label, status, *, check=False, screenshot=None):
    """From the cycle page: the step's link opens its confirmation page, which says what
    the step will do; confirming comes back to the cycle page in the new status."""
    page.get_by_test_id(f"transition-{name}").click()
    expect(page).to_have_url(re.compile(rf"/transition/\?name={name}$"))
    expect(page.get_by_role("heading", name=re.compile(f"确认“{label}”"))).to_be_visible()
    expect(page.get_by_test_id("consequences")).to_contain_text(f"{label}：")
    expect(page.get_by_test_id(f"blockers-{name}")).to_have_count(0)
    if check:
        assert_accessible(page)
    if screenshot:
        shot(page, screenshot, full_page=True)
    page.get_by_test_id("confirm-transition").click()
    expect(page.get_by_role("alert").filter(has_text=f"已执行“{label}”")).to_be_visible()
    expect(page.get_by_test_id("cycle-status")).to_have_text(status)


def cycle_in_review(cycle):
    """Setup through the services: 进入评分, every missing 目标/组织 score and survey
    sample filled in, the results computed, 开始公示."""
    cycle = cycles.transition(actor=None, cycle=cycle, name="start_scoring", version=cycle.version)
    cycle = complete_scoring(cycle, User.objects.get(username="county"))
    return cycles.transition(actor=None, cycle=cycle, name="start_review", version=cycle.version)


# ----------------------------------------------------------------- 1. county assessor


def test_journey_1_the_county_assessor_takes_the_cycle_to_publication(
    demo_county, live_server, watched_page, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    page, base = watched_page, live_server.url
    cycle = Cycle.objects.get(name=DEMO_CYCLE)
    assert cycle.status == CycleStatus.OPEN  # opened: the demo's 2026 cycle, 进行中
    county = User.objects.get(username="county")
    participant = cycle.participants.select_related("secretary").get(
        secretary__user__username="secretary"
    )
    petition = cycle.frozen_template.event_types.get(code="ZJXF")
    party = cycle.frozen_template.nodes.get(code="1")  # 党建, the grid's first tab
    leaves = list(party.children.filter(method="rating").order_by("sort_key"))
    levels = {leaf.pk: list(leaf.bars_levels.order_by("position")) for leaf in leaves[:2]}
    first, second = cycle.participants.order_by("community__path", "secretary__staff_no")[:2]

    # A town assessor reports a 镇级信访 against a secretary of their town.
    log_in(page, base, "town")
    open_cycle(page, base, cycle, "进行中")
    page.get_by_test_id("events-link").click()
    page.get_by_test_id("report-event").click()
    page.get_by_label("参评书记").select_option(str(participant.pk))
    page.get_by_label("事项类型").select_option(str(petition.pk))
    page.get_by_label("发生日期").fill("2026-06-18")
    page.get_by_label("情况说明").fill("6 月 18 日 3 名群众到镇信访，反映老旧小区加装电梯纠纷。")
    page.get_by_test_id("event-files").set_input_files(
        files=[{"name": "信访登记.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    page.get_by_test_id("save-event").click()
    expect(page.get_by_test_id("event-status")).to_have_text("待核实")
    expect(page.get_by_test_id("verify")).to_have_count(0)  # nobody verifies their own
    assert_accessible(page)
    event = Event.objects.get(reported_by__username="town", occurred_on="2026-06-18")
    log_out(page)

    # Someone else, the county assessor, verifies it.
    log_in(page, base, "county")
    expect(page.get_by_test_id("home-county")).to_be_visible()
    page.goto(f"{base}/cycles/{cycle.pk}/events/?status=reported")
    page.get_by_test_id("event-row").filter(has_text="2026-06-18").get_by_role(
        "link", name="查看"
    ).click()
    page.get_by_label("核实意见（不予认定必填）").fill("经核实，信访登记属实")
    page.get_by_test_id("verify").click()
    expect(page.get_by_test_id("event-status")).to_have_text("已核实")
    expect(page.get_by_test_id("verifier")).to_contain_text("周县考")
    event.refresh_from_db()
    assert (event.status, event.verified_by_id) == (EventStatus.VERIFIED, county.pk)

    # 进入评分, confirmed on the page that lists what the step will do.
    open_cycle(page, base, cycle, "进行中")
    assert_accessible(page)
    confirm_transition(
        page,
        "start_scoring",
        "进入评分",
        "评分中",
        check=True,
        screenshot="journey-1-confirm-scoring",
    )
    expect(page.get_by_test_id("consequences")).to_have_count(0)

    # 组织考评 by keyboard: a digit picks the n-th behaviour anchor and saves the cell;
    # Enter goes down the column, Tab along the row, ↑ up.
    page.get_by_test_id("grid-link-org").click()
    expect(page.get_by_role("heading", name=re.compile("评分表 · 组织考评"))).to_be_visible()
    expect(page.get_by_test_id("grid-help")).to_be_visible()

    def cell(who, leaf):
        return page.locator(f"#l-{who.pk}-{leaf.pk}")

    def saved_count(who, n):
        expect(page.get_by_test_id(f"done-{who.pk}")).to_have_text(f"{n}/{len(leaves)}")

    cell(first, leaves[0]).focus()
    page.keyboard.press("1")
    saved_count(first, 1)
    page.keyboard.press("Enter")
    expect(cell(second, leaves[0])).to_be_focused()
    page.keyboard.press("2")
    saved_count(second, 1)
    page.keyboard.press("Tab")
    expect(cell(second, leaves[1])).to_be_focused()
    page.keyboard.press("1")
    saved_count(second, 2)
    page.keyboard.press("ArrowUp")
    expect(cell(first, leaves[1])).to_be_focused()
    page.keyboard.press("3")
    saved_count(first, 2)
    expect(page.get_by_test_id("save-status")).to_contain_text("已自动保存")
    entered = {
        (e.participant_id, e.leaf_id): e.level_id
        for e in ScoreEntry.objects.filter(
            rater=county, source=Source.ORG, leaf__in=leaves[:2], participant__in=[first, second]
        )
    }
    assert entered == {
        (first.pk, leaves[0].pk): levels[leaves[0].pk][0].pk,
        (second.pk, leaves[0].pk): levels[leaves[0].pk][1].pk,
        (second.pk, leaves[1].pk): levels[leaves[1].pk][0].pk,
        (first.pk, leaves[1].pk): levels[leaves[1].pk][2].pk,
    }
    shot(page, "journey-1-org-grid")
    assert_accessible(page)

    # 开始公示 is refused while scores are missing and survey samples are below K.
    open_cycle(page, base, cycle, "评分中")
    blockers = page.get_by_test_id("blockers-start_review")
    expect(blockers).to_contain_text("组织考评缺")
    expect(blockers).to_contain_text("民主评议样本不足")
    expect(page.get_by_test_id("transition-start_review")).to_have_attribute(
        "aria-disabled", "true"
    )

    # Setup: the rest of the 组织考评 scores (32 secretaries × 9 leaves) and the missing
    # survey samples (the grid and the paper-count pages are tested on their own); the
    # values typed above are kept.
    complete_scoring(Cycle.objects.get(pk=cycle.pk), county)
    kept = ScoreEntry.objects.get(
        rater=county, source=Source.ORG, participant=first, leaf=leaves[1]
    )
    assert kept.level_id == levels[leaves[1].pk][2].pk

    page.reload()
    expect(page.get_by_test_id("blockers-start_review")).to_have_count(0)
    confirm_transition(page, "start_review", "开始公示", "公示中")
    confirm_transition(page, "publish", "发布结果", "已发布")
    expect(page.get_by_test_id("read-only")).to_contain_text("已发布，只读")
    assert Cycle.objects.get(pk=cycle.pk).status == CycleStatus.PUBLISHED

    # The ranking page, and the Excel ranking downloaded from it: the same rows.
    page.get_by_test_id("link-ranking").click()
    expect(page.get_by_role("heading", name="考核结果排名")).to_be_visible()
    rows = page.eval_on_selector_all(
        "[data-testid=ranking] tbody tr",
        "rows => rows.map(r => Array.from(r.cells).map(c => c.innerText.trim()))",
    )
    assert len(rows) == cycle.participants.count()
    # 排名, 姓名 and 最终得分 (columns 1, 3 and 11 of the page and of the sheet).
    shown = [(cells[0], cells[2], cells[10]) for cells in rows]
    shot(page, "journey-1-ranking", full_page=True)
    assert_accessible(page)
    with page.expect_download() as download:
        page.get_by_test_id("export-results").click()
    name = download.value.suggested_filename
    assert name == "2026年度青山县社区书记考核-排名.xlsx"
    download.value.save_as(tmp_path / name)
    book = openpyxl.load_workbook(tmp_path / name, read_only=True)
    sheet = book["排名"]
    header, *lines = list(sheet.iter_rows(values_only=True))
    assert header[:3] == ("排名", "工号", "姓名") and header[10] == "最终得分"
    exported = [
        ("—" if line[0] is None else str(line[0]), line[2], f"{D(str(line[10])):.2f}")
        for line in lines
    ]
    assert exported == shown
    assert page.problems == []


# ------------------------------------------------------------------------ 2. secretary


def test_journey_2_the_secretary_evaluates_reads_the_result_and_appeals(
    demo_county, live_server, watched_page, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    page, base = watched_page, live_server.url
    cycle = Cycle.objects.get(name=DEMO_CYCLE)
    participant = cycle.participants.get(secretary__user__username="secretary")
    last_year = Cycle.objects.get(name=LAST_YEAR_CYCLE).participants.get(
        secretary__user__username="secretary"
    )
    leaf = cycle.frozen_template.nodes.get(code="1.1")  # 三会一课, anchored
    good = leaf.bars_levels.get(label="好")

    log_in(page, base, "secretary")
    expect(page.get_by_test_id("home-secretary")).to_be_visible()
    page.get_by_role("link", name="考核周期").first.click()
    page.get_by_role("link", name=DEMO_CYCLE).click()
    page.get_by_test_id("selfeval-link").click()
    expect(page.get_by_role("heading", name=re.compile("自我检评"))).to_be_visible()
    assert_accessible(page)

    # A behaviour-anchor level, saved as a draft.
    box = page.get_by_test_id("leaf-1.1")
    box.get_by_text("好", exact=True).click()
    expect(page.get_by_test_id("value-1.1")).to_have_text(f"{good.value:.2f}")
    page.get_by_test_id("save-draft").click()
    expect(page.get_by_role("alert").filter(has_text="草稿已保存")).to_be_visible()
    expect(page.get_by_test_id("draft-banner")).to_be_visible()

    # An evidence file for that leaf.
    box.locator("input[type=file]").set_input_files(
        files=[{"name": "支部会议记录.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    box.get_by_test_id("upload-1.1").click()
    expect(page.get_by_test_id("evidence-notice-1.1")).to_contain_text("已上传 1 个文件")
    expect(box.get_by_role("link", name="支部会议记录.pdf")).to_be_visible()

    # Submit: asked first, then locked.
    page.get_by_test_id("submit-open").click()
    expect(page.get_by_test_id("submit-dialog")).to_be_visible()
    page.get_by_test_id("submit-confirm").click()
    expect(page.get_by_test_id("submitted-banner")).to_be_visible()
    expect(page.get_by_test_id("save-draft")).to_have_count(0)
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, "journey-2-selfeval-submitted")
    assert_accessible(page)
    assert SelfEvaluation.objects.get(participant=participant).status == (
        SelfEvaluationStatus.SUBMITTED
    )
    mine = ScoreEntry.objects.get(participant=participant, leaf=leaf, source=Source.SELF)
    assert (mine.level_id, mine.value) == (good.pk, good.value)

    # Setup: the county scores everything and starts 公示.
    cycle = cycle_in_review(cycle)
    result = current_results(cycle).results.get(participant=participant)

    # 公示中: the secretary's own result and score card.
    open_cycle(page, base, cycle, "公示中")
    expect(page.get_by_test_id("review-note")).to_be_visible()
    page.get_by_test_id("link-my-results").click()
    expect(page.get_by_test_id("final")).to_have_text(f"{result.final:.2f}")
    expect(page.get_by_test_id("grade")).to_have_text(result.grade)
    expect(page.get_by_test_id("totals")).to_contain_text(f"{result.self_total:.2f}")
    expect(page.get_by_test_id("override-form")).to_have_count(0)
    assert_accessible(page)
    page.get_by_test_id("link-card").click()
    expect(page.get_by_role("heading", name=re.compile("计分卡"))).to_be_visible()
    expect(page.get_by_test_id("waterfall")).to_have_attribute("data-rendered", "true")
    expect(page.get_by_test_id("steps")).to_contain_text("综合得分")
    expect(page.get_by_test_id("step-mismatch")).to_have_count(0)
    shot(page, "journey-2-score-card", full_page=True)
    assert_accessible(page)

    # An appeal, while the cycle is 公示中.
    open_cycle(page, base, cycle, "公示中")
    page.get_by_test_id("appeals-link").click()
    expect(page.get_by_test_id("appeal-window")).to_contain_text("公示期间可以提出申诉")
    page.get_by_test_id("file-appeal").click()
    page.get_by_label("申诉理由").fill("1.1 三会一课台账齐全，组织考评等级偏低，请复核。")
    page.get_by_label("佐证材料说明").fill("2026 年支部会议记录本第 3–12 页")
    page.get_by_test_id("appeal-files").set_input_files(
        files=[{"name": "会议记录.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    assert_accessible(page)
    page.get_by_test_id("submit-appeal").click()
    expect(page.get_by_test_id("appeal-status")).to_have_text("待受理")
    expect(page.get_by_test_id("appeal-reasons")).to_contain_text("三会一课台账齐全")
    expect(page.get_by_test_id("appeal-evidence").get_by_role("link")).to_have_text("会议记录.pdf")
    shot(page, "journey-2-appeal", full_page=True)
    assert_accessible(page)
    appeal = Appeal.objects.get(participant=participant)
    assert appeal.status == AppealStatus.FILED

    # Last year's cycle, published: the result stands, and no appeal may be filed.
    last = last_year.cycle
    final_2025 = current_results(last).results.get(participant=last_year)
    open_cycle(page, base, last, "已发布")
    page.get_by_test_id("link-my-results").click()
    expect(page.get_by_test_id("grade")).to_have_text(final_2025.grade)
    expect(page.get_by_test_id("final")).to_have_text(f"{final_2025.final:.2f}")
    open_cycle(page, base, last, "已发布")
    page.get_by_test_id("appeals-link").click()
    expect(page.get_by_test_id("appeal-window")).to_contain_text("不能再提出申诉")
    expect(page.get_by_test_id("file-appeal")).to_have_count(0)
    assert page.problems == []


# ------------------------------------------------------------------------- 3. resident


def no_horizontal_scroll(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_journey_3_a_resident_answers_the_ballot_on_a_phone_once(
    demo_county, live_server, watched_page, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"  # the slips PDF
    page, base = watched_page, live_server.url
    cycle = Cycle.objects.get(name=DEMO_CYCLE)
    participant = cycle.participants.select_related("community", "secretary").get(
        secretary__user__username="secretary"
    )
    community = participant.community
    # The slip handed to the resident (its QR code opens /b/<code>/).
    _, _, (code,) = issue(cycle, community, User.objects.get(username="county"), size=1)
    before = PooledBallot.objects.count()
    page.set_viewport_size(PHONE)

    page.goto(f"{base}/b/{code}/")
    expect(page.get_by_test_id("ballot-community")).to_have_text(community.name)
    expect(page.get_by_test_id("ballot-secretary")).to_contain_text(participant.secretary.name)
    question = page.get_by_role("group", name="您对本社区书记的工作是否满意？")
    expect(question).to_be_visible()
    assert no_horizontal_scroll(page)
    assert_accessible(page)
    question.get_by_text("基本满意", exact=True).click()
    page.get_by_label("意见建议（选填）").fill("希望晚上也能在社区办事。")
    shot(page, "journey-3-ballot-phone", full_page=True)
    page.get_by_role("button", name="提交评议").click()

    expect(page.get_by_test_id("ballot-thanks")).to_contain_text("感谢您的评议")
    assert no_horizontal_scroll(page)
    assert_accessible(page)
    shot(page, "journey-3-thanks-phone", full_page=True)
    assert PooledBallot.objects.count() == before + 1

    # The same link again: refused, nothing counted twice.
    page.goto(f"{base}/b/{code}/")
    expect(page.get_by_test_id("ballot-refused")).to_contain_text("该评议票已使用")
    assert no_horizontal_scroll(page)
    assert_accessible(page)
    assert PooledBallot.objects.count() == before + 1
    # The used link answers 410 Gone, which Chromium reports on the console; nothing else.
    assert [p for p in page.problems if "status of 410" not in p] == []


# ---------------------------------------------------------------------------- 4. admin

NEW_PASSWORD = "Donghu-kaohe-2026"


def test_journey_4_the_admin_creates_an_account_and_reads_a_score_change(
    demo_county, live_server, watched_page
):
    page, base = watched_page, live_server.url
    cycle = Cycle.objects.get(name=DEMO_CYCLE)
    county = User.objects.get(username="county")
    # Setup: the county assessor changes a 目标量评 level, with a note (as in the grid).
    entry = ScoreEntry.objects.select_related("participant__secretary", "leaf").get(
        participant__cycle=cycle,
        participant__secretary__user__username="secretary",
        leaf__code="1.1",
        source=Source.TARGET,
        rater=county,
    )
    other = entry.leaf.bars_levels.exclude(pk=entry.level_id).order_by("position").first()
    changed = enter_score(
        actor=county,
        participant=entry.participant,
        leaf=entry.leaf,
        source=Source.TARGET,
        level=other,
        note="复核台账后调整",
        version=entry.version,
    )
    assert changed.value != entry.value

    log_in(page, base, "admin")
    expect(page.get_by_test_id("home-admin")).to_be_visible()
    page.get_by_role("link", name="用户管理").first.click()
    page.get_by_role("link", name="新建账号").click()
    expect(page.get_by_role("heading", name="新建账号")).to_be_visible()
    page.get_by_label("用户名").fill("dh_kaohe")
    page.get_by_label("姓名").fill("林东湖")
    page.get_by_label("联系电话").fill("13800000000")
    page.get_by_label("初始密码").fill(NEW_PASSWORD)
    page.get_by_label("确认密码").fill(NEW_PASSWORD)
    page.get_by_label("角色").select_option(label="镇街考核员")
    page.get_by_label("所属单位").select_option(label="东湖街道（QS02）")
    assert_accessible(page)
    shot(page, "journey-4-new-account", full_page=True)
    page.get_by_role("button", name="创建").click()
    expect(page.get_by_role("alert").filter(has_text="已创建账号“dh_kaohe”")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("林东湖"))).to_be_visible()
    expect(page.locator("table").first).to_contain_text("镇街考核员")
    expect(page.locator("table").first).to_contain_text("东湖街道")
    assert_accessible(page)
    made = User.objects.get(username="dh_kaohe")
    assert Membership.objects.filter(
        user=made, role=Role.TOWN_ASSESSOR, org_unit__name="东湖街道"
    ).exists()

    # The audit trail, filtered to scores: the change first, before → after.
    page.get_by_role("link", name="审计日志").first.click()
    page.get_by_label("对象类型").select_option(label="评分")
    page.get_by_role("button", name="筛选").click()
    expect(page).to_have_url(re.compile(r"object_type=scoring\.scoreentry"))
    table = page.locator("table.audit-table")
    expect(table).not_to_contain_text("用户")
    latest = table.locator("tbody tr").first
    expect(latest).to_contain_text("修改")
    expect(latest).to_contain_text("周县考")
    # The entry named by participant, leaf (code and name), source and value.
    expect(latest).to_contain_text(f"· 1.1 {changed.leaf.name} · 目标量评 · {changed.value}")
    expect(latest.locator("del").first).to_contain_text(f"{entry.value}")
    expect(latest.locator("ins").first).to_contain_text(f"{changed.value}")
    expect(latest).to_contain_text("复核台账后调整")
    shot(page, "journey-4-audit-score")
    assert_accessible(page)
    log_out(page)

    # The new account works, with its town's home page.
    page.get_by_label("用户名").fill("dh_kaohe")
    page.get_by_label("密码").fill(NEW_PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("home-town")).to_be_visible()
    expect(page.get_by_test_id("my-roles")).to_contain_text("镇街考核员")
    assert page.problems == []


# ------------------------------------------------------------------------- 5. observer


def test_journey_5_the_observer_reads_everything_and_changes_nothing(
    demo_county, live_server, watched_page
):
    page, base = watched_page, live_server.url
    cycle = Cycle.objects.get(name=DEMO_CYCLE)
    participant = cycle.participants.get(secretary__user__username="secretary")
    leaf = cycle.frozen_template.nodes.get(code="1.1")
    event = Event.objects.filter(participant__cycle=cycle, status=EventStatus.REPORTED).first()
    # Results to read, as a county assessor would have them by now.
    complete_scoring(cycle, User.objects.get(username="county"))
    cycle.refresh_from_db()
    writes_before = (
        ScoreEntry.objects.count(),
        Event.objects.filter(status=EventStatus.VERIFIED).count(),
        GradeOverride.objects.count(),
        User.objects.count(),
    )

    log_in(page, base, "observer")
    expect(page.get_by_test_id("home-observer")).to_be_visible()
    page.get_by_role("link", name="考核周期").first.click()
    page.get_by_role("link", name=DEMO_CYCLE).click()
    expect(page.get_by_test_id("cycle-status")).to_have_text("进行中")
    for control in (
        "transitions",
        "cycle-settings-link",
        "enrol-controls",
        "grid-link-target",
        "grid-link-org",
        "link-preview",
        "selfeval-link",
        "report-bonus-link",
    ):
        expect(page.get_by_test_id(control)).to_have_count(0)
    expect(page.locator("main form[method=post]")).to_have_count(0)
    assert_accessible(page)

    # The score grid: read-only, no cell to type in.
    page.get_by_test_id("grid-link").click()
    expect(page.get_by_test_id("read-only-banner")).to_contain_text("只能查看评分表")
    expect(page.get_by_test_id("score-grid").locator("tbody tr").first).to_be_visible()
    expect(page.locator("[data-cell]")).to_have_count(0)
    assert_accessible(page)

    # The ranking and one participant: no grade override, no recompute.
    page.goto(f"{base}/cycles/{cycle.pk}/")
    page.get_by_test_id("link-ranking").click()
    expect(page.get_by_test_id("ranking").locator("tbody tr")).to_have_count(
        cycle.participants.count()
    )
    expect(page.get_by_role("button", name=re.compile("重新计算"))).to_have_count(0)
    shot(page, "journey-5-observer-ranking")
    assert_accessible(page)
    page.goto(f"{base}/scoring/results/{participant.pk}/")
    expect(page.get_by_test_id("leaf-table")).to_be_visible()
    expect(page.get_by_test_id("override-form")).to_have_count(0)
    assert_accessible(page)

    # The events: listed and readable, nothing to report, verify or reject.
    page.goto(f"{base}/cycles/{cycle.pk}/")
    page.get_by_test_id("events-link").click()
    expect(page.get_by_test_id("event-row").first).to_be_visible()
    for control in ("report-event", "bulk-controls", "bulk-submit"):
        expect(page.get_by_test_id(control)).to_have_count(0)
    assert_accessible(page)
    page.goto(f"{base}/events/{event.pk}/")
    expect(page.get_by_test_id("event-status")).to_have_text("待核实")
    for control in ("verify", "reject", "decide-form", "edit-event", "withdraw-event"):
        expect(page.get_by_test_id(control)).to_have_count(0)

    # The audit trail, read in full.
    page.get_by_role("link", name="审计日志").first.click()
    expect(page.locator("table.audit-table tbody tr").first).to_be_visible()
    shot(page, "journey-5-observer-audit")
    assert_accessible(page)

    # Every write, posted as a form would be (with a valid CSRF token), is refused.
    token = page.locator("input[name=csrfmiddlewaretoken]").first.input_value()

    def post(url, **data):
        return page.request.post(
            f"{base}{url}", form={"csrfmiddlewaretoken": token, **data}, max_redirects=0
        )

    # The token works: a form the observer may post (the language switch) goes through.
    assert post("/i18n/setlang/", language="zh-hans", next="/").status == 302
    writes = {
        "进入评分": (
            f"/cycles/{cycle.pk}/transition/",
            {"name": "start_scoring", "version": str(cycle.version), "confirmed": "1"},
        ),
        "设置": (f"/cycles/{cycle.pk}/settings/", {}),
        "评分": (
            f"/scoring/participants/{participant.pk}/cells/",
            {"leaf": str(leaf.pk), "source": Source.TARGET, "value": "1"},
        ),
        "关键事件": (
            f"/scoring/participants/{participant.pk}/incidents/",
            {"occurred_on": "2026-11-02", "text": "监督人员不能记录"},
        ),
        "等次调整": (
            f"/scoring/results/{participant.pk}/override/",
            {"grade": "优秀", "reason": "监督人员不能调整"},
        ),
        "重新计算": (f"/scoring/cycles/{cycle.pk}/recompute/", {}),
        "报告事项": (f"/cycles/{cycle.pk}/events/new/", {}),
        "核实事项": (
            f"/events/{event.pk}/act/",
            {"action": "verify", "version": str(event.version)},
        ),
        "自我检评": (f"/scoring/participants/{participant.pk}/self-evaluation/", {}),
        "新建账号": ("/users/new/", {"username": "intruder"}),
    }
    answers = {what: post(url, **data) for what, (url, data) in writes.items()}
    assert {what: r.status for what, r in answers.items()} == dict.fromkeys(writes, 403)
    # Refused by the role (the product's 无权访问 page), not by the CSRF check.
    assert all("无权访问" in r.text() for r in answers.values())
    assert writes_before == (
        ScoreEntry.objects.count(),
        Event.objects.filter(status=EventStatus.VERIFIED).count(),
        GradeOverride.objects.count(),
        User.objects.count(),
    )
    assert Cycle.objects.get(pk=cycle.pk).status == CycleStatus.OPEN
    assert page.problems == []
