"""民情日记 and 网格事件 (SPEC §1 secretary "民情日记", §2 Metric "counted from records";
issue 6): who writes and reads them, the grid event's statuses and who moves them, and
which cycles' results a record changes."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from assessment.models import Cycle, CycleStatus
from core.versioning import StaleVersion
from evidence.models import DiaryEntry, GridEvent, GridEventStatus
from evidence.records import selectors, services
from org.models import OrgUnitKind
from tests.factories import OrgUnitFactory

# One world and one cycle for the module; each test runs in a savepoint inside them.
pytestmark = pytest.mark.usefixtures("shared_world")

TODAY = timezone.localdate()


def inputs_version(cycle):
    return Cycle.objects.get(pk=cycle.pk).inputs_version


def write_diary(world, who="secretary_a1", community="community_a1", **kw):
    fields = {"recorded_on": TODAY, "category": "dispute", "content": "楼道堆物引发邻里矛盾"}
    return services.record_diary_entry(
        actor=world.persona(who), community=getattr(world, community), **{**fields, **kw}
    )


def report(world, who="secretary_a1", community="community_a1", **kw):
    fields = {"reported_on": TODAY, "category": "safety", "description": "井盖缺失"}
    return services.report_grid_event(
        actor=world.persona(who), community=getattr(world, community), **{**fields, **kw}
    )


def move(world, event, action, who="secretary_a1", **kw):
    event.refresh_from_db()
    return services.move_grid_event(
        actor=world.persona(who), event=event, version=event.version, action=action, **kw
    )


# ----------------------------------------------------------------------- 民情日记


def test_a_secretary_keeps_the_diary_of_their_own_community(world, cycle):
    before = inputs_version(cycle)
    entry = write_diary(world, follow_up="已协调物业清理")
    assert (entry.community, entry.author, entry.resolved_on) == (
        world.community_a1,
        world.secretary_a1,
        None,
    )
    assert inputs_version(cycle) == before + 1, "the seed template counts 民情日记条数"


@pytest.mark.parametrize(
    ("who", "community"),
    [
        ("secretary_a1", "community_a2"),
        ("town_assessor_a", "community_a1"),
        ("county_assessor_a", "community_a1"),
        ("observer_a", "community_a1"),
    ],
)
def test_nobody_else_writes_a_diary(world, who, community):
    with pytest.raises(PermissionDenied):
        write_diary(world, who=who, community=community)


def test_a_resolved_entry_gets_its_resolution_date_defaulting_to_today(world):
    assert write_diary(world, resolved=True).resolved_on == TODAY
    earlier = TODAY - timedelta(days=3)
    week_ago = {"recorded_on": TODAY - timedelta(days=7), "resolved_on": earlier}
    assert write_diary(world, resolved=True, **week_ago).resolved_on == earlier
    assert write_diary(world, resolved=False, **week_ago).resolved_on is None


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"recorded_on": TODAY + timedelta(days=1)}, "日期不能晚于今天。"),
        ({"resolved": True, "resolved_on": TODAY - timedelta(days=400)}, "解决日期不能早于"),
        ({"content": "  "}, "请填写民情内容。"),
        ({"category": "nonsense"}, "请选择类别。"),
    ],
)
def test_a_bad_diary_entry_is_refused_with_a_message(world, fields, message):
    with pytest.raises(ValidationError, match=message):
        write_diary(world, **fields)
    assert not DiaryEntry.objects.exists()


def test_only_the_author_edits_an_entry_at_the_version_they_read(world):
    entry = write_diary(world)
    fields = {"recorded_on": TODAY, "category": "livelihood", "content": "改：路灯不亮"}
    changed = services.update_diary_entry(
        actor=world.secretary_a1, entry=entry, version=1, resolved=True, **fields
    )
    assert (changed.category, changed.resolved_on, changed.version) == ("livelihood", TODAY, 2)
    with pytest.raises(StaleVersion):
        services.update_diary_entry(actor=world.secretary_a1, entry=entry, version=1, **fields)
    with pytest.raises(PermissionDenied):
        services.update_diary_entry(actor=world.town_assessor_a, entry=entry, version=2, **fields)


def test_staff_of_the_town_and_county_read_the_diary_others_do_not(world):
    write_diary(world)
    readers = ["secretary_a1", "town_assessor_a", "county_assessor_a", "observer_a"]
    for who in readers:
        assert selectors.diary_entries(world.persona(who)).count() == 1, who
    assert selectors.diary_entries(world.outsider_b).count() == 0
    assert selectors.diary_entries(world.secretaries["a2"].user).count() == 0


def test_the_diary_list_filters_by_month_category_and_resolution(world):
    write_diary(world, recorded_on=date(2026, 3, 5), category="dispute", resolved=True)
    write_diary(world, recorded_on=date(2026, 4, 5), category="safety")
    user = world.town_assessor_a
    assert selectors.diary_entries(user, month="2026-03").count() == 1
    assert selectors.diary_entries(user, category="safety").count() == 1
    assert selectors.diary_entries(user, resolved="yes").count() == 1
    assert selectors.diary_entries(user, resolved="no", month="2026-03").count() == 0


# ----------------------------------------------------------------------- 网格事件


@pytest.mark.parametrize("who", ["secretary_a1", "town_assessor_a", "county_assessor_a"])
def test_the_secretary_and_town_or_county_assessors_report_grid_events(world, who):
    event = report(world, who=who, grid=world.grid_a1)
    assert (event.status, event.reported_by, event.grid) == (
        GridEventStatus.REPORTED,
        world.persona(who),
        world.grid_a1,
    )


@pytest.mark.parametrize("who", ["observer_a", "outsider_b", "admin_a", "split_person"])
def test_others_do_not_report_grid_events(world, who):
    with pytest.raises(PermissionDenied):
        report(world, who=who)


def test_a_secretary_reports_only_for_their_own_community(world):
    with pytest.raises(PermissionDenied):
        report(world, community="community_a2")


def test_the_grid_must_be_one_of_the_community(world):
    other = OrgUnitFactory(
        code="QA102-1", name="城西一网格", kind=OrgUnitKind.GRID, parent=world.community_a2
    )
    with pytest.raises(ValidationError, match="城西一网格不是城东社区的网格"):
        report(world, grid=other)


def test_reported_handling_resolved_by_the_secretary(world, cycle):
    event = report(world)
    assert move(world, event, "handle", note="已联系市政").status == GridEventStatus.HANDLING
    before = inputs_version(cycle)
    done = move(world, event, "resolve", note="已补装井盖")
    assert (done.status, done.resolved_on) == (GridEventStatus.RESOLVED, TODAY)
    assert done.handling_note == "已联系市政\n已补装井盖"
    assert inputs_version(cycle) == before + 1


def test_a_reported_event_may_be_resolved_at_once_on_a_given_day(world):
    event = report(world, reported_on=TODAY - timedelta(days=5))
    done = move(world, event, "resolve", resolved_on=TODAY - timedelta(days=2))
    assert done.resolved_on == TODAY - timedelta(days=2)


@pytest.mark.parametrize(
    ("resolved_on", "message"),
    [
        (TODAY - timedelta(days=9), "办结日期不能早于上报日期。"),
        (TODAY + timedelta(days=1), "办结日期不能晚于今天。"),
    ],
)
def test_a_resolution_date_before_the_report_or_in_the_future_is_refused(
    world, resolved_on, message
):
    event = report(world, reported_on=TODAY - timedelta(days=5))
    with pytest.raises(ValidationError, match=message):
        move(world, event, "resolve", resolved_on=resolved_on)


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (GridEventStatus.HANDLING, "handle"),
        (GridEventStatus.RESOLVED, "handle"),
        (GridEventStatus.RESOLVED, "resolve"),
        (GridEventStatus.REPORTED, "reopen"),
        (GridEventStatus.HANDLING, "reopen"),
    ],
)
def test_no_going_back_or_sideways(world, status, action):
    event = report(world)
    GridEvent.objects.filter(pk=event.pk).update(status=status, resolved_on=TODAY)
    with pytest.raises(ValidationError, match="不能"):
        move(world, event, action, who="town_assessor_a", note="原因")


@pytest.mark.parametrize("who", ["town_assessor_a", "county_assessor_a"])
def test_an_assessor_reopens_a_resolved_event_with_a_note(world, who):
    event = move(world, report(world), "resolve")
    reopened = move(world, event, "reopen", who=who, note="群众反映仍未修复")
    assert (reopened.status, reopened.resolved_on) == (GridEventStatus.HANDLING, None)
    assert "重新打开：群众反映仍未修复" in reopened.handling_note
    assert reopened.history.first().history_change_reason == "群众反映仍未修复"


def test_the_secretary_cannot_reopen_and_a_reopening_needs_a_note(world):
    event = move(world, report(world), "resolve")
    with pytest.raises(PermissionDenied):
        move(world, event, "reopen", note="想重开")
    with pytest.raises(ValidationError, match="重新打开须写明原因"):
        move(world, event, "reopen", who="town_assessor_a", note=" ")


@pytest.mark.parametrize("who", ["observer_a", "outsider_b", "admin_a"])
def test_others_do_not_move_grid_events(world, who):
    with pytest.raises(PermissionDenied):
        move(world, report(world), "handle", who=who)


def test_a_move_needs_the_version_it_was_read_at(world):
    event = report(world)
    with pytest.raises(StaleVersion):
        services.move_grid_event(
            actor=world.secretary_a1, event=event, version=event.version + 1, action="handle"
        )


def test_the_actions_offered_follow_the_status_and_the_person(world):
    event = report(world)
    assert [a for a, _l in services.grid_event_actions(world.secretary_a1, event)] == [
        "handle",
        "resolve",
    ]
    event = move(world, event, "resolve")
    assert services.grid_event_actions(world.secretary_a1, event) == []
    assert [a for a, _l in services.grid_event_actions(world.town_assessor_a, event)] == ["reopen"]
    assert services.grid_event_actions(world.observer_a, event) == []


# ----------------------------------------------------------------- which cycles change


def test_a_record_outside_the_cycle_period_or_in_a_template_without_counts_changes_nothing(
    world, cycle
):
    before = inputs_version(cycle)
    write_diary(world, recorded_on=date(2025, 12, 31))
    assert inputs_version(cycle) == before
    cycle.frozen_template.metrics.filter(source="counted").exclude(key="cert_rate").delete()
    write_diary(world)
    report(world)
    assert inputs_version(cycle) == before


def test_records_counted_by_a_published_cycle_are_locked(world, cycle):
    Cycle.objects.filter(pk=cycle.pk).update(status=CycleStatus.PUBLISHED)
    with pytest.raises(ValidationError, match="属于已发布的“2026年度考核”"):
        write_diary(world, recorded_on=date(2026, 3, 1))
    assert write_diary(world, recorded_on=date(2025, 3, 1)).pk


# ----------------------------------------------------------------------- pages


def test_a_secretary_writes_a_diary_entry_from_the_phone_form(world, login):
    client = login(world.secretary_a1)
    form = client.get(reverse("diary-create"))
    html = form.content.decode()
    assert 'type="date"' in html and f'value="{TODAY:%Y-%m-%d}"' in html
    posted = client.post(
        reverse("diary-create"),
        {
            "community": world.community_a1.pk,
            "recorded_on": f"{TODAY:%Y-%m-%d}",
            "category": "livelihood",
            "content": "老人反映电梯经常停运",
        },
    )
    assert posted.status_code == 302
    assert DiaryEntry.objects.get().content == "老人反映电梯经常停运"


def test_diary_pages_by_role(world, login):
    entry = write_diary(world)
    edit = reverse("diary-edit", args=[entry.pk])
    assert login(world.observer_a).get(reverse("diary-create")).status_code == 403
    assert login(world.observer_a).get(reverse("diary-list")).status_code == 200
    assert login(world.secretaries["b1"].user).get(edit).status_code == 404
    assert login(world.secretary_a1).get(edit).status_code == 200
    stale = login(world.secretary_a1).post(
        edit,
        {
            "community": world.community_a1.pk,
            "recorded_on": f"{TODAY:%Y-%m-%d}",
            "category": "dispute",
            "content": "另一版本",
            "version": "7",
        },
    )
    assert "已被他人修改" in stale.content.decode()


def test_grid_event_pages_by_role(world, login):
    event = report(world)
    detail = reverse("gridevent-detail", args=[event.pk])
    moving = reverse("gridevent-move", args=[event.pk])
    post = {"action": "handle", "version": event.version}
    assert login(world.secretaries["b1"].user).get(detail).status_code == 404
    assert login(world.outsider_b).post(moving, post).status_code == 404
    observer = login(world.observer_a)
    assert observer.get(detail).status_code == 200
    assert observer.post(moving, post).status_code == 403
    assert login(world.secretary_a1).post(moving, post).status_code == 302
    assert GridEvent.objects.get().status == GridEventStatus.HANDLING


def test_the_home_and_lists_take_a_fixed_number_of_queries(
    world, login, django_assert_max_num_queries
):
    for day in range(12):
        write_diary(world, recorded_on=TODAY - timedelta(days=day))
        report(world, reported_on=TODAY - timedelta(days=day), grid=world.grid_a1)
    client = login(world.town_assessor_a)
    for name in ("records-home", "diary-list", "gridevent-list"):
        with django_assert_max_num_queries(12):
            page = client.get(reverse(name), {"month": f"{TODAY:%Y-%m}"})
        assert page.status_code == 200, name
    home = login(world.secretary_a1).get(reverse("records-home")).content.decode()
    assert 'data-testid="new-diary"' in home and 'data-testid="new-gridevent"' in home
