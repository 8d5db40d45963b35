"""Ballot batches and anonymous ballots (民主评议, SPEC §1 评议人, §2; DESIGN §4)."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, models
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from assessment.models import Cycle, CycleStatus
from surveys.ballots import services as ballots
from surveys.ballots import tokens
from surveys.ballots.views import public
from surveys.models import Ballot, BallotBatch, BallotToken, Choice, PooledBallot, SlipsState
from surveys.tasks import release_ballots
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


def set_status(cycle, status):
    """Setup shortcut: put the cycle in a state without walking its guards."""
    Cycle.objects.filter(pk=cycle.pk).update(status=status)
    cycle.refresh_from_db()
    return cycle


# Issuing batches


def test_a_county_assessor_issues_a_batch_of_single_use_tokens(world, cycle):
    batch, pdf, codes = issue(cycle, world.community_a1, world.county_assessor_a, size=3)
    assert pdf.startswith(b"%PDF")
    assert batch.size == 3 and batch.created_by == world.county_assessor_a
    assert (batch.slips_state, batch.slips_progress) == (SlipsState.READY, 100)
    assert not batch.slips_printed  # kept for its issuer's one download
    assert batch.tokens.count() == 3 and not batch.tokens.filter(used_on__isnull=False).exists()
    assert batch.history.filter(history_user=world.county_assessor_a).exists()
    assert len(set(codes)) == 3


def test_no_clear_token_is_stored_anywhere_only_digests(world, cycle):
    """DESIGN §4: only a hash is stored; scan every table, history tables included."""
    batch, _, codes = issue(cycle, world.community_a1, world.county_assessor_a, size=5)
    token_bytes = [tokens.decode(code) for code in codes]
    needles = set()
    for token in token_bytes:
        needles |= {tokens.encode(token), tokens.typed_code(token), token.hex()}
        needles |= {tokens.encode(token).lower()}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')
            dump = " ".join(str(value) for row in cursor.fetchall() for value in row)
            assert not any(needle in dump for needle in needles), table
    stored = set(batch.tokens.values_list("digest", flat=True))
    assert stored == {tokens.digest(token) for token in token_bytes}


def test_a_town_assessor_issues_for_own_town_only(world, cycle):
    batch, _, _ = issue(cycle, world.community_a2, world.town_assessor_a, size=1)
    assert batch.community == world.community_a2
    with pytest.raises(PermissionDenied):
        issue(cycle, world.community_b1, world.town_assessor_a)
    for person in (world.secretary_a1, world.observer_a, world.split_person):
        with pytest.raises(PermissionDenied):
            issue(cycle, world.community_a1, person)


@pytest.mark.parametrize("status", [CycleStatus.DRAFT, CycleStatus.REVIEW, CycleStatus.PUBLISHED])
def test_batches_are_issued_only_while_the_cycle_is_open_or_scoring(world, cycle, status):
    set_status(cycle, status)
    with pytest.raises(ValidationError, match="只有进行中或评分中才能发放评议票"):
        issue(cycle, world.community_a1, world.county_assessor_a)
    assert not BallotBatch.objects.exists()


def test_batch_size_community_and_category_are_checked(world, cycle):
    category = cycle.frozen_template.survey_categories.get(name="物业")
    args = {"actor": world.county_assessor_a, "cycle": cycle, "base_url": "http://testserver"}
    for size in (0, 2001, None):
        with pytest.raises(ValidationError, match="票数应为 1 到 2000"):
            ballots.issue_batch(community=world.community_a1, category=category, size=size, **args)
    foreign = open_seed_cycle(world.county_b).frozen_template.survey_categories.first()
    with pytest.raises(ValidationError, match="评议人类别"):
        ballots.issue_batch(community=world.community_a1, category=foreign, size=1, **args)
    with pytest.raises(ValidationError, match="没有参加本次考核"):
        ballots.issue_batch(community=world.grid_a1, category=category, size=1, **args)
    assert not BallotBatch.objects.exists()


# Casting ballots


def test_a_token_casts_exactly_one_anonymous_ballot(world, cycle):
    _, _, (code,) = issue(cycle, world.community_a1, world.county_assessor_a, size=1)
    before = cycle.inputs_version
    ballots.cast_ballot(code=code, choice=Choice.SATISFIED, comment="  服务很周到  ")
    ballot = PooledBallot.objects.get()
    assert (ballot.cycle, ballot.community, ballot.category.name) == (
        cycle,
        world.community_a1,
        "居民代表",
    )
    assert ballot.choice == Choice.SATISFIED and ballot.comment == "服务很周到"
    assert ballot.cast_on == timezone.localdate()
    assert BallotToken.objects.get().used_on == timezone.localdate()
    cycle.refresh_from_db()
    assert cycle.inputs_version == before + 1
    with pytest.raises(ballots.TokenRefused, match="该评议票已使用") as refused:
        ballots.cast_ballot(code=code, choice=Choice.UNSATISFIED)
    assert refused.value.reason == "used"
    assert PooledBallot.objects.count() == 1


def test_an_unknown_or_malformed_code_is_refused_as_invalid(world, cycle):
    issue(cycle, world.community_a1, world.county_assessor_a, size=1)
    for code in (tokens.typed_code(tokens.new_token()), "123", ""):
        with pytest.raises(ballots.TokenRefused, match="评议码无效"):
            ballots.cast_ballot(code=code, choice=Choice.SATISFIED)
    assert not PooledBallot.objects.exists()


@pytest.mark.parametrize("status", [CycleStatus.REVIEW, CycleStatus.PUBLISHED])
def test_ballots_are_accepted_only_while_open_or_scoring(world, cycle, status):
    _, _, (code,) = issue(cycle, world.community_a1, world.county_assessor_a, size=1)
    set_status(cycle, CycleStatus.SCORING)
    assert ballots.open_ballot(code).community == world.community_a1
    set_status(cycle, status)
    with pytest.raises(ballots.TokenRefused, match="本次民主评议已结束"):
        ballots.cast_ballot(code=code, choice=Choice.SATISFIED)
    assert BallotToken.objects.get().used_on is None


def test_a_bad_answer_is_refused_and_leaves_the_token_unused(world, cycle):
    _, _, (code,) = issue(cycle, world.community_a1, world.county_assessor_a, size=1)
    with pytest.raises(ValidationError, match="请选择一项评价"):
        ballots.cast_ballot(code=code, choice="excellent")
    with pytest.raises(ValidationError, match="最多 500 字，现有 501 字"):
        ballots.cast_ballot(code=code, choice=Choice.BASIC, comment="意" * 501)
    assert BallotToken.objects.get().used_on is None and not PooledBallot.objects.exists()
    ballots.cast_ballot(code=code, choice=Choice.UNKNOWN, comment="意" * 500)
    assert PooledBallot.objects.get().choice == Choice.UNKNOWN


def test_the_ballot_names_the_community_its_secretary_and_the_cycle(world, cycle):
    _, _, (code,) = issue(cycle, world.community_a1, world.county_assessor_a, size=1)
    opening = ballots.open_ballot(code.lower().replace("-", " "))
    assert opening.community == world.community_a1
    assert opening.secretary_names == ("甲书记",)
    assert opening.cycle == cycle and opening.category.name == "居民代表"


# The ballot cannot be joined to its token (DESIGN §4)


@pytest.mark.parametrize("model", [Ballot, PooledBallot])
def test_the_ballot_model_has_no_link_to_tokens_or_batches_and_no_time_of_day(model):
    relations = {f.related_model for f in model._meta.get_fields() if f.is_relation}
    assert BallotToken not in relations and BallotBatch not in relations
    assert not any(
        f.related_model is model
        for m in (BallotToken, BallotBatch)
        for f in m._meta.get_fields()
        if f.is_relation
    )
    fields = {f.name: f for f in model._meta.concrete_fields}
    assert set(fields) == {"id", "cycle", "community", "category", "choice", "comment", "cast_on"}
    assert isinstance(fields["id"], models.UUIDField)
    assert isinstance(fields["cast_on"], models.DateField)
    assert not any(isinstance(f, models.DateTimeField) for f in fields.values())
    assert not hasattr(model, "history"), "the audit trail must not record ballots"


@pytest.mark.parametrize("table", ["surveys_ballot", "surveys_pooledballot"])
def test_the_ballot_table_shares_no_column_or_foreign_key_with_the_token_tables(db, table):
    with connection.cursor() as cursor:
        ballot_columns = {
            c.name for c in connection.introspection.get_table_description(cursor, table)
        }
        token_columns = {
            c.name
            for c in connection.introspection.get_table_description(cursor, "surveys_ballottoken")
        }
        targets = {
            target for _, target in connection.introspection.get_relations(cursor, table).values()
        }
        tables = connection.introspection.table_names(cursor)
    assert ballot_columns == {
        "id",
        "cycle_id",
        "community_id",
        "category_id",
        "choice",
        "comment",
        "cast_on",
    }
    # `id` is a random UUID on ballots, a serial number on tokens: nothing to join on.
    assert ballot_columns & token_columns == {"id"}
    assert targets == {"assessment_cycle", "assessment_orgunit", "indicators_surveycategory"}
    assert not {"surveys_historicalballot", "surveys_historicalpooledballot"} & set(tables)


def test_a_fresh_database_schedules_the_hourly_ballot_release(db):
    """Made by a data migration (`surveys.ballots.pool`); editable in the admin."""
    task = PeriodicTask.objects.select_related("crontab").get(task="surveys.tasks.release_ballots")
    assert task.enabled and (task.crontab.minute, task.crontab.hour) == ("15", "*")
    assert str(task.crontab.timezone) == "Asia/Shanghai" and task.task == release_ballots.name


def test_ballot_keys_are_random_not_in_casting_order(world, cycle):
    _, _, codes = issue(cycle, world.community_a1, world.county_assessor_a, size=6)
    for code in codes:
        ballots.cast_ballot(code=code, choice=Choice.SATISFIED)
    keys = list(PooledBallot.objects.values_list("id", flat=True))
    assert len({k.version for k in keys}) == 1 and keys[0].version == 4
    assert all(isinstance(b.cast_on, datetime.date) for b in PooledBallot.objects.all())


def test_casting_writes_no_token_into_the_logs(world, cycle, caplog):
    _, _, (code, other) = issue(cycle, world.community_a1, world.county_assessor_a, size=2)
    client = Client()
    caplog.set_level("DEBUG")
    client.post(reverse("ballot-cast"), {"code": code, "choice": Choice.SATISFIED})
    client.get(reverse("ballot", args=[code]))
    client.get(reverse("ballot", args=["NOPE" * 7]))
    client.post(reverse("ballot-code"), {"code": other[:-1]})
    text = caplog.text.upper()
    for needle in (code, tokens.encode(tokens.decode(code)), other[:-1], "NOPE" * 7):
        assert needle not in text
    ballot_id = str(PooledBallot.objects.get().pk)
    assert ballot_id not in caplog.text


# The public pages (/b/)


def test_the_ballot_page_asks_about_the_community_and_thanks_after_casting(world, cycle):
    _, _, (code,) = issue(cycle, world.community_a1, world.county_assessor_a, size=1)
    client = Client(enforce_csrf_checks=True)
    page = client.get(reverse("ballot", args=[code]))
    html = page.content.decode()
    assert page.status_code == 200 and page["Cache-Control"].startswith("max-age=0")
    for text in ("城东社区", "甲书记", cycle.name, "您对本社区书记的工作是否满意？", "不了解"):
        assert text in html
    assert 'data-testid="user-menu"' not in html  # no staff layout
    answer = {"code": code, "choice": "basic"}
    assert client.post(reverse("ballot-cast"), answer).status_code == 403
    csrf = client.cookies["csrftoken"].value
    done = client.post(reverse("ballot-cast"), {**answer, "csrfmiddlewaretoken": csrf})
    assert done.status_code == 302 and done.url == reverse("ballot-thanks")
    thanks = client.get(done.url).content.decode()
    assert "感谢您的评议" in thanks and "城东社区" not in thanks
    used = client.get(reverse("ballot", args=[code]))
    assert used.status_code == 410 and "该评议票已使用" in used.content.decode()


def test_an_unknown_link_and_a_mistyped_code_get_a_clear_message(world, cycle):
    _, _, (code,) = issue(cycle, world.community_a1, world.county_assessor_a, size=1)
    client = Client()
    unknown = client.get(reverse("ballot", args=["0" * 26]))
    assert unknown.status_code == 404 and "评议码无效" in unknown.content.decode()
    # A mistyped last symbol: any symbol but the real one (a fixed one would be the
    # real one for one code in 32).
    mistyped = code[:-1] + ("Q" if code[-1] != "Q" else "R")
    typed = client.post(reverse("ballot-code"), {"code": mistyped})
    assert typed.status_code == 400 and "评议码无效" in typed.content.decode()
    sloppy = code.lower().replace("-", " ")
    opened = client.post(reverse("ballot-code"), {"code": sloppy})
    assert opened.status_code == 302
    assert opened.url == reverse("ballot", args=[tokens.encode(tokens.decode(code))])


def test_a_bad_answer_is_shown_on_the_form(world, cycle):
    _, _, (code,) = issue(cycle, world.community_a1, world.county_assessor_a, size=1)
    response = Client().post(reverse("ballot-cast"), {"code": code, "comment": "没选"})
    assert response.status_code == 400 and "请选择一项评价" in response.content.decode()
    assert "没选" in response.content.decode()
    assert not PooledBallot.objects.exists()


def test_guessing_codes_is_stopped_per_client_address(db):
    client = Client()
    for _ in range(public.GUESS_LIMIT):
        assert client.post(reverse("ballot-code"), {"code": "X"}).status_code == 400
    assert client.post(reverse("ballot-code"), {"code": "X"}).status_code == 429
    assert client.get(reverse("ballot", args=["0" * 26])).status_code == 429


# Staff pages


def test_the_batch_list_shows_issued_and_used_counts_per_community_and_category(
    world, cycle, login, django_assert_max_num_queries
):
    _, _, codes = issue(cycle, world.community_a1, world.county_assessor_a, size=3)
    issue(cycle, world.community_a1, world.county_assessor_a, size=2)
    issue(cycle, world.community_b1, world.county_assessor_a, size=4, category="物业")
    ballots.cast_ballot(code=codes[0], choice=Choice.SATISFIED)
    client = login(world.county_assessor_a)
    # The cycle's totals, then a page of communities with their batches.
    with django_assert_max_num_queries(13):
        page = client.get(reverse("ballot-batch-list", args=[cycle.pk]))
    html = page.content.decode()
    assert page.status_code == 200 and "已发放 9 张，已回收 1 张" in html
    assert 'data-testid="issue-batch"' in html
    town = login(world.town_assessor_a).get(reverse("ballot-batch-list", args=[cycle.pk]))
    assert "已发放 5 张" in town.content.decode() and "东湖社区" not in town.content.decode()


def test_who_may_reach_the_batch_pages(world, cycle, login):
    category = cycle.frozen_template.survey_categories.first()
    listing = reverse("ballot-batch-list", args=[cycle.pk])
    create = reverse("ballot-batch-create", args=[cycle.pk])
    data = {
        "community": world.community_a1.pk,
        "category": category.pk,
        "size": 1,
        "confirm": "1",
        "request_key": "8f0c6a52-3bde-4b59-9d8e-2f4f1b8e7a10",
    }
    assert login(world.secretary_a1).get(listing).status_code == 403
    assert login(world.secretary_a1).post(create, data).status_code == 403
    assert login(world.observer_a).get(listing).status_code == 200
    assert login(world.observer_a).post(create, data).status_code == 403
    assert login(world.outsider_b).post(create, data).status_code == 404
    assert login(world.split_person).post(create, data).status_code == 404
    foreign = open_seed_cycle(world.county_b)
    assert (
        login(world.town_assessor_a)
        .get(reverse("ballot-batch-list", args=[foreign.pk]))
        .status_code
        == 404
    )
    assert not BallotBatch.objects.exists()


def test_the_cycle_page_links_staff_to_the_ballots(world, cycle, login):
    detail = reverse("cycle-detail", args=[cycle.pk])
    assert (
        'data-testid="ballot-batches-link"'
        in login(world.county_assessor_a).get(detail).content.decode()
    )
    assert (
        'data-testid="ballot-batches-link"'
        not in login(world.secretary_a1).get(detail).content.decode()
    )
