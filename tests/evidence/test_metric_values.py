"""指标数据 (SPEC §2 Metric, §4 sheet 指标数据; issue 6): values per community entered in the
grid or pasted from Excel, who may enter them, their checks, and how they reach the
`target` leaves of the scores."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from assessment.models import Cycle, CycleStatus, Quarter
from core.versioning import StaleVersion
from evidence.models import DiaryEntry, GridEvent, GridEventStatus, MetricValue, MetricValueSource
from evidence.records import services
from evidence.records.counters import RECORD_COUNTER_KEYS

# Importing the records modules registers their counters and input source, as at startup.
from evidence.records.inputs import metric_values
from indicators.models import MetricDefinition
from scoring.counters import COUNTERS
from scoring.models import LeafResult
from scoring.services import compute_cycle, results_are_stale
from tests.factories import open_seed_cycle

# One world and one cycle for the module; each test runs in a savepoint inside them.
pytestmark = pytest.mark.usefixtures("shared_world")


def inputs_version(cycle):
    return Cycle.objects.get(pk=cycle.pk).inputs_version


def enter(world, cycle, who="county_assessor_a", community="community_a1", value="88.5", **kw):
    return services.set_metric_value(
        actor=world.persona(who),
        cycle=cycle,
        community=getattr(world, community),
        key=kw.pop("key", "service_coverage"),
        value=value,
        **kw,
    )


# ------------------------------------------------------------------- who may enter


def test_a_county_assessor_enters_a_value_and_the_cycle_inputs_change(world, cycle):
    before = inputs_version(cycle)
    value = enter(world, cycle)
    assert (value.value, value.source, value.version) == (D("88.5"), MetricValueSource.ENTERED, 1)
    assert value.entered_by == world.county_assessor_a
    assert inputs_version(cycle) == before + 1


def test_a_town_assessor_enters_values_for_the_communities_of_their_own_town(world, cycle):
    assert enter(world, cycle, who="town_assessor_a", community="community_a2").value == D("88.5")
    with pytest.raises(PermissionDenied):
        enter(world, cycle, who="town_assessor_a", community="community_b1")


@pytest.mark.parametrize("who", ["secretary_a1", "observer_a", "outsider_b", "split_person"])
def test_secretaries_observers_and_other_towns_may_not_enter_values(world, cycle, who):
    with pytest.raises(PermissionDenied):
        enter(world, cycle, who=who)
    assert not MetricValue.objects.exists()


def test_a_community_of_another_county_is_refused_by_name(world, cycle):
    with pytest.raises(ValidationError, match="外县社区不是本周期所属县/区的社区"):
        enter(world, cycle, community="community_c1")


# ------------------------------------------------------------------- checks


def test_a_counted_metric_cannot_be_entered(world, cycle):
    with pytest.raises(ValidationError, match="化解矛盾数”按记录自动统计，不能录入或导入"):
        enter(world, cycle, key="conflicts_resolved", value="3")


def test_a_key_outside_the_cycle_template_is_refused(world, cycle):
    with pytest.raises(ValidationError, match="数据项“nonsense”不在本周期的指标体系中"):
        enter(world, cycle, key="nonsense")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("abc", "城东社区的“服务覆盖率”应为数字。"),
        ("-1", "城东社区的“服务覆盖率”不能为负数。"),
        ("1.23456", "城东社区的“服务覆盖率”最多保留 4 位小数。"),
        ("1e12", "城东社区的“服务覆盖率”数值过大。"),
        ("NaN", "城东社区的“服务覆盖率”应为数字。"),
        # A percentage (unit %) lies between 0 and 100 (issue 14, item 10).
        ("150", "城东社区的“服务覆盖率”是百分比，应在 0 到 100 之间，不能是 150。"),
        ("100.5", "城东社区的“服务覆盖率”是百分比，应在 0 到 100 之间，不能是 100.5。"),
    ],
)
def test_a_bad_value_is_refused_naming_the_community_and_metric(world, cycle, raw, message):
    with pytest.raises(ValidationError) as refused:
        enter(world, cycle, value=raw)
    assert refused.value.message_dict == {"value": [message]}


def test_trailing_zeros_full_width_digits_and_thousands_separators_are_numbers(world, cycle):
    assert enter(world, cycle, value="９9.50000").value == D("99.5")
    # Read as 1234.5 (then refused: 服务覆盖率 is a percentage).
    with pytest.raises(ValidationError, match="不能是 1234.5"):
        enter(world, cycle, value="１,２３4.50000")


def test_a_changed_value_needs_the_version_it_was_read_at(world, cycle):
    first = enter(world, cycle)
    with pytest.raises(StaleVersion):
        enter(world, cycle, value="90")
    with pytest.raises(StaleVersion):
        enter(world, cycle, value="90", version=first.version + 1)
    changed = enter(world, cycle, value="90", version=first.version)
    assert (changed.value, changed.version) == (D("90"), 2)


def test_a_locked_cycle_refuses_values(world, cycle):
    Cycle.objects.filter(pk=cycle.pk).update(status=CycleStatus.PUBLISHED)
    with pytest.raises(ValidationError, match="已发布，指标数据不能再修改"):
        enter(world, cycle)


def test_clearing_a_value_removes_it(world, cycle):
    value = enter(world, cycle)
    before = inputs_version(cycle)
    services.clear_metric_value(
        actor=world.county_assessor_a,
        cycle=cycle,
        community=world.community_a1,
        key="service_coverage",
        version=value.version,
    )
    assert not MetricValue.objects.exists()
    assert inputs_version(cycle) == before + 1


# ------------------------------------------------------------------- paste import


def paste(world, cycle, text, who="county_assessor_a"):
    return services.import_metric_values(actor=world.persona(who), cycle=cycle, text=text)


def test_a_paste_from_excel_saves_every_row_as_imported(world, cycle):
    text = "社区编码\t数据项\t实际值\nQA101\tservice_coverage\t96\n\nQA102\t服务覆盖率\t80.25\n"
    assert paste(world, cycle, text) == 2
    assert dict(MetricValue.objects.values_list("community__code", "value")) == {
        "QA101": D("96"),
        "QA102": D("80.25"),
    }
    assert set(MetricValue.objects.values_list("source", flat=True)) == {"imported"}


def test_a_paste_without_header_works_and_pasting_it_again_changes_nothing(world, cycle):
    paste(world, cycle, "QA101\tservice_coverage\t96")
    before = inputs_version(cycle)
    paste(world, cycle, "QA101\tservice_coverage\t96")
    assert MetricValue.objects.get().version == 1
    assert inputs_version(cycle) == before


def test_a_paste_with_errors_saves_nothing_and_lists_every_error_by_line(world, cycle):
    text = "\n".join(
        [
            "社区编码\t数据项\t实际值",
            "QA101\tservice_coverage\t96",
            "QX999\tservice_coverage\t1",
            "QA102\tconflicts_resolved\t3",
            "QA102\tservice_coverage\t-2",
            "QA101\t服务覆盖率\t97",
            "QA201\tservice_coverage",
        ]
    )
    with pytest.raises(ValidationError) as refused:
        paste(world, cycle, text)
    assert refused.value.messages == [
        "第 3 行：社区编码“QX999”不是本县/区的社区。",
        "第 4 行：数据项“化解矛盾数”按记录自动统计，不能导入。",
        "第 5 行：城西社区的“服务覆盖率”不能为负数。",
        "第 6 行：与第 2 行重复（城东社区 · 服务覆盖率）。",
        "第 7 行：应有三列：社区编码、数据项、实际值（用制表符分隔，可直接从 Excel 复制）。",
    ]
    assert not MetricValue.objects.exists()


def test_a_town_assessor_cannot_paste_values_of_another_town(world, cycle):
    with pytest.raises(ValidationError, match="第 1 行：东湖社区不在您的管理范围内"):
        paste(world, cycle, "QA201\tservice_coverage\t90", who="town_assessor_a")


def test_an_empty_paste_says_what_to_paste(world, cycle):
    with pytest.raises(ValidationError, match="没有可导入的数据"):
        paste(world, cycle, "  \n")


# ------------------------------------------------------------------- into the scores


def test_the_input_source_reads_every_value_of_the_cycle_in_one_query(
    world, cycle, django_assert_num_queries
):
    enter(world, cycle)
    enter(world, cycle, community="community_a2", value="40")
    with django_assert_num_queries(1):
        part = metric_values(cycle, None)
    assert {(m.community, m.key, m.value) for m in part.metrics} == {
        ("QA101", "service_coverage", D("88.5")),
        ("QA102", "service_coverage", D("40")),
    }


def test_an_entered_value_feeds_the_target_leaf(world, cycle):
    """SPEC §3.1 target: points × min(actual / target, 1) = 5 × 76/95 = 4."""
    enter(world, cycle, value="76")
    compute_cycle(cycle.pk)
    leaf = LeafResult.objects.get(
        sheet__results__version__is_current=True,
        sheet__participant__community=world.community_a1,
        leaf__name="服务覆盖率",
    )
    assert (leaf.target_value, leaf.basis) == (D("4.00"), D("76"))


# ------------------------------------------------------------------- the grid page


def grid_url(cycle):
    return reverse("metric-grid", args=[cycle.pk])


def test_the_grid_shows_communities_in_scope_with_counted_columns_read_only(
    world, cycle, login, django_assert_max_num_queries
):
    enter(world, cycle)
    client = login(world.town_assessor_a)
    # + the 通知 bell's unread count; + the totals over every community and the towns
    # of the filter (the grid shows a page of communities).
    with django_assert_max_num_queries(23):
        page = client.get(grid_url(cycle))
    html = page.content.decode()
    assert page.status_code == 200
    assert "城东社区" in html and "城西社区" in html and "东湖社区" not in html
    assert 'name="value"' in html and 'value="88.5"' in html
    assert 'data-testid="counted-QA101-conflicts_resolved"' in html
    assert 'data-testid="filled"' in html and "1 / 2" in html


def test_a_cell_saves_and_shows_the_error_inline(world, cycle, login):
    client = login(world.town_assessor_a)
    url = reverse("metric-cell", args=[cycle.pk])
    post = {"community": world.community_a1.pk, "key": "service_coverage"}
    saved = client.post(url, {**post, "value": "91", "version": ""}, HTTP_HX_REQUEST="true")
    assert saved.status_code == 200
    assert MetricValue.objects.get().value == D("91")
    refused = client.post(url, {**post, "value": "-3", "version": "1"}, HTTP_HX_REQUEST="true")
    assert "城东社区的“服务覆盖率”不能为负数。" in refused.content.decode()
    assert MetricValue.objects.get().value == D("91")
    cleared = client.post(url, {**post, "value": "", "version": "1"}, HTTP_HX_REQUEST="true")
    assert cleared.status_code == 200
    assert not MetricValue.objects.exists()


def test_the_grid_is_for_staff_and_its_cells_for_those_who_enter(world, cycle, login):
    assert login(world.secretary_a1).get(grid_url(cycle)).status_code == 403
    observer = login(world.observer_a)
    assert observer.get(grid_url(cycle)).status_code == 200
    cell = reverse("metric-cell", args=[cycle.pk])
    assert observer.post(cell, {"community": world.community_a1.pk}).status_code == 403
    outsider = login(world.outsider_b)
    refused = outsider.post(
        cell, {"community": world.community_a1.pk, "key": "service_coverage", "value": "1"}
    )
    assert refused.status_code == 404


def test_a_cycle_of_another_county_is_not_found(world, cycle, login):
    assert login(world.split_person).get(grid_url(cycle)).status_code == 200
    other = open_seed_cycle(world.county_b)
    assert login(world.town_assessor_a).get(grid_url(other)).status_code == 404


def test_the_paste_page_reports_every_error_and_saves_nothing(world, cycle, login):
    client = login(world.county_assessor_a)
    url = reverse("metric-import", args=[cycle.pk])
    refused = client.post(url, {"text": "QA101\tservice_coverage\tx\nQX\tservice_coverage\t1"})
    html = refused.content.decode()
    assert "第 1 行：城东社区的“服务覆盖率”应为数字。" in html
    assert "第 2 行：社区编码“QX”不是本县/区的社区。" in html
    assert not MetricValue.objects.exists()
    done = client.post(url, {"text": "QA101\tservice_coverage\t90"})
    assert done.status_code == 302
    assert MetricValue.objects.get().value == D("90")


# ------------------------------------------------------------------- counted metrics


def grid_event(world, community, reported_on, resolved_on=None):
    return GridEvent.objects.create(
        community=getattr(world, community),
        reported_on=reported_on,
        category="dispute",
        description="纠纷",
        status=GridEventStatus.RESOLVED if resolved_on else GridEventStatus.HANDLING,
        resolved_on=resolved_on,
        reported_by=world.secretary_a1,
    )


def diary(world, recorded_on, resolved_on=None, community="community_a1"):
    return DiaryEntry.objects.create(
        community=getattr(world, community),
        recorded_on=recorded_on,
        category="dispute",
        content="民情",
        resolved=resolved_on is not None,
        resolved_on=resolved_on,
        author=world.secretary_a1,
    )


def test_resolved_conflicts_count_grid_events_resolved_within_the_period(world, cycle):
    """化解矛盾数: by 办结日期, from the first quarter's start to the last quarter's end."""
    grid_event(world, "community_a1", date(2025, 12, 20), resolved_on=date(2025, 12, 31))
    grid_event(world, "community_a1", date(2025, 12, 20), resolved_on=date(2026, 1, 1))
    grid_event(world, "community_a1", date(2026, 3, 1), resolved_on=date(2026, 3, 31))
    grid_event(world, "community_a1", date(2026, 3, 1), resolved_on=date(2026, 4, 1))
    grid_event(world, "community_a1", date(2026, 12, 1), resolved_on=date(2026, 12, 31))
    grid_event(world, "community_a1", date(2026, 5, 1))
    grid_event(world, "community_c1", date(2026, 5, 1), resolved_on=date(2026, 5, 2))
    counted = COUNTERS["resolved_conflicts"]
    assert counted(cycle, None) == {"QA101": 4, "QA102": 0, "QA201": 0}
    assert counted(cycle, date(2026, 3, 31)) == {"QA101": 2, "QA102": 0, "QA201": 0}
    assert COUNTERS["grid_events"](cycle, date(2026, 3, 31))["QA101"] == 2


def test_the_period_follows_the_cycle_quarters(world, cycle):
    grid_event(world, "community_a1", date(2026, 1, 2), resolved_on=date(2026, 1, 5))
    grid_event(world, "community_a1", date(2026, 1, 2), resolved_on=date(2026, 1, 10))
    Quarter.objects.filter(cycle=cycle, number=1).update(starts_on=date(2026, 1, 10))
    assert COUNTERS["resolved_conflicts"](cycle, None)["QA101"] == 1


def test_each_counter_is_one_query(world, cycle, django_assert_num_queries):
    for key in sorted(RECORD_COUNTER_KEYS):
        with django_assert_num_queries(1):
            COUNTERS[key](cycle, None)


def test_diary_counts_and_resolution_rate(world, cycle):
    """民情日记数, 民情办结数, 民情办结率 = 办结 / 日记 × 100; no entries → no value."""
    diary(world, date(2025, 12, 31), resolved_on=date(2026, 1, 2))
    diary(world, date(2026, 1, 1), resolved_on=date(2026, 1, 2))
    diary(world, date(2026, 2, 1), resolved_on=date(2026, 4, 2))
    diary(world, date(2026, 3, 31))
    quarter_end = date(2026, 3, 31)
    assert COUNTERS["diary_entries"](cycle, None)["QA101"] == 3
    assert COUNTERS["diary_resolved"](cycle, None)["QA101"] == 2
    assert COUNTERS["diary_resolved"](cycle, quarter_end)["QA101"] == 1
    rate = COUNTERS["diary_resolution_rate"](cycle, None)
    assert D(66.66) < rate["QA101"] < D(66.67)
    assert "QA102" not in rate
    assert COUNTERS["diary_resolution_rate"](cycle, quarter_end)["QA101"] == D(100) / 3


def test_a_counted_metric_feeds_a_bands_leaf_end_to_end(world, cycle):
    """SPEC §3.1 bands: the value of the highest threshold ≤ actual. The leaf is pointed
    at `resolved_conflicts` (bands 0:0, 10:2, 20:3, 30:4); 12 resolved events → 2."""
    template = cycle.frozen_template
    MetricDefinition.objects.create(
        template=template, key="resolved_conflicts", name="化解矛盾数", source="counted"
    )
    template.nodes.filter(metric_key="conflicts_resolved").update(metric_key="resolved_conflicts")
    for day in range(12):
        grid_event(world, "community_a1", date(2026, 5, 1), resolved_on=date(2026, 5, 2 + day))
    compute_cycle(cycle.pk)
    leaves = dict(
        LeafResult.objects.filter(
            sheet__results__version__is_current=True, leaf__metric_key="resolved_conflicts"
        ).values_list("sheet__participant__community__code", "target_value")
    )
    assert leaves == {"QA101": D("2.00"), "QA102": D("0.00"), "QA201": D("0.00")}


def test_resolving_a_grid_event_marks_the_cycle_results_stale(world, cycle):
    """DESIGN §3: a records write bumps the inputs of the cycles that count it."""
    event = services.report_grid_event(
        actor=world.secretary_a1,
        community=world.community_a1,
        reported_on=date(2026, 5, 1),
        category="dispute",
        description="纠纷",
    )
    compute_cycle(cycle.pk)
    assert not results_are_stale(Cycle.objects.get(pk=cycle.pk))
    services.move_grid_event(actor=world.secretary_a1, event=event, version=1, action="resolve")
    assert results_are_stale(Cycle.objects.get(pk=cycle.pk))


def test_the_cycle_page_links_the_grid_for_staff_and_records_for_everyone(world, cycle, login):
    url = reverse("cycle-detail", args=[cycle.pk])
    staff = login(world.town_assessor_a).get(url).content.decode()
    assert 'data-testid="metric-grid-link"' in staff and 'data-testid="records-link"' in staff
    own = login(world.secretary_a1).get(url).content.decode()
    assert 'data-testid="metric-grid-link"' not in own and 'data-testid="records-link"' in own
