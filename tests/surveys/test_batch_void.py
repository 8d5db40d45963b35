"""Voiding a ballot batch (作废, SPEC §2: lost or leaked slips): audited with its reason;
its unused tokens stop working at once and leave the return-rate base; used tokens and
their ballots stay."""

from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from assessment.models import Cycle, CycleStatus
from surveys.ballots import services as ballots
from surveys.ballots import slips
from surveys.models import BallotBatch, BallotToken, Choice, PooledBallot, SlipsState
from surveys.tallies import selectors
from tests.factories import fresh_cycle, open_seed_cycle
from tests.surveys import BASE_URL, issue

# One world and one cycle for the module; each test runs in a savepoint inside them.
pytestmark = pytest.mark.usefixtures("shared_world")

VOID_MESSAGE = "这批评议票已作废，不能再提交评议。如有疑问，请联系所在社区。"


@pytest.fixture(scope="module")
def module_cycle(shared_world):
    return open_seed_cycle(shared_world.county_a)


@pytest.fixture
def cycle(module_cycle, db):
    return fresh_cycle(module_cycle)


@pytest.fixture
def lost(world, cycle):
    """A batch of three slips, one already answered: (batch, the two unused codes)."""
    batch, _, (used, *unused) = issue(cycle, world.community_a1, world.county_assessor_a, size=3)
    ballots.cast_ballot(code=used, choice=Choice.SATISFIED, comment="很好")
    return batch, unused


def void(world, batch, reason="评议票在发放途中遗失", actor=None):
    return ballots.void_batch(actor=actor or world.county_assessor_a, batch=batch, reason=reason)


def test_voiding_stops_the_unused_tokens_at_once_and_keeps_the_cast_ballot(world, lost):
    batch, unused = lost
    voided = void(world, batch)
    assert (voided.unused, voided.used) == (2, 1)
    for code in unused:
        with pytest.raises(ballots.TokenRefused, match=VOID_MESSAGE) as refused:
            ballots.open_ballot(code)
        assert refused.value.reason == "void"
        with pytest.raises(ballots.TokenRefused, match="已作废"):
            ballots.cast_ballot(code=code, choice=Choice.UNSATISFIED)
    assert PooledBallot.objects.get().comment == "很好"
    assert BallotToken.objects.filter(voided=True).count() == 2
    assert BallotToken.objects.filter(voided=False, used_on__isnull=False).count() == 1


def test_a_cast_that_loses_the_race_to_the_void_is_told_the_batch_is_void(world, lost):
    """The ballot was opened before the void committed; the token's row decides."""
    batch, (code, _) = lost
    opening = ballots.open_ballot(code)
    void(world, batch)
    with (
        mock.patch.object(ballots, "open_ballot", return_value=opening),
        pytest.raises(ballots.TokenRefused, match=VOID_MESSAGE),
    ):
        ballots.cast_ballot(code=code, choice=Choice.BASIC)
    assert PooledBallot.objects.count() == 1


def test_the_ballot_page_says_politely_that_the_batch_is_void_and_nothing_else(world, lost):
    batch, (code, other) = lost
    void(world, batch)
    client = Client()
    page = client.get(reverse("ballot", args=[code]))
    html = page.content.decode()
    assert page.status_code == 410 and VOID_MESSAGE in html
    assert 'data-reason="void"' in html and "这批评议票已作废" in html
    for secret in ("城东社区", "甲书记", "遗失", batch.cycle.name, "县考核员甲"):
        assert secret not in html
    cast = client.post(reverse("ballot-cast"), {"code": other, "choice": "basic"})
    assert cast.status_code == 410 and VOID_MESSAGE in cast.content.decode()
    typed = client.post(reverse("ballot-code"), {"code": other.lower()})
    assert typed.status_code == 302
    assert client.get(typed.url).status_code == 410
    assert PooledBallot.objects.count() == 1


def test_the_ballot_api_answers_410_with_the_same_message(world, lost):
    batch, (code, _) = lost
    void(world, batch)
    client = APIClient()
    shown = client.get(f"/api/v1/ballots/{code}/")
    assert shown.status_code == 410 and shown.json() == {"token": [VOID_MESSAGE]}
    cast = client.post("/api/v1/ballots/", {"token": code, "choice": "basic"}, format="json")
    assert cast.status_code == 410 and cast.json() == {"token": [VOID_MESSAGE]}
    assert PooledBallot.objects.count() == 1


def test_unused_codes_of_a_voided_batch_leave_the_return_rate_base(world, cycle, lost):
    batch, _ = lost
    issue(cycle, world.community_a1, world.county_assessor_a, size=2)
    communities = selectors.staff_communities(world.county_assessor_a, cycle)

    def residents_row():
        rates, _, county = selectors.return_rates(cycle, communities)
        row = next(r for r in rates[0].rows if r.label == "居民代表")
        return row.issued, row.used, row.rate, county.issued

    assert residents_row()[:3] == (5, 1, 20)
    void(world, batch)
    issued, used, rate, county = residents_row()
    assert (issued, used, county) == (3, 1, 3)
    assert str(rate) == "33.33"


def test_voiding_is_audited_with_who_why_and_when(world, lost):
    batch, _ = lost
    void(world, batch, reason="  评议票被拍照外传  ")
    batch.refresh_from_db()
    assert batch.is_voided and batch.voided_by == world.county_assessor_a
    assert batch.void_reason == "评议票被拍照外传"
    record = batch.history.first()
    assert record.history_user == world.county_assessor_a
    assert record.history_change_reason == "作废：评议票被拍照外传"
    assert record.void_reason == "评议票被拍照外传" and record.voided_at == batch.voided_at


def test_voiding_is_refused_without_a_reason_twice_or_in_a_locked_cycle(world, cycle, lost):
    batch, (code, _) = lost
    for reason in ("", "   ", None):
        with pytest.raises(ValidationError, match="请填写作废原因"):
            void(world, batch, reason=reason)
    with pytest.raises(ValidationError, match="最多 500 字，现有 501 字"):
        void(world, batch, reason="失" * 501)
    assert not BallotBatch.objects.get(pk=batch.pk).is_voided
    void(world, batch)
    with pytest.raises(ValidationError, match=r"批次 \d+ 已于 .* 由 县考核员甲 作废，不能重复作废"):
        void(world, batch, actor=world.admin_a)
    assert BallotBatch.objects.get(pk=batch.pk).voided_by == world.county_assessor_a
    other, _, _ = issue(cycle, world.community_a1, world.county_assessor_a, size=1)
    for status in (CycleStatus.PUBLISHED, CycleStatus.ARCHIVED):
        Cycle.objects.filter(pk=cycle.pk).update(status=status)
        with pytest.raises(ValidationError, match="当前为“已(发布|归档)”，评议票批次不能再作废"):
            void(world, other)
    assert not BallotBatch.objects.get(pk=other.pk).is_voided
    assert not BallotToken.objects.filter(batch=other, voided=True).exists()


def test_those_who_may_issue_for_the_community_may_void(world, cycle):
    batch, _, _ = issue(cycle, world.community_a1, world.county_assessor_a, size=1)
    for person in (world.observer_a, world.secretary_a1, world.outsider_b, world.split_person):
        with pytest.raises(PermissionDenied):
            void(world, batch, actor=person)
    assert not BallotBatch.objects.get(pk=batch.pk).is_voided
    void(world, batch, actor=world.town_assessor_a)
    assert BallotBatch.objects.get(pk=batch.pk).voided_by == world.town_assessor_a


def test_voiding_deletes_a_pdf_not_yet_downloaded_and_refuses_its_download(
    world, cycle, login, media, django_capture_on_commit_callbacks
):
    batch, _, _ = issue(cycle, world.community_a1, world.county_assessor_a, size=1)
    assert any(path.is_file() for path in media.rglob("*"))
    with django_capture_on_commit_callbacks(execute=True):
        void(world, batch)
    assert not any(path.is_file() for path in media.rglob("*"))
    assert not BallotBatch.objects.get(pk=batch.pk).slips_file
    page = login(world.county_assessor_a).post(
        reverse("ballot-batch-slips", args=[batch.pk]), follow=True
    )
    assert "已作废，评议票不能再下载" in page.content.decode()


def test_a_batch_voided_while_its_slips_are_made_gets_no_tokens(world, cycle):
    residents = cycle.frozen_template.survey_categories.get(name="居民代表")
    batch = ballots.issue_batch(
        actor=world.county_assessor_a,
        cycle=cycle,
        community=world.community_a1,
        category=residents,
        size=2,
        base_url=BASE_URL,
    )
    real = slips.slips_pdf

    def void_meanwhile(*args, **kwargs):
        pdf = real(*args, **kwargs)
        void(world, batch, reason="发放前发现社区填错")
        return pdf

    with mock.patch.object(slips, "slips_pdf", void_meanwhile):
        assert ballots.make_slips(batch.pk) is None
    batch.refresh_from_db()
    assert batch.is_voided and batch.slips_state == SlipsState.FAILED
    assert "生成前已作废" in batch.slips_error and not batch.slips_file
    assert not batch.tokens.exists()


# The pages


def test_the_void_button_asks_for_confirmation_and_a_reason(world, lost, login):
    batch, _ = lost
    client = login(world.county_assessor_a)
    detail = reverse("ballot-batch-detail", args=[batch.pk])
    url = reverse("ballot-batch-void", args=[batch.pk])
    assert f'href="{url}"' in client.get(detail).content.decode()
    page = client.get(url).content.decode()
    assert 'data-testid="void-warning"' in page and "作废不能撤销" in page
    assert 'data-testid="confirm-void"' in page
    assert not BallotBatch.objects.get(pk=batch.pk).is_voided  # opening the page voids nothing
    refused = client.post(url, {"reason": " "})
    assert refused.status_code == 400 and "请填写作废原因" in refused.content.decode()
    done = client.post(url, {"reason": "评议票遗失"}, follow=True)
    html = done.content.decode()
    assert done.redirect_chain[-1][0] == detail
    assert (
        "已作废批次" in html
        and "2 张未使用的评议票已失效" in html
        and "已回收的 1 张继续有效" in html
    )
    assert 'data-testid="batch-voided"' in html and "评议票遗失" in html and "县考核员甲" in html
    assert f'href="{url}"' not in html  # no second 作废
    again = client.post(url, {"reason": "再次作废"})
    assert again.status_code == 400 and "不能重复作废" in again.content.decode()


def test_the_batch_list_shows_voided_batches_with_reason_who_and_when(
    world, cycle, lost, login, django_assert_max_num_queries
):
    batch, _ = lost
    issue(cycle, world.community_a1, world.county_assessor_a, size=2)
    void(world, batch)
    client = login(world.observer_a)
    with django_assert_max_num_queries(12):
        html = client.get(reverse("ballot-batch-list", args=[cycle.pk])).content.decode()
    at = BallotBatch.objects.get(pk=batch.pk).voided_at
    assert "已作废" in html and "评议票在发放途中遗失" in html
    assert f"县考核员甲 于 {timezone.localtime(at):%Y-%m-%d %H:%M} 作废" in html
    assert "已发放 3 张，已回收 1 张" in html


def test_only_issuers_reach_the_void_page(world, cycle, login):
    batch, _, _ = issue(cycle, world.community_a1, world.county_assessor_a, size=1)
    url = reverse("ballot-batch-void", args=[batch.pk])
    assert login(world.observer_a).get(url).status_code == 403
    assert login(world.secretary_a1).post(url, {"reason": "x"}).status_code == 403
    assert login(world.outsider_b).post(url, {"reason": "x"}).status_code == 404
    assert login(world.split_person).post(url, {"reason": "x"}).status_code == 403
    assert not BallotBatch.objects.get(pk=batch.pk).is_voided
    page = login(world.observer_a).get(reverse("ballot-batch-detail", args=[batch.pk]))
    assert page.status_code == 200 and 'data-testid="void-batch"' not in page.content.decode()
