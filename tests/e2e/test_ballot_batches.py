"""Ballot batches in a real browser (SPEC §2 民主评议; DESIGN §5): a county assessor fills
in a batch, confirms it (a double click issues once), follows the slips job's progress on
the batch's page without reloading, and downloads the PDF once; a batch whose slips were
lost is voided after a confirmation, and a resident opening one of its slips on a phone
is told politely that it no longer works."""

from django.db.models import Max
from django.urls import reverse
from playwright.sync_api import expect

from assessment.models import Cycle
from demo.management.commands.seed_demo import DEMO_CYCLE
from org.models import User
from reports.jobs import running
from reports.models import Job, JobKind
from surveys.ballots import services as ballots
from surveys.models import BallotBatch, PooledBallot
from tests.e2e.conftest import SCREENSHOTS, log_in
from tests.surveys import issue

PHONE = {"width": 375, "height": 740}


def test_an_assessor_confirms_a_batch_follows_its_slips_and_downloads_them_once(
    demo_county, live_server, watched_page, settings, tmp_path, monkeypatch
):
    settings.MEDIA_ROOT = tmp_path / "media"
    # A broker would queue the job for a worker: here the test is the worker.
    queued = []
    monkeypatch.setattr(running, "enqueue", lambda job_id, countdown=None: queued.append(job_id))
    page = watched_page
    cycle = Cycle.objects.get(name=DEMO_CYCLE)
    before = BallotBatch.objects.aggregate(last=Max("pk"))["last"] or 0
    log_in(page, live_server.url, "county")

    page.goto(f"{live_server.url}/cycles/{cycle.pk}/")
    page.get_by_test_id("ballot-batches-link").click()
    page.get_by_test_id("issue-batch").click()
    community = page.get_by_label("社区").locator("option:checked").inner_text()
    page.get_by_label("评议人类别").select_option(label="物业")
    page.get_by_label("票数").fill("12")
    page.get_by_test_id("issue-submit").click()

    expect(page.get_by_role("heading", name="确认发放评议票")).to_be_visible()
    expect(page.get_by_test_id("confirm-community")).to_have_text(community)
    expect(page.get_by_test_id("confirm-category")).to_have_text("物业")
    expect(page.get_by_test_id("confirm-size")).to_have_text("12 张")
    assert BallotBatch.objects.filter(pk__gt=before).count() == 0
    page.get_by_test_id("confirm-issue").dblclick()

    expect(page.get_by_test_id("slips-running")).to_be_visible()
    batch = BallotBatch.objects.get(pk__gt=before)  # the double click issued one batch
    job = Job.objects.get(kind=JobKind.BALLOT_SLIPS, options__batch=batch.pk)
    assert queued == [job.pk] and batch.size == 12
    expect(page).to_have_url(live_server.url + reverse("ballot-batch-detail", args=[batch.pk]))
    expect(page.get_by_test_id("slips-percent")).to_have_text("0%")
    expect(page.get_by_test_id("batch-slips")).to_contain_text("生成中")

    BallotBatch.objects.filter(pk=batch.pk).update(slips_progress=45)  # as the job reports
    expect(page.get_by_test_id("slips-percent")).to_have_text("45%")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "ballot-batch-progress.png"), full_page=True)
    ballots.make_slips(batch.pk)
    expect(page.get_by_test_id("batch-slips")).to_have_attribute("data-state", "ready")

    with page.expect_download() as download_info:
        page.get_by_test_id("download-slips").click()
    download = download_info.value
    assert (
        download.suggested_filename
        == f"评议票-{community.split('（')[0]}-物业-12张-批次{batch.pk}.pdf"
    )
    with open(download.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    page.reload()
    expect(page.get_by_test_id("slips-taken")).to_contain_text("不能再次下载")
    expect(page.get_by_test_id("download-slips")).to_have_count(0)
    assert page.problems == []


def test_a_lost_batch_is_voided_and_its_slips_tell_the_resident_politely(
    demo_county, live_server, watched_page, settings, tmp_path, browser
):
    settings.MEDIA_ROOT = tmp_path / "media"
    cycle = Cycle.objects.get(name=DEMO_CYCLE)
    assessor = User.objects.get(username="county")
    community = cycle.participants.order_by("community__path").first().community
    batch, _, (used, lost) = issue(cycle, community, assessor, size=2)
    ballots.cast_ballot(code=used, choice="satisfied")
    cast = PooledBallot.objects.filter(cycle=cycle).count()
    page = watched_page
    log_in(page, live_server.url, "county")

    page.goto(live_server.url + reverse("ballot-batch-detail", args=[batch.pk]))
    page.get_by_test_id("void-batch").click()
    expect(page.get_by_test_id("void-warning")).to_contain_text("作废不能撤销")
    page.get_by_test_id("confirm-void").click()  # no reason yet: the browser asks for one
    assert not BallotBatch.objects.get(pk=batch.pk).is_voided
    page.get_by_label("作废原因").fill("评议票在发放途中遗失")
    page.get_by_test_id("confirm-void").click()

    expect(page.get_by_test_id("batch-voided")).to_contain_text("评议票在发放途中遗失")
    expect(page.get_by_test_id("batch-voided")).to_contain_text("周县考")
    expect(page.get_by_test_id("batch-voided-badge")).to_have_text("已作废")
    expect(page.get_by_test_id("batch-issued")).to_have_text("1")
    expect(page.get_by_test_id("void-batch")).to_have_count(0)
    page.goto(live_server.url + reverse("ballot-batch-list", args=[cycle.pk]))
    expect(page.get_by_test_id(f"batch-{batch.pk}")).to_contain_text("已作废")
    expect(page.get_by_test_id(f"batch-{batch.pk}")).to_contain_text("评议票在发放途中遗失")
    assert page.problems == []

    resident = browser.new_page(viewport=PHONE, locale="zh-CN")
    resident.goto(f"{live_server.url}/b/{lost}/")
    refused = resident.get_by_test_id("ballot-refused")
    expect(refused).to_contain_text("这批评议票已作废")
    expect(refused).to_contain_text("不能再提交评议。如有疑问，请联系所在社区。")
    expect(refused).not_to_contain_text(community.name)
    expect(resident.get_by_role("button", name="提交评议")).to_have_count(0)
    assert resident.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    resident.close()
    assert PooledBallot.objects.filter(cycle=cycle).count() == cast  # the cast ballot stays
