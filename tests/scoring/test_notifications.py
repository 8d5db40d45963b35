"""通知 the scoring app sends (issue 15): the cycle's lifecycle to every participant's
secretary (自评开始, 结果公示, 结果发布 with their own results page), a returned
self-evaluation and a decided appeal to their secretary — and to nobody else."""

from datetime import date

import pytest
from django.urls import reverse
from django.utils import translation

from assessment import services as cycles
from org.notifications.models import Notification, NotificationKind
from org.notifications.services import send_reminders
from scoring.appeals import services as appeals
from scoring.selfeval import services as selfeval
from tests.factories import complete_scoring, fresh_cycle, open_seed_cycle

pytestmark = pytest.mark.usefixtures("shared_world")


@pytest.fixture(scope="module")
def module_cycle(shared_world):
    return open_seed_cycle(shared_world.county_a)


@pytest.fixture
def cycle(module_cycle, db):
    return fresh_cycle(module_cycle)


def told(kind):
    """{username: url} of the notifications of a kind."""
    return dict(Notification.objects.filter(kind=kind).values_list("recipient__username", "url"))


def participant(world, cycle, key):
    return cycle.participants.get(secretary=world.secretaries[key])


def test_opening_the_cycle_tells_each_participants_secretary_to_self_evaluate(world, cycle):
    urls = {
        world.secretaries[k].user.username: reverse(
            "selfeval", args=[participant(world, cycle, k).pk]
        )
        for k in ("a1", "a2", "b1")
    }
    assert told(NotificationKind.SELF_EVALUATION_OPENED) == urls  # not the other county's
    (notice,) = Notification.objects.filter(
        kind=NotificationKind.SELF_EVALUATION_OPENED, recipient=world.secretary_a1
    )
    assert notice.title == "“2026年度考核”已开始，请填写自我检评"
    assert notice.scope_path == world.community_a1.path


def test_a_returned_self_evaluation_tells_its_secretary_why(world, cycle, login):
    a1 = participant(world, cycle, "a1")
    selfeval.save_self_evaluation(
        actor=world.secretary_a1, participant=a1, items={}, summary="初稿", version=None
    )
    a1.refresh_from_db()
    selfeval.submit_self_evaluation(
        actor=world.secretary_a1, participant=a1, version=a1.self_evaluation.version
    )
    a1.refresh_from_db()
    with translation.override("en"):  # the assessor's page is in English
        selfeval.return_self_evaluation(
            actor=world.town_assessor_a,
            participant=a1,
            reason="请补充党建工作佐证",
            version=a1.self_evaluation.version,
        )
    (notice,) = Notification.objects.filter(kind=NotificationKind.SELF_EVALUATION_RETURNED)
    assert notice.recipient == world.secretary_a1
    assert notice.title == "您的自我检评已被退回，请修改后重新提交"
    assert notice.body == "退回原因：请补充党建工作佐证"
    assert notice.url == reverse("selfeval", args=[a1.pk])
    assert login(world.secretary_a1).get(notice.url).status_code == 200


def test_review_publication_and_appeals_tell_each_secretary_about_their_own_results(world, cycle):
    cycle = cycles.transition(actor=None, cycle=cycle, name="start_scoring", version=cycle.version)
    cycle = complete_scoring(cycle, world.county_assessor_a)
    cycle = cycles.transition(actor=None, cycle=cycle, name="start_review", version=cycle.version)
    results = {
        world.secretaries[k].user.username: reverse(
            "result-detail", args=[participant(world, cycle, k).pk]
        )
        for k in ("a1", "a2", "b1")
    }
    assert told(NotificationKind.RESULTS_IN_REVIEW) == results

    a1 = participant(world, cycle, "a1")
    appeal = appeals.file_appeal(actor=world.secretary_a1, participant=a1, reasons="偏低")
    appeals.reject_appeal(
        actor=world.county_assessor_a, appeal=appeal, version=appeal.version, reason="理由不足"
    )
    appeal = appeals.file_appeal(actor=world.secretary_a1, participant=a1, reasons="再次申诉")
    appeal = appeals.accept_appeal(actor=world.county_assessor_a, appeal=appeal, version=1)
    appeals.decide_appeal(
        actor=world.county_assessor_a, appeal=appeal, version=appeal.version, decision="维持"
    )
    decided = Notification.objects.filter(kind=NotificationKind.APPEAL_DECIDED).order_by("pk")
    assert [(n.recipient.username, n.title, n.body) for n in decided] == [
        ("sec_a1", "您的申诉不予受理", "理由：理由不足"),
        ("sec_a1", "您的申诉已办结", "复核结论：维持"),
    ]
    assert decided[1].url == reverse("appeal-detail", args=[appeal.pk])

    cycles.transition(actor=None, cycle=cycle, name="publish", version=cycle.version)
    assert told(NotificationKind.RESULTS_PUBLISHED) == results


def test_three_days_before_the_due_date_those_not_submitted_are_reminded_once(world, cycle):
    """自评即将截止: from three days before the cycle's self-evaluation due date, each
    secretary who has not submitted is reminded — once, however often the daily job
    runs; nobody when no date is set, nobody who submitted."""
    a1 = participant(world, cycle, "a1")
    selfeval.save_self_evaluation(
        actor=world.secretary_a1, participant=a1, items={}, summary="初稿", version=None
    )
    a1.refresh_from_db()
    selfeval.submit_self_evaluation(
        actor=world.secretary_a1, participant=a1, version=a1.self_evaluation.version
    )
    kind = NotificationKind.SELF_EVALUATION_CLOSING
    send_reminders(date(2026, 12, 7))
    assert told(kind) == {}  # no due date set
    cycle.self_evaluation_due = date(2026, 12, 10)
    cycle.save(update_fields=["self_evaluation_due"])
    send_reminders(date(2026, 12, 6))
    assert told(kind) == {}  # four days before: not yet
    send_reminders(date(2026, 12, 7))
    send_reminders(date(2026, 12, 8))
    expected = {
        world.secretaries[k].user.username: reverse(
            "selfeval", args=[participant(world, cycle, k).pk]
        )
        for k in ("a2", "b1")
    }
    assert told(kind) == expected  # a1 submitted; the others once each
    assert Notification.objects.filter(kind=kind).count() == 2
    (notice,) = Notification.objects.filter(kind=kind, recipient=world.secretaries["a2"].user)
    assert notice.title == "“2026年度考核”的自我检评将于 2026-12-10 截止，您还没有提交"
