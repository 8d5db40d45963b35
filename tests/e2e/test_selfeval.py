"""自我检评 in a real browser (issue 5): the demo secretary opens the page from the cycle
page, picks levels and types values, watches the running total, saves a draft, uploads an
evidence file for one leaf, submits and sees it locked; the county assessor returns it
with a reason; the secretary sees the reason and may edit again."""

import re
from decimal import Decimal as D

from playwright.sync_api import expect

from assessment.models import Participant
from scoring.models import ScoreEntry, SelfEvaluation, Source
from tests.e2e.conftest import SCREENSHOTS, log_in, log_out

CYCLE = "2026年度社区书记考核"
# The leaves this test fills; whatever else the demo holds counts into the total as is.
CHOSEN = {"1.1": D(6), "2.1": D(4), "2.3": D("5.5")}
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def open_own_page(page, base_url):
    page.get_by_role("link", name="考核周期").first.click()
    page.get_by_role("link", name=CYCLE).click()
    page.get_by_test_id("selfeval-link").click()
    expect(page.get_by_role("heading", name=re.compile("自我检评"))).to_be_visible()


def test_a_secretary_fills_saves_and_submits_and_an_assessor_returns_it(
    demo_county, live_server, watched_page, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    page = watched_page
    participant = Participant.objects.select_related("secretary").get(
        cycle__name=CYCLE, secretary__user__username="secretary"
    )
    leaves = dict(
        participant.cycle.frozen_template.nodes.filter(code__in=CHOSEN).values_list("code", "pk")
    )
    # Look everything up before the browser starts: the live server shares the database.
    # Self values the demo may already hold for other leaves count into the totals as is.
    kept = (
        ScoreEntry.objects.filter(participant=participant, source=Source.SELF)
        .exclude(leaf__code__in=CHOSEN)
        .values_list("leaf__parent__code", "value")
    )
    others = sum((value for _dimension, value in kept), D(0))
    others_in_2 = sum((value for dimension, value in kept if dimension == "2"), D(0))
    total = page.get_by_test_id("selfeval-total")

    log_in(page, live_server.url, "secretary")
    open_own_page(page, live_server.url)
    expect(page.get_by_test_id("criteria-1.1")).to_contain_text("按规定召开支部党员大会")

    # An anchored leaf: pick the level "好" (6 points); the total follows at once.
    page.get_by_test_id("leaf-1.1").get_by_text("好", exact=True).click()
    expect(total).to_have_text(f"{others + CHOSEN['1.1']:.2f}")
    expect(page.get_by_test_id("value-1.1")).to_have_text("6.00")

    # An automatic leaf still takes a self value: typed, checked against its points.
    cell = page.locator(f"#leaf-{leaves['2.1']}-answer")
    cell.fill("9")
    expect(cell).to_have_class(re.compile("is-invalid"))
    cell.fill("4")
    expect(cell).not_to_have_class(re.compile("is-invalid"))
    # Enter moves on to the next leaf's score and submits nothing.
    cell.press("Enter")
    expect(page.get_by_test_id("leaf-2.2").locator("input[data-answer]:focus")).to_have_count(1)
    third = page.locator(f"#leaf-{leaves['2.3']}-answer")
    third.fill("5.5")
    page.locator(f"#leaf-{leaves['2.3']}-note").fill("全年无越级信访，调解记录见台账第 3 册")
    expected = others + sum(CHOSEN.values())
    expect(total).to_have_text(f"{expected:.2f}")
    expect(page.get_by_test_id("subtotal-2")).to_have_text(
        f"{others_in_2 + CHOSEN['2.1'] + CHOSEN['2.3']:.2f}"
    )

    # Nothing was sent yet: Enter moved the focus instead of submitting the form.
    assert not ScoreEntry.objects.filter(
        participant=participant, source=Source.SELF, leaf__code__in=CHOSEN
    ).exists()
    page.get_by_test_id("save-draft").click()
    expect(page.get_by_role("alert").filter(has_text="草稿已保存")).to_be_visible()
    expect(page.get_by_test_id("draft-banner")).to_be_visible()
    expect(total).to_have_text(f"{expected:.2f}")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "selfeval.png", full_page=False)
    saved = dict(
        ScoreEntry.objects.filter(
            participant=participant, source=Source.SELF, leaf__code__in=CHOSEN
        ).values_list("leaf__code", "value")
    )
    assert saved == CHOSEN

    # Evidence for one leaf goes up through that leaf's own form: picking a file is no
    # unsaved change to the scores, so the page leaves without asking "leave the page?"
    # and comes back at the leaf.
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.accept()))
    leaf_box = page.get_by_test_id("leaf-2.3")
    leaf_box.locator("input[type=file]").set_input_files(
        files=[{"name": "调解记录.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    leaf_box.get_by_test_id("upload-2.3").click()
    expect(page.get_by_test_id("evidence-notice-2.3")).to_contain_text("已上传 1 个文件")
    expect(leaf_box.get_by_role("link", name="调解记录.pdf")).to_be_visible()
    assert dialogs == []
    expect(total).to_have_text(f"{expected:.2f}")

    # Submitting asks first and lists the leaves still empty.
    page.get_by_test_id("submit-open").click()
    dialog = page.get_by_test_id("submit-dialog")
    expect(dialog).to_be_visible()
    expect(page.locator("#submit-total")).to_have_text(f"{expected:.2f}")
    page.get_by_test_id("submit-confirm").click()
    expect(page.get_by_test_id("submitted-banner")).to_contain_text("提交并锁定")
    expect(page.get_by_test_id("read-only")).to_have_count(0)  # one banner, not two
    expect(page.get_by_test_id("save-draft")).to_have_count(0)
    expect(page.locator(f"#leaf-{leaves['2.1']}-answer")).to_be_disabled()
    assert SelfEvaluation.objects.get(participant=participant).status == "submitted"
    log_out(page)

    # The county assessor finds it in the cycle's list and returns it with a reason.
    log_in(page, live_server.url, "county")
    page.get_by_role("link", name="考核周期").first.click()
    page.get_by_role("link", name=CYCLE).click()
    page.get_by_test_id("selfeval-list-link").click()
    page.get_by_test_id("status-filter").get_by_role("link", name=re.compile("已提交")).click()
    row = page.get_by_test_id(f"selfeval-row-{participant.pk}")
    expect(row).to_contain_text("已提交")
    row.get_by_role("link", name=re.compile("查看")).click()
    page.get_by_label(re.compile("退回原因")).fill("信访维稳自评偏高，请附调解记录后重新提交")
    page.get_by_test_id("return-submit").click()
    expect(page.get_by_test_id("returned-banner")).to_be_visible()
    log_out(page)

    # The secretary sees the reason and may edit again.
    log_in(page, live_server.url, "secretary")
    open_own_page(page, live_server.url)
    expect(page.get_by_test_id("returned-reason")).to_have_text(
        "信访维稳自评偏高，请附调解记录后重新提交"
    )
    expect(page.locator(f"#leaf-{leaves['2.3']}-answer")).to_be_enabled()
    expect(page.get_by_test_id("save-draft")).to_be_visible()
    assert page.problems == []
