"""Issuing ballot slips (民主评议票, SPEC §2, §5; DESIGN §4, §5): the form asks to confirm
before anything is created, a repeated submission issues once, and the slips PDF is made
by a job after the commit — progress on the batch's page, then one download for the
issuer."""

import json
import uuid
from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from reports.models import Job, JobKind, JobState
from surveys.ballots import services as ballots
from surveys.ballots import slips, tokens
from surveys.models import BallotBatch, BallotToken, SlipsState
from tests.factories import fresh_cycle, open_seed_cycle
from tests.surveys import BASE_URL, issue

# One world and one cycle for the module; each test runs in a savepoint inside them.
pytestmark = pytest.mark.usefixtures("shared_world")


@pytest.fixture(scope="module")
def module_cycle(shared_world):
    return open_seed_cycle(shared_world.county_a)


@pytest.fixture
def cycle(module_cycle, db):
    return fresh_cycle(module_cycle)


@pytest.fixture
def residents(cycle):
    return cycle.frozen_template.survey_categories.get(name="居民代表")


def form(world, residents, size=30, **extra):
    return {"community": world.community_a2.pk, "category": residents.pk, "size": size, **extra}


def issue_pending(world, cycle, residents, *, actor=None, size=3, key=None):
    """Issue a batch whose slips job has not run yet (as while it waits for a worker)."""
    return ballots.issue_batch(
        actor=actor or world.county_assessor_a,
        cycle=cycle,
        community=world.community_a1,
        category=residents,
        size=size,
        base_url=BASE_URL,
        request_key=key,
    )


# Confirm first


def test_the_form_shows_community_category_and_number_to_confirm_before_creating_anything(
    world, cycle, residents, login
):
    client = login(world.town_assessor_a)
    url = reverse("ballot-batch-create", args=[cycle.pk])
    page = client.post(url, form(world, residents, size=30))
    html = page.content.decode()
    assert page.status_code == 200 and "确认发放评议票" in html
    assert page.context["community"] == world.community_a2
    assert page.context["category"] == residents and page.context["size"] == 30
    for text in (
        "城西社区",
        "居民代表",
        "30 张",
        'name="request_key"',
        'data-testid="confirm-issue"',
    ):
        assert text in html
    assert not BallotBatch.objects.exists()
    back = client.post(url, {**form(world, residents, size=30), "edit": "1"})
    assert back.status_code == 200 and 'value="30"' in back.content.decode()
    assert not BallotBatch.objects.exists()


def test_a_bad_number_is_refused_at_the_first_step_with_nothing_created(
    world, cycle, residents, login
):
    url = reverse("ballot-batch-create", args=[cycle.pk])
    refused = login(world.town_assessor_a).post(url, form(world, residents, size=0))
    assert refused.status_code == 400 and "票数应为 1 到 2000" in refused.content.decode()
    assert not BallotBatch.objects.exists()


def test_confirming_issues_the_batch_and_lands_on_its_page_with_the_download(
    world, cycle, residents, login, django_capture_on_commit_callbacks
):
    client = login(world.town_assessor_a)
    url = reverse("ballot-batch-create", args=[cycle.pk])
    key = client.post(url, form(world, residents, size=3)).context["request_key"]
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(url, form(world, residents, size=3, confirm="1", request_key=key))
    batch = BallotBatch.objects.get()
    assert done.status_code == 302 and done.url == reverse("ballot-batch-detail", args=[batch.pk])
    assert (batch.community, batch.category, batch.size) == (world.community_a2, residents, 3)
    assert batch.request_key == key and batch.created_by == world.town_assessor_a
    assert batch.slips_state == SlipsState.READY and batch.tokens.count() == 3
    assert batch.slips_base_url == "http://testserver/"
    page = client.get(done.url).content.decode()
    assert 'data-testid="download-slips"' in page and "hx-trigger" not in page


def test_a_double_submission_issues_one_batch(
    world, cycle, residents, login, django_capture_on_commit_callbacks
):
    client = login(world.town_assessor_a)
    url = reverse("ballot-batch-create", args=[cycle.pk])
    data = form(world, residents, size=2, confirm="1", request_key=str(uuid.uuid4()))
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(url, data)
        second = client.post(url, data)
    assert first.status_code == second.status_code == 302 and first.url == second.url
    assert BallotBatch.objects.count() == 1 and BallotToken.objects.count() == 2
    # The same form filled in again is a new request: a new batch.
    fresh = {**data, "request_key": str(uuid.uuid4())}
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, fresh).url != first.url
    assert BallotBatch.objects.count() == 2


def test_a_confirmation_without_its_one_time_key_creates_nothing(world, cycle, residents, login):
    url = reverse("ballot-batch-create", args=[cycle.pk])
    for key in ("", "not-a-key"):
        refused = login(world.town_assessor_a).post(
            url, form(world, residents, confirm="1", request_key=key)
        )
        assert refused.status_code == 400 and "请重新填写并确认" in refused.content.decode()
    assert not BallotBatch.objects.exists()


def test_a_request_key_issues_once_and_only_for_its_own_issuer(world, cycle, residents):
    """The same key again returns the batch it issued; reused for another number (or
    community, or category) it is refused, not answered with a batch not asked for."""
    key = uuid.uuid4()
    batch = issue_pending(world, cycle, residents, key=key)
    assert issue_pending(world, cycle, residents, key=key) == batch
    with pytest.raises(ValidationError, match="这张确认单已用于签发另一批评议票"):
        issue_pending(world, cycle, residents, key=key, size=9)
    with pytest.raises(PermissionDenied):
        issue_pending(world, cycle, residents, key=key, actor=world.admin_a)
    assert BallotBatch.objects.get().size == 3


# The slips job


def test_the_slips_are_made_by_a_job_queued_after_the_commit(
    world, cycle, residents, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as queued:
        batch = issue_pending(world, cycle, residents)
    assert len(queued) == 1
    batch.refresh_from_db()
    assert (batch.slips_state, batch.slips_progress) == (SlipsState.PENDING, 0)
    assert not batch.tokens.exists() and not batch.slips_file
    queued[0]()
    batch.refresh_from_db()
    assert batch.slips_state == SlipsState.READY and batch.tokens.count() == 3
    assert batch.slips_file.name.startswith("ballot-slips/2026/")
    assert batch.history.first().history_change_reason == "评议票已生成"


def test_the_slips_job_is_a_job_of_the_issuer_in_the_cycles_county_carrying_only_the_batch(
    world, cycle, residents, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        batch = issue_pending(world, cycle, residents)
    job = Job.objects.get(kind=JobKind.BALLOT_SLIPS)
    assert job.requested_by == batch.created_by == world.county_assessor_a
    assert (job.county, job.cycle) == (cycle.county, cycle)
    assert job.options == {"batch": batch.pk}
    assert job.state == JobState.DONE and job.progress == 100
    assert job.result == {"batch": batch.pk} and "批次页面" in job.message
    # The clear tokens stay in the batch's PDF: nothing of them on the job.
    assert not job.output and "token" not in json.dumps(job.result)


def test_a_job_for_a_batch_voided_meanwhile_makes_nothing(
    world, cycle, residents, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as queued:
        batch = issue_pending(world, cycle, residents)
    ballots.void_batch(actor=world.admin_a, batch=batch, reason="发错社区")
    queued[0]()
    job = Job.objects.get(kind=JobKind.BALLOT_SLIPS)
    assert job.state == JobState.DONE and "无需再做" in job.message
    assert not BallotToken.objects.filter(batch=batch).exists()


def test_the_job_reports_progress_on_the_batch_as_it_lays_out_the_slips(
    world, cycle, residents, monkeypatch
):
    batch = issue_pending(world, cycle, residents, size=20)
    monkeypatch.setattr(slips, "SLIPS_PER_CHUNK", 8)
    seen, real = [], slips.slips_pdf

    def watched(batch, issued, base_url, progress):
        def report(count):
            progress(count)
            seen.append(BallotBatch.objects.get(pk=batch.pk).slips_progress)

        return real(batch, issued, base_url, progress=report)

    monkeypatch.setattr(slips, "slips_pdf", watched)
    assert ballots.make_slips(batch.pk) == SlipsState.READY
    assert seen == [36, 72, 90]
    assert BallotBatch.objects.get(pk=batch.pk).slips_progress == 100


def test_the_job_is_idempotent_a_second_run_changes_nothing(world, cycle, residents):
    batch = issue_pending(world, cycle, residents)
    assert ballots.make_slips(batch.pk) == SlipsState.READY
    digests = set(BallotToken.objects.values_list("digest", flat=True))
    stored = BallotBatch.objects.get(pk=batch.pk).slips_file.name
    assert ballots.make_slips(batch.pk) is None
    assert set(BallotToken.objects.values_list("digest", flat=True)) == digests
    assert BallotBatch.objects.get(pk=batch.pk).slips_file.name == stored


def test_a_job_that_dies_before_storing_the_tokens_leaves_nothing_and_runs_again(
    world, cycle, residents, media
):
    batch = issue_pending(world, cycle, residents)
    with (
        mock.patch.object(BallotToken.objects, "bulk_create", side_effect=SystemExit),
        pytest.raises(SystemExit),
    ):
        ballots.make_slips(batch.pk)
    batch.refresh_from_db()
    assert batch.slips_state == SlipsState.PENDING and not batch.tokens.exists()
    assert not any(path.is_file() for path in media.rglob("*"))  # no PDF of dead codes
    assert ballots.make_slips(batch.pk) == SlipsState.READY
    assert BallotBatch.objects.get(pk=batch.pk).tokens.count() == 3


def test_a_failed_job_says_so_in_chinese_and_issues_no_code(world, cycle, residents, login):
    batch = issue_pending(world, cycle, residents)
    with mock.patch.object(slips, "slips_pdf", side_effect=OSError("字体缺失")):
        assert ballots.make_slips(batch.pk) == SlipsState.FAILED
    batch.refresh_from_db()
    assert batch.slips_state == SlipsState.FAILED and not batch.tokens.exists()
    assert "本批次没有发出任何评议码" in batch.slips_error
    page = login(world.county_assessor_a).get(reverse("ballot-batch-detail", args=[batch.pk]))
    html = page.content.decode()
    assert 'data-testid="slips-failed"' in html and "生成失败" in html
    assert "hx-trigger" not in html


def test_a_job_lost_for_an_hour_is_marked_failed_when_the_page_is_read(
    world, cycle, residents, login
):
    batch = issue_pending(world, cycle, residents)
    url = reverse("ballot-batch-status", args=[batch.pk])
    client = login(world.county_assessor_a)
    assert 'hx-trigger="every 1s"' in client.get(url).content.decode()
    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        html = client.get(url).content.decode()
    assert "生成任务中断" in html and "hx-trigger" not in html
    assert BallotBatch.objects.get(pk=batch.pk).slips_state == SlipsState.FAILED
    assert ballots.make_slips(batch.pk) is None  # a late delivery makes nothing


def test_the_status_part_shows_the_progress_and_polls_until_the_slips_are_ready(
    world, cycle, residents, login, django_assert_max_num_queries
):
    batch = issue_pending(world, cycle, residents)
    BallotBatch.objects.filter(pk=batch.pk).update(slips_progress=45)
    client = login(world.county_assessor_a)
    url = reverse("ballot-batch-status", args=[batch.pk])
    with django_assert_max_num_queries(9):  # the batch in one query; the rest is the session
        running = client.get(url).content.decode()
    assert 'value="45"' in running and "45%" in running and "生成中" in running
    assert f'hx-get="{url}"' in running
    ballots.make_slips(batch.pk)
    ready = client.get(url).content.decode()
    assert 'data-testid="download-slips"' in ready and "hx-get" not in ready
    # Another member of staff sees that the slips wait for their issuer.
    other = login(world.admin_a).get(url).content.decode()
    assert "等待发放人 县考核员甲 下载" in other and "download-slips" not in other


# The one download


def test_the_issuer_downloads_the_pdf_once_quickly_and_it_is_then_deleted(
    world, cycle, login, media, django_capture_on_commit_callbacks
):
    batch, pdf, codes = issue(cycle, world.community_a1, world.county_assessor_a, size=2)
    url = reverse("ballot-batch-slips", args=[batch.pk])
    client = login(world.county_assessor_a)
    assert client.get(url).status_code == 405
    # Downloading reads the stored PDF: nothing is laid out again.
    with (
        mock.patch.object(slips, "slips_pdf", side_effect=AssertionError("rendered again")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Cache-Control"] == "no-store" and response.content == pdf
    batch.refresh_from_db()
    assert batch.slips_printed and not batch.slips_file
    assert not any(path.is_file() for path in media.rglob("*"))
    assert batch.history.first().history_user == world.county_assessor_a
    again = client.post(url, follow=True)
    assert "已经下载过" in again.content.decode()
    assert 'data-testid="slips-taken"' in again.content.decode()
    # The clear codes were in the PDF only; the tokens still work.
    assert ballots.open_ballot(codes[0]).community == world.community_a1


def test_only_the_issuer_may_download_the_slips(world, cycle, login):
    batch, _, _ = issue(cycle, world.community_a1, world.county_assessor_a, size=1)
    url = reverse("ballot-batch-slips", args=[batch.pk])
    assert login(world.admin_a).post(url).status_code == 403
    assert login(world.observer_a).post(url).status_code == 403
    assert login(world.outsider_b).post(url).status_code == 404
    batch.refresh_from_db()
    assert not batch.slips_printed and batch.slips_file


def test_slips_not_ready_yet_cannot_be_downloaded(world, cycle, residents, login):
    batch = issue_pending(world, cycle, residents)
    page = login(world.county_assessor_a).post(
        reverse("ballot-batch-slips", args=[batch.pk]), follow=True
    )
    assert "还没有生成好（生成中）" in page.content.decode()


def test_the_batch_list_links_each_batch_and_shows_its_slips_state(world, cycle, residents, login):
    pending = issue_pending(world, cycle, residents)
    ready, _, _ = issue(cycle, world.community_a1, world.county_assessor_a, size=2)
    html = (
        login(world.county_assessor_a)
        .get(reverse("ballot-batch-list", args=[cycle.pk]))
        .content.decode()
    )
    for batch in (pending, ready):
        assert reverse("ballot-batch-detail", args=[batch.pk]) in html
    assert "生成中" in html and "待下载" in html
    # Slips still being made are not issued yet: only the ready batch counts.
    assert "已发放 2 张，已回收 0 张" in html


def test_the_clear_tokens_are_made_only_inside_the_job(world, cycle, residents):
    with mock.patch.object(tokens, "new_token", side_effect=AssertionError("made in request")):
        batch = issue_pending(world, cycle, residents)
    assert not batch.tokens.exists()
