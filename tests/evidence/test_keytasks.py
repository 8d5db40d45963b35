"""Key tasks (重点工作 / 挂图作战, SPEC §2, issue 6): county managers assign tasks with a
deadline and quarterly plans; the community reports progress with evidence; completion
raises one pending event of the configured type; the board and the 约谈 list; who may
do what (SPEC §1: out of scope → 404, a page the role never has → 403)."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from assessment import services as cycles
from core.versioning import StaleVersion
from evidence.events import services as events
from evidence.keytasks import selectors, services
from evidence.keytasks.status import Status
from evidence.models import (
    Attachment,
    Event,
    EventOrigin,
    EventStatus,
    KeyTask,
    KeyTaskAssignment,
    ProgressReport,
)

# One world and one cycle for the module; each test runs in a savepoint inside them.
pytestmark = pytest.mark.usefixtures("shared_world")

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PLANS = (25, 50, 75, 100)
DEADLINE = date(2026, 6, 30)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def event_type(cycle, code):
    return cycle.frozen_template.event_types.get(code=code)


def new_task(world, cycle, communities=("a1", "a2"), **options):
    options = {
        "title": "老旧小区改造",
        "deadline": DEADLINE,
        "on_time_type": event_type(cycle, "RWAS"),
        "late_type": event_type(cycle, "RWZH"),
        **options,
    }
    units = {"a1": world.community_a1, "a2": world.community_a2, "b1": world.community_b1}
    return services.create_task(
        actor=world.county_assessor_a,
        cycle=cycle,
        assignments=[(units[c], PLANS) for c in communities],
        **options,
    )


def part(task, community):
    return KeyTaskAssignment.objects.get(task=task, community=community)


def report(world, assignment, progress, on, actor=None, **options):
    return services.report_progress(
        actor=actor or world.secretary_a1,
        assignment=assignment,
        progress=progress,
        reported_on=on,
        **options,
    )


def pdf(name="施工照片.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


# --- creating and editing tasks -------------------------------------------------------


def test_a_county_assessor_assigns_a_task_to_chosen_communities(world, cycle):
    task = new_task(world, cycle)
    assert task.created_by == world.county_assessor_a
    assert [a.community for a in task.assignments.order_by("community__path")] == [
        world.community_a1,
        world.community_a2,
    ]
    assert part(task, world.community_a1).plans == PLANS


@pytest.mark.parametrize("persona", ["town_assessor_a", "secretary_a1", "observer_a"])
def test_only_the_countys_managers_create_tasks(world, cycle, persona):
    with pytest.raises(PermissionDenied):
        services.create_task(
            actor=world.persona(persona),
            cycle=cycle,
            title="越权任务",
            deadline=DEADLINE,
            assignments=[(world.community_a1, PLANS)],
        )
    assert not KeyTask.objects.exists()


@pytest.mark.parametrize(
    ("plans", "message"),
    [
        ((30, 20, 75, 100), "城东社区 第 2 季度的计划进度（20%）低于上一季度（30%）"),
        ((25, 50, 75, 90), "城东社区 第 4 季度的计划进度应为 100%"),
        ((25, 50, 120, 100), "城东社区 第 3 季度的计划进度应在 0 至 100 之间"),
        ((-1, 50, 75, 100), "城东社区 第 1 季度的计划进度应在 0 至 100 之间"),
    ],
)
def test_plans_must_rise_to_100_and_messages_name_community_and_quarter(
    world, cycle, plans, message
):
    with pytest.raises(ValidationError, match=message):
        services.create_task(
            actor=world.county_assessor_a,
            cycle=cycle,
            title="计划有误",
            deadline=DEADLINE,
            assignments=[(world.community_a1, plans)],
        )
    assert not KeyTask.objects.exists()


def test_the_deadline_lies_within_the_cycle_year(world, cycle):
    with pytest.raises(ValidationError, match="完成时限应在 2026 年度内"):
        new_task(world, cycle, deadline=date(2027, 1, 15))


def test_a_community_of_another_county_cannot_be_assigned(world, cycle):
    with pytest.raises(ValidationError, match="“外县社区”不是本县/区的社区"):
        services.create_task(
            actor=world.county_assessor_a,
            cycle=cycle,
            title="跨县",
            deadline=DEADLINE,
            assignments=[(world.community_c1, PLANS)],
        )


def test_completion_types_must_be_a_bonus_for_on_time_and_a_deduction_for_late(world, cycle):
    with pytest.raises(ValidationError) as refused:
        new_task(
            world,
            cycle,
            on_time_type=event_type(cycle, "RWZH"),
            late_type=event_type(cycle, "RWAS"),
        )
    assert "按期完成应计入加分类事项" in str(refused.value.message_dict["on_time_type"])
    assert "逾期完成应计入扣分类事项" in str(refused.value.message_dict["late_type"])
    other_template = cycle.template.event_types.get(code="RWAS")
    with pytest.raises(ValidationError, match="不属于本周期的指标体系"):
        new_task(world, cycle, on_time_type=other_template)


def test_a_locked_cycle_refuses_new_tasks(world, cycle):
    cycle.status = "published"
    cycle.save()
    with pytest.raises(ValidationError, match="不能再修改"):
        new_task(world, cycle)


def test_plans_are_changed_with_the_version_read(world, cycle):
    assignment = part(new_task(world, cycle), world.community_a1)
    changed = services.set_plans(
        actor=world.county_assessor_a, assignment=assignment, version=1, plans=(0, 40, 80, 100)
    )
    assert changed.plans == (0, 40, 80, 100) and changed.version == 2
    with pytest.raises(StaleVersion):
        services.set_plans(
            actor=world.county_assessor_a, assignment=assignment, version=1, plans=PLANS
        )


def test_an_assignment_is_removed_only_before_any_report(world, cycle):
    task = new_task(world, cycle)
    a1, a2 = part(task, world.community_a1), part(task, world.community_a2)
    report(world, a1, 10, date(2026, 2, 1))
    with pytest.raises(ValidationError, match="城东社区 已报告过进度"):
        services.remove_assignment(actor=world.county_assessor_a, assignment=a1, version=2)
    services.remove_assignment(actor=world.county_assessor_a, assignment=a2, version=1)
    assert list(task.assignments.all()) == [a1]


def test_a_task_is_updated_and_deleted_by_its_managers_only_while_unreported(world, cycle):
    task = new_task(world, cycle)
    task = services.update_task(
        actor=world.admin_a, task=task, version=1, title="老旧小区改造（一期）"
    )
    assert task.title == "老旧小区改造（一期）" and task.version == 2
    report(world, part(task, world.community_a1), 10, date(2026, 2, 1))
    with pytest.raises(ValidationError, match="已有社区报告进度，不能删除"):
        services.delete_task(actor=world.admin_a, task=task, version=2)
    with pytest.raises(PermissionDenied):
        services.update_task(actor=world.town_assessor_a, task=task, version=2, title="改")


# --- progress reports -------------------------------------------------------------------


def test_the_secretary_reports_progress_with_evidence(world, cycle, media):
    assignment = part(new_task(world, cycle), world.community_a1)
    outcome = report(world, assignment, 30, date(2026, 3, 20), note="完成设计", uploads=[pdf()])
    assignment.refresh_from_db()
    assert assignment.progress == 30 and assignment.completed_on is None
    assert outcome.event is None
    (attachment,) = outcome.report.attachments.all()
    assert attachment.original_name == "施工照片.pdf"
    assert attachment.community == world.community_a1 and attachment.participant is None


def test_a_town_assessor_of_the_town_reports_too(world, cycle):
    assignment = part(new_task(world, cycle), world.community_a2)
    report(world, assignment, 20, date(2026, 3, 1), actor=world.town_assessor_a)
    assert ProgressReport.objects.get().reported_by == world.town_assessor_a


@pytest.mark.parametrize("persona", ["outsider_b", "county_assessor_a", "observer_a"])
def test_others_may_not_report(world, cycle, persona):
    assignment = part(new_task(world, cycle), world.community_a1)
    with pytest.raises(PermissionDenied):
        report(world, assignment, 20, date(2026, 3, 1), actor=world.persona(persona))


def test_a_secretary_may_not_report_for_another_community(world, cycle):
    assignment = part(new_task(world, cycle), world.community_a2)
    with pytest.raises(PermissionDenied):
        report(world, assignment, 20, date(2026, 3, 1))


def test_progress_never_goes_down_and_dates_never_go_back(world, cycle):
    assignment = part(new_task(world, cycle), world.community_a1)
    report(world, assignment, 40, date(2026, 3, 1))
    with pytest.raises(ValidationError, match="累计进度不能低于上次报告的 40%"):
        report(world, assignment, 30, date(2026, 3, 5))
    with pytest.raises(ValidationError, match="报告日期不能早于上次报告（2026-03-01）"):
        report(world, assignment, 50, date(2026, 2, 1))
    with pytest.raises(ValidationError, match="累计进度应在 0 至 100 之间"):
        report(world, assignment, 101, date(2026, 3, 5))
    assert ProgressReport.objects.count() == 1


def test_a_report_may_not_be_dated_in_the_future_or_outside_the_cycle_year(world, cycle):
    assignment = part(new_task(world, cycle), world.community_a1)
    with pytest.raises(ValidationError, match="报告日期不能晚于今天"):
        report(world, assignment, 10, timezone.localdate() + timedelta(days=1))
    with pytest.raises(ValidationError, match="报告日期应在 2026 年度内"):
        report(world, assignment, 10, date(2025, 12, 31))


def test_a_bad_evidence_file_stores_nothing(world, cycle, media):
    assignment = part(new_task(world, cycle), world.community_a1)
    with pytest.raises(ValidationError, match="“病毒.pdf”不是允许的文件类型"):
        report(
            world,
            assignment,
            100,
            date(2026, 3, 1),
            uploads=[pdf(), pdf("病毒.pdf", b"MZ\x90\x00binary")],
        )
    assignment.refresh_from_db()
    assert assignment.progress == 0 and assignment.completed_on is None
    assert not ProgressReport.objects.exists()
    assert not Attachment.objects.exists() and not Event.objects.exists()
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


# --- completion raises one pending event ------------------------------------------------------


def test_completion_on_time_raises_one_pending_bonus_event(world, cycle):
    task = new_task(world, cycle)
    assignment = part(task, world.community_a1)
    inputs_version = cycle.inputs_version
    outcome = report(world, assignment, 100, DEADLINE)
    event = Event.objects.get()
    assert outcome.event == event
    assert event.event_type.code == "RWAS"
    assert event.status == EventStatus.REPORTED and event.origin == EventOrigin.KEY_TASK
    assert event.participant.secretary == world.secretaries["a1"]
    assert event.occurred_on == DEADLINE and event.key_task == assignment
    assert "老旧小区改造" in event.description and "按期完成" in event.description
    cycle.refresh_from_db()
    assert cycle.inputs_version == inputs_version  # pending: no scoring input changed yet


def test_completion_after_the_deadline_raises_the_late_deduction_event(world, cycle):
    assignment = part(new_task(world, cycle), world.community_a1)
    report(world, assignment, 100, DEADLINE + timedelta(days=1))
    event = Event.objects.get()
    assert event.event_type.code == "RWZH" and "逾期完成" in event.description
    assert event.status == EventStatus.REPORTED


def test_the_community_cannot_edit_or_withdraw_the_event_its_completion_raised(world, cycle):
    assignment = part(new_task(world, cycle), world.community_a1)
    report(world, assignment, 100, DEADLINE + timedelta(days=1))
    event = Event.objects.get()
    assert event.reported_by == world.secretary_a1
    with pytest.raises(ValidationError, match="只有报告人可以撤回"):
        events.withdraw_event(actor=world.secretary_a1, event=event, version=event.version)
    with pytest.raises(ValidationError, match="只有报告人可以修改"):
        events.edit_event(
            actor=world.secretary_a1,
            event=event,
            version=event.version,
            event_type=event_type(cycle, "RWAS"),
            occurred_on=event.occurred_on,
            description=event.description,
        )
    event.refresh_from_db()
    assert event.event_type.code == "RWZH" and event.version == 1


def test_no_event_when_the_type_is_not_configured(world, cycle):
    task = new_task(world, cycle, on_time_type=None, late_type=None)
    outcome = report(world, part(task, world.community_a1), 100, date(2026, 3, 1))
    assert outcome.event is None and not Event.objects.exists()
    assert part(task, world.community_a1).completed_on == date(2026, 3, 1)


def test_completion_raises_the_event_once_even_if_reported_again(world, cycle):
    assignment = part(new_task(world, cycle), world.community_a1)
    report(world, assignment, 100, date(2026, 3, 1))
    with pytest.raises(ValidationError, match="已于 2026-03-01 完成这项任务"):
        report(world, assignment, 100, date(2026, 3, 2))
    assert Event.objects.count() == 1


def test_a_community_without_participant_gets_no_event_and_a_notice(world, cycle):
    cycle.participants.filter(community=world.community_a1).delete()
    outcome = report(world, part(new_task(world, cycle), world.community_a1), 100, DEADLINE)
    assert outcome.event is None and "城东社区 在本周期没有参评书记" in outcome.notice
    assert not Event.objects.exists()


def test_with_two_secretaries_the_one_in_post_at_completion_gets_the_event(world, cycle):
    from tests.factories import SecretaryFactory

    first = world.secretaries["a1"]
    first.tenure_end = date(2026, 4, 30)
    first.save()
    successor = SecretaryFactory(
        community=world.community_a1, name="接任书记", tenure_start=date(2026, 5, 1)
    )
    cycles.enrol_secretary(actor=None, cycle=cycle, secretary=successor)
    assignment = part(new_task(world, cycle), world.community_a1)
    assert services.participant_on(assignment, date(2026, 4, 30)).secretary == first
    report(world, assignment, 100, date(2026, 5, 20))
    assert Event.objects.get().participant.secretary == successor


# --- statuses, board and 约谈 list ------------------------------------------------------


def board_cells(user, cycle, on, town=None):
    board = selectors.board(user, cycle, on, town)
    return {
        (community.code, board.tasks[i].title): cell.status
        for community, cells in board.rows
        for i, cell in enumerate(cells)
        if cell is not None
    }


def test_the_board_colours_each_community_on_the_as_of_day(world, cycle):
    task = new_task(world, cycle, communities=("a1", "a2", "b1"))
    report(world, part(task, world.community_a1), 100, date(2026, 3, 10))
    report(world, part(task, world.community_a2), 10, date(2026, 3, 10), world.town_assessor_a)
    cells = board_cells(world.county_assessor_a, cycle, date(2026, 3, 31))
    assert cells == {
        ("QA101", "老旧小区改造"): Status.DONE,
        ("QA102", "老旧小区改造"): Status.ON_PLAN,
        ("QA201", "老旧小区改造"): Status.NOT_STARTED,
    }
    cells = board_cells(world.county_assessor_a, cycle, date(2026, 4, 1))
    assert cells[("QA102", "老旧小区改造")] == Status.BEHIND
    assert cells[("QA201", "老旧小区改造")] == Status.BEHIND
    cells = board_cells(world.county_assessor_a, cycle, date(2026, 7, 1))
    assert cells[("QA102", "老旧小区改造")] == Status.OVERDUE
    assert cells[("QA101", "老旧小区改造")] == Status.DONE


def test_the_board_shows_only_the_scope_and_the_chosen_town(world, cycle):
    new_task(world, cycle, communities=("a1", "a2", "b1"))
    on = date(2026, 5, 1)
    assert {c for c, _t in board_cells(world.town_assessor_a, cycle, on)} == {"QA101", "QA102"}
    assert {c for c, _t in board_cells(world.admin_a, cycle, on, world.town_b)} == {"QA201"}


def test_the_summons_list_has_the_overdue_unfinished_with_their_secretary(world, cycle):
    task = new_task(world, cycle, communities=("a1", "a2", "b1"))
    report(world, part(task, world.community_a1), 100, date(2026, 6, 1))
    report(world, part(task, world.community_a2), 60, date(2026, 6, 1), world.town_assessor_a)
    assert selectors.summons(world.county_assessor_a, cycle, DEADLINE) == []
    rows = selectors.summons(world.county_assessor_a, cycle, date(2026, 7, 10))
    assert [(r.state.assignment.community.code, r.secretary.name) for r in rows] == [
        ("QA102", "乙书记"),
        ("QA201", "丙书记"),
    ]
    assert rows[0].state.days_overdue == 10 and rows[0].state.progress == 60
    assert [
        r.state.assignment.community.code
        for r in selectors.summons(world.town_assessor_a, cycle, date(2026, 7, 10))
    ] == ["QA102"]


# --- pages -----------------------------------------------------------------------------------


def test_the_board_page_costs_a_fixed_number_of_queries(
    world, cycle, login, django_assert_max_num_queries
):
    for n in range(3):
        new_task(world, cycle, communities=("a1", "a2", "b1"), title=f"任务{n}")
    client = login(world.county_assessor_a)
    url = reverse("keytask-board", args=[cycle.pk]) + "?on=2026-04-01"
    # session, user, scope, cycle, towns, quarters, assignments, reports; the session
    # saved (savepoint, update, release): 13 whatever the number of tasks and communities
    with django_assert_max_num_queries(14):  # + the 通知 bell's unread count
        response = client.get(url)
    assert response.status_code == 200
    text = response.content.decode()
    assert text.count('data-status="behind"') == 9
    assert "截至 2026-04-01" in text


def test_the_summons_page_lists_days_overdue(world, cycle, login, django_assert_max_num_queries):
    new_task(world, cycle, communities=("a1", "a2", "b1"))
    client = login(world.admin_a)
    url = reverse("keytask-summons", args=[cycle.pk]) + "?on=2026-07-03"
    # session, user, scope, cycle, quarters, assignments, reports, participants, session
    with django_assert_max_num_queries(14):  # + the 通知 bell's unread count
        response = client.get(url)
    text = response.content.decode()
    assert text.count('data-testid="summons-row"') == 3 and "丙书记" in text


def test_secretaries_have_no_board_or_summons_page(world, cycle, login):
    client = login(world.secretary_a1)
    assert client.get(reverse("keytask-board", args=[cycle.pk])).status_code == 403
    assert client.get(reverse("keytask-summons", args=[cycle.pk])).status_code == 403


def test_a_county_assessor_creates_a_task_in_the_browser(world, cycle, login):
    client = login(world.county_assessor_a)
    url = reverse("keytask-create", args=[cycle.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "title": "垃圾分类",
            "deadline": "2026-09-30",
            "on_time_type": event_type(cycle, "RWAS").pk,
            "late_type": "",
            "plan_q1": 10,
            "plan_q2": 40,
            "plan_q3": 100,
            "plan_q4": 100,
            "target": f"town:{world.town_a.pk}",
        },
    )
    task = KeyTask.objects.get()
    assert response.status_code == 302 and response.url == reverse("keytask-detail", args=[task.pk])
    assert {a.community.code for a in task.assignments.all()} == {"QA101", "QA102"}


def test_a_wrong_plan_in_the_browser_is_shown_on_the_form(world, cycle, login):
    client = login(world.county_assessor_a)
    response = client.post(
        reverse("keytask-create", args=[cycle.pk]),
        {
            "title": "垃圾分类",
            "deadline": "2026-09-30",
            "plan_q1": 10,
            "plan_q2": 40,
            "plan_q3": 80,
            "plan_q4": 90,
            "target": "picked",
            "communities": [world.community_a1.pk],
        },
    )
    assert response.status_code == 200
    assert "城东社区 第 4 季度的计划进度应为 100%" in response.content.decode()
    assert not KeyTask.objects.exists()


@pytest.mark.parametrize("persona", ["secretary_a1", "town_assessor_a", "observer_a"])
def test_roles_other_than_county_managers_get_403_on_task_creation(world, cycle, login, persona):
    client = login(world.persona(persona))
    assert client.get(reverse("keytask-create", args=[cycle.pk])).status_code == 403


def test_the_secretary_reports_progress_in_the_browser(world, cycle, login, media):
    task = new_task(world, cycle)
    assignment = part(task, world.community_a1)
    client = login(world.secretary_a1)
    listing = client.get(reverse("keytask-list", args=[cycle.pk])).content.decode()
    assert reverse("keytask-report", args=[assignment.pk]) in listing
    url = reverse("keytask-report", args=[assignment.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"progress": 100, "reported_on": "2026-05-01", "note": "已完工", "files": [pdf()]}
    )
    assert response.status_code == 302
    assignment.refresh_from_db()
    assert assignment.completed_on == date(2026, 5, 1)
    assert ProgressReport.objects.get().attachments.count() == 1
    detail = client.get(reverse("keytask-detail", args=[task.pk])).content.decode()
    assert "施工照片.pdf" in detail and "城西社区" not in detail


def test_out_of_scope_reporters_get_404(world, cycle, login):
    task = new_task(world, cycle)
    a2 = part(task, world.community_a2)
    assert login(world.secretary_a1).get(reverse("keytask-report", args=[a2.pk])).status_code == 404
    a1 = part(task, world.community_a1)
    client = login(world.outsider_b)
    assert client.get(reverse("keytask-report", args=[a1.pk])).status_code == 404
    assert client.post(reverse("keytask-report", args=[a1.pk]), {"progress": 50}).status_code == 404
    assert not ProgressReport.objects.exists()


def test_a_county_assessor_has_no_report_page(world, cycle, login):
    a1 = part(new_task(world, cycle), world.community_a1)
    client = login(world.county_assessor_a)
    assert client.get(reverse("keytask-report", args=[a1.pk])).status_code == 403


def test_the_task_list_costs_a_fixed_number_of_queries(
    world, cycle, login, django_assert_max_num_queries
):
    for n in range(4):
        new_task(world, cycle, communities=("a1", "a2", "b1"), title=f"任务{n}")
    client = login(world.county_assessor_a)
    url = reverse("keytask-list", args=[cycle.pk])
    with django_assert_max_num_queries(16):
        response = client.get(url)
    assert response.content.decode().count("任务") >= 4


def test_the_cycle_page_links_to_key_tasks(world, cycle, login):
    text = login(world.county_assessor_a).get(reverse("cycle-detail", args=[cycle.pk]))
    text = text.content.decode()
    assert reverse("keytask-board", args=[cycle.pk]) in text
    assert reverse("keytask-summons", args=[cycle.pk]) in text
    mine = login(world.secretary_a1).get(reverse("cycle-detail", args=[cycle.pk])).content
    assert reverse("keytask-list", args=[cycle.pk]) in mine.decode()
    assert reverse("keytask-board", args=[cycle.pk]) not in mine.decode()
