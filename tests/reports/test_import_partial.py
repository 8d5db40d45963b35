"""SPEC §4: partial imports into an existing cycle (only 评分, 指标数据, 事项 or 测评) under
the same rules, who may import, previews, and the round trip export → re-read → re-import.

The sample county is imported (and computed) once for the module (`sample_cycle_id`);
each test runs in its own savepoint on top of it."""

from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied

from assessment.models import Cycle, Participant
from evidence.models import Event, EventOrigin, EventStatus, MetricValue
from indicators.models import BarsLevel, EventType
from org.models import OrgUnit, User
from org.scope import Role
from reports.excel.export import write_results
from reports.excel.importer import import_workbook
from reports.excel.layout import DETAIL_COLUMNS, RANKING_COLUMNS
from scoring.models import LeafResult, Result, ScoreEntry
from scoring.services import compute_cycle, current_results, results_are_stale
from surveys.models import PaperTally
from tests.factories import MembershipFactory, OrgUnitFactory, SecretaryFactory, UserFactory
from tests.reports import test_import_rejections
from tests.reports.test_import_rejections import (
    SAMPLE,
    SCORE_ROWS,
    add_row,
    assert_fault,
    mutated,
    only_error,
    rejected,
    result_rows,
    row_where,
    set_cell,
    table_counts,
)

COUNTY = "360400"


# The sample imported once for this module (a module-scoped fixture).
sample_cycle_id = test_import_rejections.sample_cycle_id


@pytest.fixture
def cycle(sample_cycle_id, db):
    return Cycle.objects.get(pk=sample_cycle_id)


@pytest.fixture
def county_admin(cycle):
    user = UserFactory(username="admin_360400")
    MembershipFactory(user=user, role=Role.ADMIN, org_unit=cycle.county)
    return user


def history_counts():
    return (
        ScoreEntry.history.count(),
        Event.history.count(),
        MetricValue.history.count(),
        PaperTally.history.count(),
        Participant.history.count(),
        OrgUnit.history.count(),
    )


def leaf_result(cycle, staff_no, code):
    return LeafResult.objects.get(
        sheet__results__version=current_results(cycle),
        sheet__participant__secretary__staff_no=staff_no,
        leaf__code=code,
    )


def recomputed(cycle):
    assert results_are_stale(Cycle.objects.get(pk=cycle.pk))
    compute_cycle(cycle.pk)
    cycle.refresh_from_db()
    assert not results_are_stale(cycle)
    return cycle


def changes(outcome):
    return {sheet: c.as_dict() for sheet, c in outcome.changes.items()}


def counts(created=0, changed=0, unchanged=0, deleted=0):
    return {"created": created, "changed": changed, "unchanged": unchanged, "deleted": deleted}


# --- only 评分 ----------------------------------------------------------------------------


def test_only_scores_one_changed_value(tmp_path, cycle, county_admin):
    """S001 · 1.1 · 目标 · T1: 5.8 → 5; the only target rater, so T of 1.1 becomes 5."""
    assert leaf_result(cycle, "S001", "1.1").target_value == Decimal("5.80")
    before = Result.objects.get(
        version=current_results(cycle), participant__secretary__staff_no="S001"
    )
    path = mutated(tmp_path, lambda wb: set_cell(wb["评分"], 3, "分数", 5))
    outcome = import_workbook(path, cycle=cycle, only={"评分"}, actor=county_admin)
    assert changes(outcome) == {"评分": counts(changed=1, unchanged=SCORE_ROWS - 2)}
    entry = ScoreEntry.objects.get(
        participant__cycle=cycle,
        participant__secretary__staff_no="S001",
        leaf__code="1.1",
        source="target",
    )
    assert (entry.value, entry.version, entry.history.count()) == (Decimal(5), 2, 2)
    assert entry.history.first().history_user == county_admin

    recomputed(cycle)
    assert leaf_result(cycle, "S001", "1.1").target_value == Decimal("5.00")
    after = Result.objects.get(
        version=current_results(cycle), participant__secretary__staff_no="S001"
    )
    assert after.target_total == before.target_total - Decimal("0.8")


def test_only_scores_a_new_value_is_created(tmp_path, cycle):
    def change(wb):
        add_row(wb["评分"], 工号="S001", 指标编码="1.1", 来源="目标", 评分人="T2", 分数=5)

    outcome = import_workbook(mutated(tmp_path, change), cycle=cycle, only={"评分"})
    assert changes(outcome) == {"评分": counts(created=1, unchanged=SCORE_ROWS - 1)}
    recomputed(cycle)
    assert leaf_result(cycle, "S001", "1.1").target_value == Decimal("5.40")  # (5.8 + 5) / 2


def test_only_scores_follows_the_same_rules(tmp_path, cycle):
    """The cycle's frozen tree is what a partial 评分 is checked against."""

    def change(wb):
        set_cell(wb["评分"], 17, "指标编码", "1.1")
        set_cell(wb["评分"], 17, "分数", 7.5)
        set_cell(wb["评分"], 20, "指标编码", "1.3")  # 目标 on a 目标-method leaf
        set_cell(wb["评分"], 21, "工号", "S999")

    before = table_counts(), result_rows(cycle.pk)
    errors = rejected(mutated(tmp_path, change), cycle=cycle, only={"评分"})
    assert [str(e) for e in errors] == [
        "评分!E17 分数 7.5 超过该指标分值 6",
        "评分!C20 来源 指标 1.3 自动计分，不能录入目标量评分数",
        "评分!A21 工号 工号 S999 不是本周期的参评书记",
    ]
    assert (table_counts(), result_rows(cycle.pk)) == before


# --- only 指标数据 ------------------------------------------------------------------------


def test_only_metrics(tmp_path, cycle):
    """S001's 党员发展数 2 → 1 against a target of 2: 1.3 (4 points) gives 4 × 1/2 = 2."""
    assert leaf_result(cycle, "S001", "1.3").target_value == Decimal("4.00")

    def change(wb):
        ws = wb["指标数据"]
        set_cell(ws, row_where(ws, 社区编码="36040001001", 数据项="党员发展数"), "实际值", 1)

    outcome = import_workbook(mutated(tmp_path, change), cycle=cycle, only={"指标数据"})
    assert changes(outcome) == {"指标数据": counts(changed=1, unchanged=199)}
    recomputed(cycle)
    leaf = leaf_result(cycle, "S001", "1.3")
    assert (leaf.target_value, leaf.org_value, leaf.basis) == (
        Decimal("2.00"),
        Decimal("2.00"),
        Decimal("1.0000"),
    )


def test_only_metrics_refuses_a_percentage_over_100(tmp_path, cycle):
    """A 数据项 measured in % lies between 0 and 100 (issue 14, item 10)."""
    cycle.frozen_template.metrics.filter(key="党员发展数").update(unit="%")

    def change(wb):
        ws = wb["指标数据"]
        row = row_where(ws, 社区编码="36040001001", 数据项="党员发展数")
        set_cell(ws, row, "实际值", 150)

    error = only_error(rejected(mutated(tmp_path, change), cycle=cycle, only={"指标数据"}))
    assert error.column == "实际值" and "150 不在 0 到 100 之间（“党员发展数”是百分比）" in str(
        error
    )


def test_only_metrics_rejects_an_unknown_item(tmp_path, cycle):
    path = mutated(tmp_path, lambda wb: set_cell(wb["指标数据"], 3, "数据项", "党员人数"))
    error = only_error(rejected(path, cycle=cycle, only={"指标数据"}))
    assert_fault(error, "指标数据", 3, "数据项", "B", "“党员人数”不是任何指标使用的数据项")


def test_only_metrics_refuses_a_counted_item(tmp_path, cycle):
    """A counted 数据项 comes from the records kept in the product, never from a file."""
    cycle.frozen_template.metrics.filter(key="化解矛盾数").update(source="counted")
    errors = rejected(SAMPLE, cycle=cycle, only={"指标数据"})
    assert len(errors) == 40  # one row per community
    assert_fault(
        errors[0], "指标数据", 3, "数据项", "B", "“化解矛盾数”由系统按民情日记、网格事件等记录统计"
    )


@pytest.mark.parametrize("status", ["review", "published", "archived"])
def test_a_cycle_in_review_or_published_refuses_any_import(cycle, status):
    """DESIGN §4: a published cycle refuses every write; in 公示 the results are under
    review. Checked before reading on, and again under the cycle's lock when writing."""
    Cycle.objects.filter(pk=cycle.pk).update(status=status)
    cycle.refresh_from_db()
    before = table_counts()
    error = only_error(rejected(SAMPLE, cycle=cycle, only={"评分"}))
    assert (error.sheet, error.row, error.column) == ("周期", None, None)
    assert "不能再导入修改" in error.message
    assert table_counts() == before


# --- only 事项 ----------------------------------------------------------------------------


def test_only_events_a_removed_row_deletes_that_imported_event(tmp_path, cycle):
    """S001's E09 row leaves the file: that imported event goes; an event reported in
    the browser is never touched by an import."""
    participant = cycle.participants.get(secretary__staff_no="S001")
    reported = Event.objects.create(
        participant=participant,
        event_type=EventType.objects.get(template=cycle.frozen_template, code="E09"),
        occurred_on=date(2026, 1, 4),
        description="E09 记录",  # the same as the imported row, but reported in the browser
        origin=EventOrigin.REPORTED,  # 待核实: it does not count yet
    )
    imported = Event.objects.get(
        participant=participant, origin=EventOrigin.IMPORTED, event_type__code="E09"
    )
    outcome = import_workbook(
        mutated(tmp_path, lambda wb: wb["事项"].delete_rows(2)), cycle=cycle, only={"事项"}
    )
    assert changes(outcome) == {"事项": counts(unchanged=136, deleted=1)}
    assert not Event.objects.filter(pk=imported.pk).exists()
    reported.refresh_from_db()
    assert (reported.origin, reported.status) == (EventOrigin.REPORTED, EventStatus.REPORTED)
    assert Event.objects.filter(participant__cycle=cycle).count() == 137  # 136 + reported

    # S001 no longer loses 5 points on 4.1 (E09, -5) for a meeting missed
    recomputed(cycle)
    assert leaf_result(cycle, "S001", "4.1").target_value == Decimal("5.00")


def test_only_events_status_change(tmp_path, cycle):
    """A 待核实 event verified in the file is updated in place (no delete and create)."""
    event = Event.objects.get(
        participant__cycle=cycle,
        participant__secretary__staff_no="S009",
        event_type__code="E01",
        occurred_on=date(2026, 6, 16),
    )
    assert event.status == EventStatus.REPORTED
    path = mutated(tmp_path, lambda wb: set_cell(wb["事项"], 30, "状态", "已核实"))
    outcome = import_workbook(path, cycle=cycle, only={"事项"})
    assert changes(outcome) == {"事项": counts(changed=1, unchanged=136)}
    event.refresh_from_db()
    assert (event.status, event.verification_note) == (EventStatus.VERIFIED, "Excel 导入")


def test_only_events_follows_the_same_rules(tmp_path, cycle):
    def change(wb):
        set_cell(wb["事项"], 7, "状态", "已确认")
        set_cell(wb["事项"], 9, "事项类型编码", "E99")

    before = table_counts()
    errors = rejected(mutated(tmp_path, change), cycle=cycle, only={"事项"})
    assert [(e.sheet, e.row, e.column, e.letter) for e in errors] == [
        ("事项", 7, "状态", "E"),
        ("事项", 9, "事项类型编码", "B"),
    ]
    assert "不在事项类型表中" in errors[1].message
    assert table_counts() == before


# --- only 测评 ----------------------------------------------------------------------------


def test_only_surveys(tmp_path, cycle, county_admin):
    """S001's community, 居民代表: 24/4/2 (+2 不了解) → 30/0/0: the rate moves to 100.
    The admin's counts are their own keying (the first import's was the workbook's);
    with single entry the latest keying counts, and unchanged rows are left alone."""
    before = leaf_result(cycle, "S001", "2.7").target_value

    def change(wb):
        set_cell(wb["测评"], 2, "满意", 30)
        set_cell(wb["测评"], 2, "基本满意", 0)
        set_cell(wb["测评"], 2, "不满意", 0)

    path = mutated(tmp_path, change)
    outcome = import_workbook(path, cycle=cycle, only={"测评"}, actor=county_admin)
    assert changes(outcome) == {"测评": counts(created=1, unchanged=114)}
    assert PaperTally.objects.filter(keyed_by=county_admin).count() == 1
    recomputed(cycle)
    after = leaf_result(cycle, "S001", "2.7")
    assert after.target_value > before
    # 居民代表 100 × 60, 物业 (3·100 + 2·0) / 5 = 60 × 20, 共建单位 (3·100 + 60) / 4 = 90 × 20
    assert after.basis == Decimal("90.0000")
    assert after.target_value == Decimal("13.50")  # 15 × 90 / 100


def test_only_surveys_rejects_a_bad_count(tmp_path, cycle):
    path = mutated(tmp_path, lambda wb: set_cell(wb["测评"], 4, "不了解", 1.5))
    error = only_error(rejected(path, cycle=cycle, only={"测评"}))
    assert_fault(error, "测评", 4, "不了解", "F", "应为不小于 0 的整数", "1.5")


# --- which sheets ------------------------------------------------------------------------


def test_sheets_not_asked_for_are_ignored_even_when_broken(tmp_path, cycle):
    def change(wb):
        wb.remove(wb["书记"])
        set_cell(wb["事项"], 7, "状态", "已确认")
        set_cell(wb["设置"], 6, "值", 99)
        set_cell(wb["评分"], 3, "分数", 5)

    outcome = import_workbook(mutated(tmp_path, change), cycle=cycle, only={"评分"})
    assert set(outcome.changes) == {"评分"}
    assert outcome.changes["评分"].changed == 1


def test_a_sheet_asked_for_must_be_there(tmp_path, cycle):
    path = mutated(tmp_path, lambda wb: wb.remove(wb["测评"]))
    error = only_error(rejected(path, cycle=cycle, only={"评分", "测评"}))
    assert_fault(error, "测评", None, None, None, "缺少工作表“测评”")


def test_only_the_data_sheets_may_be_imported_alone(cycle):
    error = only_error(rejected(SAMPLE, cycle=cycle, only={"评分", "书记"}))
    assert (error.sheet, error.row, error.column) == ("书记", None, None)
    assert "只能单独导入" in error.message and "评分、指标数据、事项、测评" in error.message


def test_all_data_sheets_of_the_same_file_change_nothing(cycle):
    """`only=None` into a cycle: the four data sheets; the same file is a no-op."""
    before = history_counts(), cycle.inputs_version
    outcome = import_workbook(SAMPLE, cycle=cycle)
    assert list(outcome.changes) == ["事项", "指标数据", "评分", "测评"]
    assert not outcome.changed_anything, outcome.as_dict()
    cycle.refresh_from_db()
    assert (history_counts(), cycle.inputs_version) == before


# --- who may import ----------------------------------------------------------------------


def test_someone_without_scope_may_not_import_into_the_cycle(cycle):
    town_assessor = UserFactory(username="town_360400")
    MembershipFactory(
        user=town_assessor,
        role=Role.TOWN_ASSESSOR,
        org_unit=OrgUnit.objects.get(code="36040001"),
    )
    stranger = UserFactory(username="nobody")
    before = table_counts()
    for user in (town_assessor, stranger):
        with pytest.raises(PermissionDenied):
            import_workbook(SAMPLE, cycle=cycle, only={"评分"}, actor=user)
    assert table_counts() == before


def test_admin_of_another_county_is_refused_on_the_unit_sheet(cycle):
    other = OrgUnitFactory(code="QX", name="外县")
    admin = UserFactory(username="admin_qx")
    MembershipFactory(user=admin, role=Role.ADMIN, org_unit=other)
    before = table_counts()
    error = only_error(rejected(SAMPLE, actor=admin))
    assert_fault(error, "单位", None, "编码", "A", "不是县/区 360400 的管理员")
    assert table_counts() == before


def test_a_rater_account_of_someone_else_is_refused(tmp_path, cycle, county_admin):
    """Naming a real account outside the importer's reach would score in its name."""
    other = OrgUnitFactory(code="QY", name="另一县")
    MembershipFactory(user=UserFactory(username="someone_else"), role=Role.ADMIN, org_unit=other)
    path = mutated(tmp_path, lambda wb: set_cell(wb["评分"], 3, "评分人", "someone_else"))
    error = only_error(rejected(path, cycle=cycle, only={"评分"}, actor=county_admin))
    assert_fault(error, "评分", 3, "评分人", "D", "“someone_else”不在您管理的范围内")


# --- preview -----------------------------------------------------------------------------


def test_dry_run_reports_counts_and_writes_nothing(tmp_path, cycle, county_admin):
    def change(wb):
        set_cell(wb["评分"], 3, "分数", 5)
        wb["事项"].delete_rows(2)

    before = table_counts(), cycle.inputs_version
    outcome = import_workbook(
        mutated(tmp_path, change),
        cycle=cycle,
        only={"评分", "事项"},
        actor=county_admin,
        dry_run=True,
    )
    assert outcome.applied is False
    assert changes(outcome) == {
        "事项": counts(unchanged=136, deleted=1),
        "评分": counts(changed=1, unchanged=SCORE_ROWS - 2),
    }
    cycle.refresh_from_db()
    assert (table_counts(), cycle.inputs_version) == before


def test_dry_run_of_a_whole_new_cycle(tmp_path, cycle):
    """A preview of a new cycle counts everything it would create."""

    def change(wb):
        set_cell(wb["设置"], 2, "值", "2027年度示例县社区书记考核")
        set_cell(wb["设置"], 3, "值", 2027)

    before = table_counts()
    outcome = import_workbook(mutated(tmp_path, change), dry_run=True)
    assert not outcome.applied
    assert outcome.changes["设置"].created == 1
    assert outcome.changes["书记"].as_dict() == counts(created=40)  # new participants…
    assert outcome.changes["评分"].created == SCORE_ROWS - 1  # … new scores
    assert outcome.changes["单位"].as_dict() == counts(unchanged=85)
    assert table_counts() == before


def test_outcome_as_dict(tmp_path, cycle):
    path = mutated(tmp_path, lambda wb: set_cell(wb["评分"], 3, "分数", 5))
    outcome = import_workbook(path, cycle=cycle, only=["评分"])
    assert outcome.as_dict() == {
        "cycle_id": cycle.pk,
        "changes": {"评分": counts(changed=1, unchanged=SCORE_ROWS - 2)},
        "warnings": [],
        "applied": True,
    }


# --- round trip --------------------------------------------------------------------------


def read_sheet(path, name):
    sheet = openpyxl.load_workbook(path, read_only=True, data_only=True)[name]
    rows = list(sheet.iter_rows(values_only=True))
    return rows[0], [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def number(value):
    assert not isinstance(value, str), f"a number is written as text: {value!r}"
    return None if value is None else Decimal(str(value))


def test_export_reads_back_as_the_stored_results(tmp_path, cycle):
    path = tmp_path / "results.xlsx"
    write_results(cycle, path)
    results = {
        r.participant.secretary.staff_no: r
        for r in Result.objects.filter(version=current_results(cycle)).select_related(
            "participant__secretary"
        )
    }
    header, ranking = read_sheet(path, "排名")
    assert header == RANKING_COLUMNS
    assert len(ranking) == len(results) == 40
    fields = {
        "自评": "self_total",
        "目标量评": "target_total",
        "组织考评": "org_total",
        "综合得分": "composite",
        "加分": "bonus",
        "最终得分": "final",
        "系数": "coefficient",
        "绩效报酬": "pay",
    }
    for row in ranking:
        result = results[row["工号"]]
        for column, field in fields.items():
            assert number(row[column]) == getattr(result, field), (row["工号"], column)
        assert row["排名"] == result.rank
        assert row["等次"] == result.grade

    header, detail = read_sheet(path, "明细")
    assert header == DETAIL_COLUMNS
    leaves = {
        (leaf.sheet.participant.secretary.staff_no, leaf.leaf.code): leaf
        for leaf in LeafResult.objects.filter(sheet__results__in=results.values()).select_related(
            "sheet__participant__secretary", "leaf"
        )
    }
    assert len(detail) == len(leaves) == 40 * 21
    for row in detail:
        leaf = leaves[row["工号"], row["指标编码"]]
        assert number(row["分值"]) == leaf.leaf.points
        assert (number(row["自评"]), number(row["目标量评"]), number(row["组织考评"])) == (
            leaf.self_value,
            leaf.target_value,
            leaf.org_value,
        )


def test_reimport_after_export_is_a_no_op(tmp_path, cycle, county_admin):
    """After a command-line import and an export, the county's admin re-imports the same
    workbook, whole and in part: nothing changes (no row, no audit record, results still
    current). The raters the first import named (accounts it made, which cannot log in
    and hold no role) are not refused as someone else's; the paper counts it keyed are
    not keyed again in the admin's name."""
    write_results(cycle, tmp_path / "results.xlsx")
    before = history_counts(), table_counts(), result_rows(cycle.pk), cycle.inputs_version
    whole = import_workbook(SAMPLE, actor=county_admin)
    assert whole.cycle_id == cycle.pk
    assert not whole.changed_anything, whole.as_dict()
    part = import_workbook(SAMPLE, cycle=cycle, only={"评分", "测评"}, actor=county_admin)
    assert not part.changed_anything, part.as_dict()
    cycle.refresh_from_db()
    assert not results_are_stale(cycle)
    after = history_counts(), table_counts(), result_rows(cycle.pk), cycle.inputs_version
    assert after == before


# --- another county's units, people and accounts ---------------------------------------


@pytest.fixture
def other_county(db):
    county = OrgUnitFactory(code="QZ", name="邻县")
    town = OrgUnitFactory(code="QZ1", name="邻镇", kind="town", parent=county)
    community = OrgUnitFactory(code="QZ101", name="邻社区", kind="community", parent=town)
    return community


def test_a_new_unit_may_not_hang_under_another_countys_unit(tmp_path, cycle, other_county):
    """The file describes one county: a unit under a unit of another county is refused
    (whoever imports), so nobody grows another county's tree through a workbook."""

    def change(wb):
        return add_row(wb["单位"], 编码="NEWC", 名称="新社区", 类型="社区", 上级编码="QZ1")

    before = table_counts()
    error = only_error(rejected(mutated(tmp_path, change)))
    assert_fault(error, "单位", 87, "上级编码", "D", "上级单位 QZ1 属于其他县/区")
    assert table_counts() == before


def test_an_admin_may_not_take_over_a_secretary_of_another_county(
    tmp_path, cycle, county_admin, other_county
):
    """工号 is unique across the deployment: listing another county's secretary would
    move and rename them."""
    SecretaryFactory(staff_no="QZS1", name="邻县书记", community=other_county)

    def change(wb):
        add_row(wb["书记"], 工号="QZS1", 姓名="改名", 社区编码="36040001001", 参加评定="是")

    before = table_counts()
    error = only_error(rejected(mutated(tmp_path, change), actor=county_admin))
    assert_fault(error, "书记", 42, "工号", "A", "工号 QZS1 是其他县/区的书记")
    assert table_counts() == before


def test_a_real_account_never_becomes_a_secretarys_own_by_its_username(tmp_path, cycle):
    """自评 rows are the secretary's own: an existing person's account that happens to
    be named like the 工号 is not linked (that would score in their name)."""
    person = UserFactory(username="SNEW")
    MembershipFactory(user=person, role=Role.COUNTY_ASSESSOR, org_unit=other_county_unit())

    def change(wb):
        add_row(wb["书记"], 工号="SNEW", 姓名="新书记", 社区编码="36040001001", 参加评定="是")
        add_row(wb["评分"], 工号="SNEW", 指标编码="1.1", 来源="自评", 评分人="SNEW", 分数=5)

    before = table_counts()
    error = only_error(rejected(mutated(tmp_path, change)))
    assert (error.sheet, error.column) == ("评分", "评分人")
    assert "已是他人的登录账号" in error.message
    assert table_counts() == before
    assert not hasattr(User.objects.get(pk=person.pk), "secretary")


def other_county_unit():
    return OrgUnitFactory(code="QW", name="另一个县")


def test_a_whole_reimport_takes_no_counted_item_from_the_file(cycle):
    """Counted 数据项 come from the records kept in the product, in a whole re-import too."""
    cycle.frozen_template.metrics.filter(key="化解矛盾数").update(source="counted")
    errors = rejected(SAMPLE)
    assert len(errors) == 40
    assert_fault(
        errors[0], "指标数据", 3, "数据项", "B", "“化解矛盾数”由系统按民情日记、网格事件等记录统计"
    )


# --- behaviour anchors (BARS) -----------------------------------------------------------


@pytest.fixture
def anchored(cycle):
    """Leaf 1.1 (6 points) of the cycle scored by levels: 优秀 6, 良好 4, 一般 2."""
    leaf = cycle.frozen_template.nodes.get(code="1.1")
    for position, (label, value) in enumerate((("优秀", 6), ("良好", 4), ("一般", 2))):
        BarsLevel.objects.create(node=leaf, position=position, label=label, value=value)
    return leaf


def test_on_an_anchored_leaf_a_value_must_be_a_levels(tmp_path, cycle, anchored):
    """As in the score grid, a rater picks a level: 5.8 is no level of 1.1."""

    def change(wb):
        ws = wb["评分"]
        ws.delete_rows(2, ws.max_row)
        add_row(ws, 工号="S001", 指标编码="1.1", 来源="组织", 评分人="O1", 分数=5.8)

    error = only_error(rejected(mutated(tmp_path, change), cycle=cycle, only={"评分"}))
    assert_fault(error, "评分", 2, "分数", "E", "5.8 不是指标 1.1 的行为锚定等级分值", "6（优秀）")


def test_an_anchored_value_is_stored_with_its_level(tmp_path, cycle, anchored):
    def change(wb):
        ws = wb["评分"]
        ws.delete_rows(2, ws.max_row)
        add_row(ws, 工号="S001", 指标编码="1.1", 来源="组织", 评分人="O2", 分数=4)

    import_workbook(mutated(tmp_path, change), cycle=cycle, only={"评分"})
    entry = ScoreEntry.objects.get(
        participant__cycle=cycle,
        participant__secretary__staff_no="S001",
        leaf=anchored,
        source="org",
        rater__username="O2",
    )
    assert (entry.value, entry.level.label) == (Decimal("4.00"), "良好")
