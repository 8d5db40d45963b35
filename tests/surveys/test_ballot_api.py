"""Public ballot API (/api/v1/ballots/): no account; GET describes the ballot of a token,
POST casts it (SPEC §1 评议人, DESIGN §4)."""

import pytest
from rest_framework.test import APIClient

from assessment.models import Cycle, CycleStatus
from surveys.ballots.api import BallotThrottle
from surveys.models import Choice, PooledBallot
from tests.factories import fresh_cycle, open_seed_cycle
from tests.surveys import issue

# One world and one cycle for the module; each test runs in a savepoint inside them.
pytestmark = pytest.mark.usefixtures("shared_world")


@pytest.fixture(scope="module")
def module_cycle(shared_world):
    return open_seed_cycle(shared_world.county_a)


@pytest.fixture
def cycle(module_cycle, db):
    return fresh_cycle(module_cycle)


@pytest.fixture
def code(world, cycle):
    return issue(cycle, world.community_a1, world.county_assessor_a, size=1)[2][0]


def test_get_describes_the_ballot_without_any_account(cycle, code):
    response = APIClient().get(f"/api/v1/ballots/{code}/")
    assert response.status_code == 200
    body = response.json()
    assert body["community"] == "城东社区" and body["secretaries"] == ["甲书记"]
    assert body["cycle"] == cycle.name and body["category"] == "居民代表"
    assert body["question"] == "您对本社区书记的工作是否满意？"
    assert [c["value"] for c in body["choices"]] == ["satisfied", "basic", "unsatisfied", "unknown"]
    assert [c["label"] for c in body["choices"]] == ["满意", "基本满意", "不满意", "不了解"]
    assert body["max_comment_length"] == 500


def test_post_casts_once_then_the_token_is_used(code):
    client = APIClient()
    cast = {"token": code, "choice": "basic", "comment": "希望多办活动"}
    assert client.post("/api/v1/ballots/", cast, format="json").status_code == 201
    ballot = PooledBallot.objects.get()
    assert (ballot.choice, ballot.comment) == (Choice.BASIC, "希望多办活动")
    again = client.post("/api/v1/ballots/", cast, format="json")
    assert again.status_code == 409 and "该评议票已使用" in again.json()["token"][0]
    assert client.get(f"/api/v1/ballots/{code}/").status_code == 409
    assert PooledBallot.objects.count() == 1


def test_unknown_token_is_404_and_bad_answers_are_400(code):
    client = APIClient()
    response = client.get("/api/v1/ballots/0000-0000/")
    assert response.status_code == 404 and "评议码无效" in response.json()["token"][0]
    bad = client.post("/api/v1/ballots/", {"token": code, "choice": "great"}, format="json")
    assert bad.status_code == 400 and "请选择一项评价" in bad.json()["choice"][0]
    long = client.post(
        "/api/v1/ballots/", {"token": code, "choice": "basic", "comment": "长" * 501}, format="json"
    )
    assert long.status_code == 400 and "最多 500 字" in long.json()["comment"][0]
    assert not PooledBallot.objects.exists()


def test_after_the_appraisal_closes_the_ballot_is_410(cycle, code):
    Cycle.objects.filter(pk=cycle.pk).update(status=CycleStatus.REVIEW)
    response = APIClient().post("/api/v1/ballots/", {"token": code, "choice": "basic"})
    assert response.status_code == 410 and "本次民主评议已结束" in response.json()["token"][0]


def test_the_endpoint_is_throttled_per_client(code, monkeypatch):
    monkeypatch.setattr(BallotThrottle, "rate", "3/min")
    client = APIClient()
    statuses = [client.get("/api/v1/ballots/GUESS/").status_code for _ in range(4)]
    assert statuses == [404, 404, 404, 429]


def test_no_answer_to_a_token_in_the_path_reaches_the_request_log(code, monkeypatch, caplog):
    """The token is the path of GET: refusals and throttling must not log it (DESIGN §4)."""
    monkeypatch.setattr(BallotThrottle, "rate", "2/min")
    caplog.set_level("DEBUG", logger="django.request")
    client = APIClient()
    statuses = [client.get(f"/api/v1/ballots/{code}/").status_code for _ in range(2)]
    statuses.append(client.get("/api/v1/ballots/GUESSGUESS/").status_code)
    assert statuses == [200, 200, 429]
    assert "GUESSGUESS" not in caplog.text and code not in caplog.text
