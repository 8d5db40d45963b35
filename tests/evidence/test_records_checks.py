"""核查 (SPEC §2 Record checks): a town or county assessor draws a reproducible random
sample of a community's 民情日记 and 网格事件 for a period, marks each record 属实 / 不实
(never one they wrote or closed), a 不实 record stops counting in the counted metrics
and may raise a deduction event that someone else must verify; lists flag records closed
by the person who reported them. No test depends on chance: every draw here is seeded."""

from datetime import date
from importlib import import_module

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from assessment.models import Cycle, CycleStatus, Quarter
from core.versioning import StaleVersion
from evidence.events import services as events
from evidence.models import (
    DiaryEntry,
    Event,
    EventStatus,
    GridEvent,
    GridEventStatus,
    SpotCheck,
    SpotCheckItem,
    SpotCheckVerdict,
)
from evidence.records import selectors, services
from scoring.counters import COUNTERS
from scoring.services import compute_cycle, results_are_stale

# One world and one cycle for the module; each test runs in a savepoint inside them.
pytestmark = pytest.mark.usefixtures("shared_world")

SEED = 20261207
FIRST, LAST = date(2026, 1, 1), date(2026, 12, 7)


def diary(world, on, resolved_on=None, community="community_a1", author=None):
    return DiaryEntry.objects.create(
        community=getattr(world, community),
        recorded_on=on,
        category="dispute",
        content=f"{on:%m月%d日} 邻里纠纷",
        resolved=resolved_on is not None,
        resolved_on=resolved_on,
        author=author or world.secretary_a1,
    )


def grid_event(world, on, resolved_on=None, community="community_a1", reporter=None, closer=None):
    reporter = reporter or world.secretary_a1
    return GridEvent.objects.create(
        community=getattr(world, community),
        reported_on=on,
        category="dispute",
        description=f"{on:%m月%d日} 矛盾纠纷",
        status=GridEventStatus.RESOLVED if resolved_on else GridEventStatus.HANDLING,
        resolved_on=resolved_on,
        reported_by=reporter,
        resolved_by=(closer or reporter) if resolved_on else None,
    )


def some_records(world, diaries=5, events=7):
    """Diary entries in March, resolved grid events in May."""
    made = [diary(world, date(2026, 3, 1 + n)) for n in range(diaries)]
    made += [grid_event(world, date(2026, 5, 1 + n), date(2026, 5, 2 + n)) for n in range(events)]
    return made


def draw(world, cycle, who="town_assessor_a", community="community_a1", **kw):
    fields = {"period_start": FIRST, "period_end": LAST, "seed": SEED, **kw}
    return services.draw_spot_check(
        actor=world.persona(who), cycle=cycle, community=getattr(world, community), **fields
    )


def mark(world, item, verdict, who="town_assessor_a", note=""):
    item.refresh_from_db()
    return services.mark_spot_check_item(
        actor=world.persona(who), item=item, version=item.version, verdict=verdict, note=note
    )


def refute(world, item, who="town_assessor_a", note="入户核实，当事人称无此纠纷"):
    return mark(world, item, SpotCheckVerdict.REFUTED, who=who, note=note)


def inputs_version(cycle):
    return Cycle.objects.get(pk=cycle.pk).inputs_version


def deduction_type(cycle, code="ZZSH"):
    return cycle.frozen_template.event_types.get(code=code)


# ------------------------------------------------------------------- the sample


@pytest.mark.parametrize(
    ("records", "share", "minimum", "size"),
    [
        (40, 10, 3, 4),
        (31, 10, 3, 4),
        (20, 10, 3, 3),
        (2, 10, 3, 2),
        (100, 25, 3, 25),
        (7, 100, 1, 7),
    ],
)
def test_the_sample_is_the_share_rounded_up_at_least_the_minimum_and_at_most_every_record(
    records, share, minimum, size
):
    assert services.sample_size(records, share, minimum) == size


def test_the_defaults_are_ten_percent_and_at_least_three_records():
    assert services.SampleRule(share=10, minimum=3) == services.DEFAULT_SAMPLE


def test_the_same_seed_draws_the_same_records_in_the_same_order():
    keys = [f"diary:{n}" for n in range(1, 21)]
    first = services.draw_sample(keys, 4, SEED)
    assert first == services.draw_sample(keys, 4, SEED)
    assert first == ["diary:5", "diary:4", "diary:20", "diary:18"]
    assert services.draw_sample(keys, 4, SEED + 1) != first


def test_a_town_assessor_draws_a_sample_that_can_be_redrawn_from_what_is_stored(world, cycle):
    records = some_records(world)
    check = draw(world, cycle, deduction_type=deduction_type(cycle))
    check.refresh_from_db()
    assert (check.drawn_by, check.seed, check.share, check.minimum) == (
        world.town_assessor_a,
        SEED,
        10,
        3,
    )
    assert check.population == [f"diary:{r.pk}" for r in records[:5]] + [
        f"grid_event:{r.pk}" for r in records[5:]
    ]
    drawn = [
        f"diary:{i.diary_entry_id}" if i.diary_entry_id else f"grid_event:{i.grid_event_id}"
        for i in check.items.order_by("position")
    ]
    assert len(drawn) == 3, "12 records × 10 % = 2, raised to the minimum of 3"
    assert drawn == services.draw_sample(check.population, 3, check.seed)
    assert set(SpotCheckItem.objects.values_list("verdict", flat=True)) == {"pending"}
    assert check.finished_at is None


def test_without_a_seed_one_is_made_and_stored(world, cycle):
    some_records(world)
    check = draw(world, cycle, seed=None)
    drawn = [i.diary_entry_id or i.grid_event_id for i in check.items.order_by("position")]
    redrawn = services.draw_sample(check.population, len(drawn), check.seed)
    assert drawn == [selectors.parse_key(key)[1] for key in redrawn]


def test_the_population_holds_records_recorded_or_resolved_in_the_period(world, cycle):
    inside = [
        diary(world, date(2026, 4, 10)),
        diary(world, date(2026, 2, 27), resolved_on=date(2026, 4, 2)),
        grid_event(world, date(2026, 4, 20)),
        grid_event(world, date(2026, 3, 30), resolved_on=date(2026, 4, 1)),
    ]
    diary(world, date(2026, 3, 31))
    grid_event(world, date(2026, 5, 1), resolved_on=date(2026, 5, 2))
    diary(world, date(2026, 4, 10), community="community_a2")
    keys = selectors.population(world.community_a1, date(2026, 4, 1), date(2026, 4, 30))
    assert keys == [
        f"diary:{inside[1].pk}",
        f"diary:{inside[0].pk}",
        f"grid_event:{inside[3].pk}",
        f"grid_event:{inside[2].pk}",
    ]
    only_events = selectors.population(
        world.community_a1, date(2026, 4, 1), date(2026, 4, 30), "grid_events"
    )
    assert only_events == keys[2:]


@pytest.mark.parametrize("who", ["town_assessor_a", "county_assessor_a", "admin_a"])
def test_town_and_county_assessors_and_admins_draw(world, cycle, who):
    some_records(world)
    assert draw(world, cycle, who=who).items.count() == 3


@pytest.mark.parametrize("who", ["secretary_a1", "observer_a", "outsider_b", "split_person"])
def test_secretaries_observers_and_other_towns_do_not_draw(world, cycle, who):
    some_records(world)
    with pytest.raises(PermissionDenied):
        draw(world, cycle, who=who)
    assert not SpotCheck.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (
            {"period_start": date(2025, 12, 1)},
            "period_start",
            "核查期间 2025-12-01 至 2026-12-07 超出了本考核周期（2026-01-01 至 2026-12-31）。",
        ),
        ({"period_end": date(2025, 12, 31)}, "period_end", "核查截止日不能早于起始日。"),
        ({"share": 0}, "share", "抽查比例应在 1% 到 100% 之间。"),
        ({"minimum": 0}, "minimum", "最少抽查条数应在 1 到 200 之间。"),
    ],
)
def test_a_bad_draw_is_refused_naming_the_field(world, cycle, fields, field, message):
    some_records(world)
    with pytest.raises(ValidationError) as refused:
        draw(world, cycle, **fields)
    assert refused.value.message_dict == {field: [message]}
    assert not SpotCheck.objects.exists()


def test_a_community_without_records_in_the_period_has_nothing_to_draw(world, cycle):
    with pytest.raises(ValidationError, match="城东社区在 2026-01-01 至 2026-12-07 没有可抽查的"):
        draw(world, cycle)


def test_a_community_of_another_county_is_refused_by_name(world, cycle):
    with pytest.raises(ValidationError, match="外县社区不是本周期所属县/区的社区"):
        draw(world, cycle, who="admin_a", community="community_c1")


def test_the_deduction_type_is_a_deduction_of_the_cycle_template(world, cycle):
    some_records(world)
    with pytest.raises(ValidationError, match="“省级表彰”不是"):
        draw(world, cycle, deduction_type=deduction_type(cycle, "SJBZ"))
    assert not SpotCheck.objects.exists()


@pytest.mark.parametrize(
    ("status", "message"), [("draft", "尚未开始"), ("published", "已发布，记录核查不能再修改")]
)
def test_a_draft_or_published_cycle_takes_no_checks(world, cycle, status, message):
    some_records(world)
    Cycle.objects.filter(pk=cycle.pk).update(status=status)
    with pytest.raises(ValidationError, match=message):
        draw(world, cycle)


def test_a_draw_is_saved_whole_or_not_at_all(world, cycle, monkeypatch):
    some_records(world)
    save = SpotCheckItem.save

    def fail_on_the_second(item, *args, **kwargs):
        if item.position == 2:
            raise RuntimeError("disk full")
        return save(item, *args, **kwargs)

    monkeypatch.setattr(SpotCheckItem, "save", fail_on_the_second)
    with pytest.raises(RuntimeError):
        draw(world, cycle)
    assert not SpotCheck.objects.exists() and not SpotCheckItem.objects.exists()


# ------------------------------------------------------------------- marking


def sampled(world, cycle, **kw):
    some_records(world)
    return list(draw(world, cycle, **kw).items.order_by("position"))


def test_a_refuted_record_needs_a_note_and_records_who_checked(world, cycle):
    item = sampled(world, cycle)[0]
    with pytest.raises(ValidationError) as refused:
        mark(world, item, SpotCheckVerdict.REFUTED, note="  ")
    assert refused.value.message_dict == {"note": ["标记“不实”须写明核查说明（与实际不符之处）。"]}
    marked = refute(world, item)
    assert (marked.verdict, marked.checked_by, marked.version) == (
        SpotCheckVerdict.REFUTED,
        world.town_assessor_a,
        2,
    )
    assert mark(world, item, SpotCheckVerdict.CONFIRMED).note == ""


def test_a_mark_needs_the_version_it_was_read_at(world, cycle):
    item = sampled(world, cycle)[0]
    with pytest.raises(StaleVersion):
        services.mark_spot_check_item(
            actor=world.town_assessor_a, item=item, version=7, verdict="confirmed"
        )


def test_nobody_checks_a_record_they_wrote_or_closed(world, cycle):
    """The town assessor reported one grid event and closed another: a county assessor
    checks those two; the town assessor checks the rest."""
    reported = grid_event(world, date(2026, 6, 1), reporter=world.town_assessor_a)
    closed = grid_event(world, date(2026, 6, 2), date(2026, 6, 3), closer=world.town_assessor_a)
    check = draw(world, cycle, minimum=2)
    items = {i.grid_event_id: i for i in check.items.all()}
    for record in (reported, closed):
        with pytest.raises(ValidationError, match="由您本人记录或办结，不能由您核查"):
            mark(world, items[record.pk], SpotCheckVerdict.CONFIRMED)
        mark(world, items[record.pk], SpotCheckVerdict.CONFIRMED, who="county_assessor_a")
    assert SpotCheckItem.objects.filter(verdict="confirmed").count() == 2


@pytest.mark.parametrize("who", ["secretary_a1", "observer_a", "outsider_b"])
def test_secretaries_observers_and_other_towns_do_not_mark(world, cycle, who):
    item = sampled(world, cycle)[0]
    with pytest.raises(PermissionDenied):
        mark(world, item, SpotCheckVerdict.CONFIRMED, who=who)


def test_the_check_is_finished_when_every_record_is_marked(world, cycle):
    items = sampled(world, cycle)
    for item in items[:-1]:
        mark(world, item, SpotCheckVerdict.CONFIRMED)
    assert SpotCheck.objects.get().finished_at is None
    refute(world, items[-1])
    assert SpotCheck.objects.get().finished_at is not None


def test_a_secretary_sees_their_community_checks_only_once_finished(world, cycle):
    items = sampled(world, cycle)
    secretary = world.secretary_a1
    assert not SpotCheck.objects.for_user(secretary).exists()
    assert not SpotCheckItem.objects.for_user(secretary).exists()
    for item in items:
        mark(world, item, SpotCheckVerdict.CONFIRMED)
    assert SpotCheck.objects.for_user(secretary).count() == 1
    assert SpotCheck.objects.for_user(world.secretaries["a2"].user).count() == 0
    assert SpotCheck.objects.for_user(world.outsider_b).count() == 0
    assert SpotCheck.objects.for_user(world.observer_a).count() == 1


def test_marks_are_audited(world, cycle):
    item = refute(world, sampled(world, cycle)[0])
    history = item.history.order_by("history_id")
    assert [(h.verdict, h.history_user) for h in history] == [
        ("pending", world.town_assessor_a),
        ("refuted", world.town_assessor_a),
    ]
    assert history.last().scope_path == world.community_a1.path
    assert SpotCheck.history.get().drawn_by == world.town_assessor_a


def test_a_published_cycle_refuses_marks(world, cycle):
    item = sampled(world, cycle)[0]
    Cycle.objects.filter(pk=cycle.pk).update(status=CycleStatus.PUBLISHED)
    with pytest.raises(ValidationError, match="已发布"):
        refute(world, item)


# ------------------------------------------------------------------- what counts


def test_a_refuted_grid_event_no_longer_counts_and_the_results_go_stale(world, cycle):
    """化解矛盾数 (conflicts_resolved) counts resolved grid events; one found 不实 drops
    out, and comes back if the finding is changed to 属实."""
    for n in range(4):
        grid_event(world, date(2026, 5, 1 + n), date(2026, 5, 2 + n))
    check = draw(world, cycle, kinds="grid_events")
    item = check.items.order_by("position").first()
    counted = COUNTERS["conflicts_resolved"]
    assert counted(cycle, None)["QA101"] == 4
    compute_cycle(cycle.pk)
    refute(world, item)
    assert counted(cycle, None)["QA101"] == 3
    assert COUNTERS["grid_events"](cycle, None)["QA101"] == 3
    assert results_are_stale(Cycle.objects.get(pk=cycle.pk))
    before = inputs_version(cycle)
    mark(world, item, SpotCheckVerdict.CONFIRMED)
    assert counted(cycle, None)["QA101"] == 4
    assert inputs_version(cycle) == before + 1


def test_a_refuted_diary_entry_no_longer_counts(world, cycle):
    for n in range(3):
        diary(world, date(2026, 3, 1 + n), resolved_on=date(2026, 3, 5))
    item = draw(world, cycle, kinds="diary").items.order_by("position").first()
    refute(world, item)
    assert COUNTERS["diary_entries"](cycle, None)["QA101"] == 2
    assert COUNTERS["diary_resolved"](cycle, None)["QA101"] == 2
    assert COUNTERS["diary_resolution_rate"](cycle, None)["QA101"] == 100


def test_a_drawn_diary_entry_can_no_longer_be_changed_by_its_author(world, cycle, login):
    """核查 judges a record as it was drawn: the author cannot rewrite it afterwards (the
    list shows 已抽中核查 instead of 修改), while entries not drawn stay editable."""
    drawn, free = diary(world, date(2026, 3, 1)), diary(world, date(2026, 3, 2))
    check = draw(world, cycle, kinds="diary", period_end=date(2026, 3, 1))
    assert [i.diary_entry_id for i in check.items.all()] == [drawn.pk]

    def rewrite(entry):
        return services.update_diary_entry(
            actor=world.secretary_a1,
            entry=entry,
            version=entry.version,
            recorded_on=entry.recorded_on,
            category=entry.category,
            content="改写后的内容",
        )

    with pytest.raises(ValidationError, match="已被抽中核查"):
        rewrite(drawn)
    assert DiaryEntry.objects.get(pk=drawn.pk).content == drawn.content
    assert rewrite(free).content == "改写后的内容"
    html = login(world.secretary_a1).get(reverse("diary-list")).content.decode()
    assert html.count('data-testid="diary-drawn"') == 1
    assert reverse("diary-edit", args=[drawn.pk]) not in html
    assert reverse("diary-edit", args=[free.pk]) in html


def test_confirming_a_record_changes_no_count_and_no_results(world, cycle):
    item = sampled(world, cycle)[0]
    before = inputs_version(cycle)
    mark(world, item, SpotCheckVerdict.CONFIRMED)
    assert inputs_version(cycle) == before


def test_a_refuted_record_is_not_drawn_again(world, cycle):
    item = sampled(world, cycle)[0]
    refute(world, item)
    again = draw(world, cycle, seed=SEED + 1)
    assert f"diary:{item.diary_entry_id}" not in again.population
    assert f"grid_event:{item.grid_event_id}" not in again.population


def test_each_counter_stays_one_query_with_refuted_records(world, cycle, django_assert_num_queries):
    refute(world, sampled(world, cycle)[0])
    for key in ("conflicts_resolved", "grid_events", "diary_entries", "diary_resolution_rate"):
        with django_assert_num_queries(1):
            COUNTERS[key](cycle, None)


def test_check_counts_per_community(world, cycle):
    items = sampled(world, cycle)
    refute(world, items[0])
    mark(world, items[1], SpotCheckVerdict.CONFIRMED)
    diary(world, date(2026, 4, 1), community="community_a2")
    counts = selectors.check_counts(cycle, [world.community_a1, world.community_a2])
    assert counts[world.community_a1.pk] == selectors.CheckCounts(counted=11, checked=2, refuted=1)
    assert counts[world.community_a2.pk] == selectors.CheckCounts(counted=1)


# ------------------------------------------------------------------- deduction events


def refuted_item(world, cycle, **kw):
    """The first record of a finished check, found 不实; the others 属实."""
    kw.setdefault("deduction_type", deduction_type(cycle))
    first, *others = sampled(world, cycle, **kw)
    for item in others:
        mark(world, item, SpotCheckVerdict.CONFIRMED)
    return refute(world, first)


def report_deduction(world, item, who="town_assessor_a"):
    item.refresh_from_db()
    return services.report_spot_check_deduction(
        actor=world.persona(who), item=item, version=item.version
    )


def test_a_refuted_record_raises_a_pending_deduction_someone_else_must_verify(world, cycle):
    item = refuted_item(world, cycle)
    event = report_deduction(world, item)
    assert (event.status, event.reported_by, event.event_type.code) == (
        EventStatus.REPORTED,
        world.town_assessor_a,
        "ZZSH",
    )
    assert event.participant.secretary == world.secretaries["a1"]
    assert "记录核查发现不实" in event.description and "当事人称无此纠纷" in event.description
    item.refresh_from_db()
    assert item.deduction_event == event
    with pytest.raises(ValidationError, match="不能核实本人报告的事项"):
        events.verify_event(actor=world.town_assessor_a, event=event, version=event.version)
    verified = events.verify_event(
        actor=world.county_assessor_a, event=event, version=event.version
    )
    assert verified.status == EventStatus.VERIFIED


def test_deductions_wait_until_the_check_is_finished(world, cycle):
    """Until every record is marked the secretary must not learn of the check, and
    they see the events about them."""
    items = sampled(world, cycle, deduction_type=deduction_type(cycle))
    refute(world, items[0])
    with pytest.raises(ValidationError, match="还有 2 条记录未核查。全部核查完成后才能报告"):
        report_deduction(world, items[0])
    assert not Event.objects.exists()


def test_one_deduction_per_record_and_only_for_a_refuted_one(world, cycle):
    item = refuted_item(world, cycle)
    report_deduction(world, item)
    with pytest.raises(ValidationError, match="报告过扣分事项，不能重复报告"):
        report_deduction(world, item)
    other = SpotCheckItem.objects.exclude(pk=item.pk).first()
    with pytest.raises(ValidationError, match="只有核查“不实”的记录才能报告扣分事项"):
        report_deduction(world, other)
    assert Event.objects.count() == 1


def test_no_deduction_without_a_configured_type(world, cycle):
    item = refuted_item(world, cycle, deduction_type=None)
    with pytest.raises(ValidationError, match="没有设置“不实记录计入事项类型”"):
        report_deduction(world, item)


def test_a_refused_deduction_leaves_nothing_behind(world, cycle):
    """report_event refuses (the record's date no longer lies in the cycle): no event,
    and the item stays as it was."""
    item = refuted_item(world, cycle)
    Quarter.objects.filter(cycle=cycle, number=1).update(starts_on=date(2026, 6, 1))
    with pytest.raises(ValidationError, match="不在本考核周期"):
        report_deduction(world, item)
    item.refresh_from_db()
    assert (item.deduction_event, item.version) == (None, 2)
    assert not Event.objects.exists()


def test_a_refuted_record_with_a_pending_deduction_stays_refuted(world, cycle):
    item = refuted_item(world, cycle)
    event = report_deduction(world, item)
    with pytest.raises(ValidationError, match="请先撤回该事项或将其不予认定"):
        mark(world, item, SpotCheckVerdict.CONFIRMED)
    events.reject_event(
        actor=world.county_assessor_a, event=event, version=event.version, reason="核查有误"
    )
    assert mark(world, item, SpotCheckVerdict.CONFIRMED).verdict == SpotCheckVerdict.CONFIRMED


# ------------------------------------------------------------------- 本人报告本人办结


def test_resolving_records_who_resolved_and_reopening_clears_it(world):
    event = services.report_grid_event(
        actor=world.secretary_a1,
        community=world.community_a1,
        reported_on=date(2026, 12, 1),
        category="dispute",
        description="邻里噪音纠纷",
    )
    event = services.move_grid_event(
        actor=world.secretary_a1, event=event, version=1, action="resolve"
    )
    assert (event.resolved_by, event.closed_by_reporter) == (world.secretary_a1, True)
    event = services.move_grid_event(
        actor=world.town_assessor_a, event=event, version=2, action="reopen", note="群众反映未化解"
    )
    assert (event.resolved_by, event.closed_by_reporter) == (None, False)
    event = services.move_grid_event(
        actor=world.town_assessor_a, event=event, version=3, action="resolve"
    )
    assert (event.resolved_by, event.closed_by_reporter) == (world.town_assessor_a, False)


def test_the_migration_reads_who_resolved_earlier_events_from_the_history(world):
    event = services.report_grid_event(
        actor=world.secretary_a1,
        community=world.community_a1,
        reported_on=date(2026, 12, 1),
        category="dispute",
        description="邻里噪音纠纷",
    )
    services.move_grid_event(actor=world.secretary_a1, event=event, version=1, action="handle")
    services.move_grid_event(actor=world.secretary_a1, event=event, version=2, action="resolve")
    open_one = grid_event(world, date(2026, 12, 2))
    GridEvent.objects.update(resolved_by=None)
    migration = import_module("evidence.migrations.0003_spot_checks")
    migration.resolvers_from_history(apps, None)
    assert GridEvent.objects.get(pk=event.pk).resolved_by == world.secretary_a1
    assert GridEvent.objects.get(pk=open_one.pk).resolved_by is None


def test_the_lists_flag_a_grid_event_closed_by_its_own_reporter(world, login):
    own = grid_event(world, date(2026, 5, 1), date(2026, 5, 2))
    other = grid_event(world, date(2026, 5, 3), date(2026, 5, 4), closer=world.town_assessor_a)
    client = login(world.town_assessor_a)
    html = client.get(reverse("gridevent-list")).content.decode()
    own_row = html.split(f'data-testid="gridevent-{own.pk}"')[1].split("</a>")[0]
    other_row = html.split(f'data-testid="gridevent-{other.pk}"')[1].split("</a>")[0]
    assert "本人报告本人办结" in own_row and "本人报告本人办结" not in other_row
    detail = client.get(reverse("gridevent-detail", args=[own.pk])).content.decode()
    assert 'data-testid="self-closed"' in detail and "甲书记" in detail


# ------------------------------------------------------------------- pages


def test_the_list_shows_each_role_what_it_may_see(world, cycle, login):
    items = sampled(world, cycle)
    url = reverse("spotcheck-list", args=[cycle.pk])
    town = login(world.town_assessor_a).get(url).content.decode()
    assert "城东社区" in town and 'data-testid="new-spotcheck"' in town
    observer = login(world.observer_a).get(url).content.decode()
    assert "城东社区" in observer and 'data-testid="new-spotcheck"' not in observer
    assert "城东社区" not in login(world.outsider_b).get(url).content.decode()
    assert "城东社区" not in login(world.secretary_a1).get(url).content.decode()
    for item in items:
        mark(world, item, SpotCheckVerdict.CONFIRMED)
    assert "城东社区" in login(world.secretary_a1).get(url).content.decode()


def test_drawing_from_the_page(world, cycle, login):
    some_records(world)
    client = login(world.town_assessor_a)
    url = reverse("spotcheck-create", args=[cycle.pk])
    form = client.get(url).content.decode()
    assert 'name="share" value="10"' in form and 'name="minimum" value="3"' in form
    assert "城东社区" in form and "东湖社区" not in form
    post = {
        "community": world.community_a1.pk,
        "period_start": "2026-01-01",
        "period_end": "2026-12-07",
        "kinds": "all",
        "share": "10",
        "minimum": "3",
        "deduction_type": deduction_type(cycle).pk,
    }
    refused = client.post(url, {**post, "period_end": "2025-12-31"})
    assert "核查截止日不能早于起始日。" in refused.content.decode()
    assert not SpotCheck.objects.exists()
    done = client.post(url, post, follow=True)
    check = SpotCheck.objects.get()
    assert done.redirect_chain[-1][0] == reverse("spotcheck-detail", args=[check.pk])
    assert "已从城东社区 2026-01-01 至 2026-12-07 的 12 条记录中随机抽取 3 条" in (
        done.content.decode()
    )
    assert check.deduction_type.code == "ZZSH"


def test_a_user_who_may_check_no_community_of_the_cycle_gets_no_draw_page(world, cycle, login):
    assert (
        login(world.split_person).get(reverse("spotcheck-create", args=[cycle.pk])).status_code
        == 404
    )


def test_marking_and_reporting_from_the_page(world, cycle, login):
    item, *others = sampled(world, cycle, deduction_type=deduction_type(cycle))
    client = login(world.town_assessor_a)
    detail = reverse("spotcheck-detail", args=[item.spot_check_id])
    page = client.get(detail).content.decode()
    assert f'data-testid="mark-{item.position}"' in page
    assert f'data-testid="deduction-{item.position}"' not in page
    mark_url = reverse("spotcheck-mark", args=[item.pk])
    refused = client.post(mark_url, {"verdict": "refuted", "note": "", "version": 1}, follow=True)
    assert "标记“不实”须写明核查说明" in refused.content.decode()
    done = client.post(
        mark_url, {"verdict": "refuted", "note": "走访核实无此事", "version": 1}, follow=True
    )
    assert "已标记为“不实”。该记录不再计入按记录统计的数据项" in done.content.decode()
    assert f'data-testid="deduction-{item.position}"' not in done.content.decode()
    assert f'data-testid="deduction-later-{item.position}"' in done.content.decode()
    for other in others:
        client.post(
            reverse("spotcheck-mark", args=[other.pk]), {"verdict": "confirmed", "version": 1}
        )
    finished = client.get(detail).content.decode()
    assert f'data-testid="deduction-{item.position}"' in finished
    reported = client.post(
        reverse("spotcheck-deduction", args=[item.pk]), {"version": 2}, follow=True
    )
    assert "状态为待核实，须由其他考核员核实后才扣分" in reported.content.decode()
    assert Event.objects.get().status == EventStatus.REPORTED


def test_observers_read_a_check_without_forms_and_own_records_are_marked_as_such(
    world, cycle, login
):
    grid_event(world, date(2026, 6, 1), reporter=world.town_assessor_a)
    check = draw(world, cycle, kinds="grid_events")
    detail = reverse("spotcheck-detail", args=[check.pk])
    observer = login(world.observer_a).get(detail).content.decode()
    assert 'data-testid="mark-1"' not in observer and str(SEED) in observer
    town = login(world.town_assessor_a).get(detail).content.decode()
    assert 'data-testid="own-record"' in town
    assert login(world.outsider_b).get(detail).status_code == 404
    assert login(world.secretary_a1).get(detail).status_code == 404


def test_outsiders_cannot_mark_and_observers_may_not(world, cycle, login):
    item = sampled(world, cycle)[0]
    url = reverse("spotcheck-mark", args=[item.pk])
    post = {"verdict": "confirmed", "version": 1}
    assert login(world.outsider_b).post(url, post).status_code == 404
    assert login(world.observer_a).post(url, post).status_code == 403
    assert login(world.secretary_a1).post(url, post).status_code == 403
    assert SpotCheckItem.objects.get(pk=item.pk).verdict == "pending"


def test_the_metric_grid_shows_records_counted_checked_and_refuted(world, cycle, login):
    items = sampled(world, cycle)
    refute(world, items[0])
    mark(world, items[1], SpotCheckVerdict.CONFIRMED)
    html = login(world.town_assessor_a).get(reverse("metric-grid", args=[cycle.pk])).content
    cell = html.decode().split('data-testid="checks-QA101"')[1].split("</td>")[0]
    assert "11 / 2 /" in cell and ">1</span>" in cell


def test_the_check_pages_take_a_fixed_number_of_queries(
    world, cycle, login, django_assert_max_num_queries
):
    for _ in range(3):
        some_records(world, diaries=10, events=10)
    draw(world, cycle, share=50)
    draw(world, cycle, seed=SEED + 1, minimum=5)
    check = SpotCheck.objects.first()
    client = login(world.county_assessor_a)
    with django_assert_max_num_queries(13):  # a page of the checks: their count, then the page
        assert client.get(reverse("spotcheck-list", args=[cycle.pk])).status_code == 200
    with django_assert_max_num_queries(14):
        assert client.get(reverse("spotcheck-detail", args=[check.pk])).status_code == 200


def test_the_cycle_page_links_the_checks(world, cycle, login):
    url = reverse("cycle-detail", args=[cycle.pk])
    assert 'data-testid="spotchecks-link"' in login(world.town_assessor_a).get(url).content.decode()
    own = login(world.secretary_a1).get(url).content.decode()
    assert "本社区记录核查结果" in own
