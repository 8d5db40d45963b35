"""分档定薪表 (SPEC §2 Pay band sheet, §3.5 Pay tiers): the sheet reads the published
results (tier, coefficient, pay as the engine stored them), totals per tier and town
against 绩效基数, 专项奖励 lines approved by a second person, frozen with the published
results; the county's staff read it, nobody else (DESIGN §4)."""

import io
from decimal import Decimal as D

import openpyxl
import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.urls import reverse
from pdfminer.high_level import extract_text

from assessment import services as cycles
from assessment.models import Cycle
from core.versioning import StaleVersion
from org.models import OrgUnitKind
from org.scope import Role
from reports import services as report_services
from reports.models import Job, JobKind, JobState, RewardKind, RewardStatus, SpecialReward
from reports.paybands import services as rewards
from reports.paybands.selectors import pay_sheet, published_version
from scoring.models import Result, ScoreEntry, Source
from scoring.services import compute_cycle, current_results
from tests.factories import (
    MembershipFactory,
    OrgUnitFactory,
    SecretaryFactory,
    UserFactory,
    complete_scoring,
    fresh_cycle,
    open_seed_cycle,
)
from tests.pdfs import embedded_fonts

# One world and one published cycle for the module; each test runs in a savepoint.
pytestmark = pytest.mark.usefixtures("shared_world")


@pytest.fixture(scope="module")
def module_cycle(shared_world):
    """County QA's cycle, published, 绩效基数 60,000: 甲 (a1, 城关镇) ranks 1 → 一档,
    乙 (a2, 城关镇) 2 → 二档, 丙 (b1, 东湖街道) 3 → 三档 (n = 3: top = bottom =
    round_half_up(0.6) = 1); 丁 (东湖街道) is not graded (任职不满六个月)."""
    world = shared_world
    cycle = open_seed_cycle(world.county_a, pay_base=D("60000"))
    community = OrgUnitFactory(
        code="QA202", name="湖滨社区", kind=OrgUnitKind.COMMUNITY, parent=world.town_b
    )
    newcomer = SecretaryFactory(community=community, name="丁书记", staff_no="SB2")
    newcomer = cycles.enrol_secretary(actor=None, cycle=cycle, secretary=newcomer)
    cycles.set_grading(
        actor=None,
        participant=newcomer,
        version=newcomer.version,
        is_graded=False,
        reason="任职不满六个月",
    )
    cycle = cycles.transition(actor=None, cycle=cycle, name="start_scoring", version=cycle.version)
    cycle = complete_scoring(cycle, world.county_assessor_a)
    for key, share in (("a2", D("0.75")), ("b1", D("0.5"))):
        ScoreEntry.objects.filter(
            participant__cycle=cycle, participant__secretary=world.secretaries[key]
        ).filter(source=Source.ORG).update(value=F("value") * share)
    cycles.mark_inputs_changed(cycle)
    compute_cycle(cycle.pk)
    cycle = Cycle.objects.get(pk=cycle.pk)
    cycle = cycles.transition(actor=None, cycle=cycle, name="start_review", version=cycle.version)
    return cycles.transition(
        actor=world.county_assessor_a, cycle=cycle, name="publish", version=cycle.version
    )


@pytest.fixture
def cycle(module_cycle, db):
    return fresh_cycle(module_cycle)


def participant(world, cycle, key):
    return cycle.participants.get(secretary=world.secretaries[key])


def sheet_url(cycle):
    return reverse("pay-bands", args=[cycle.pk])


def flashed(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def add(world, cycle, key="a1", *, actor=None, amount="2000", reason="超额完成征兵任务", kind=None):
    return rewards.add_reward(
        actor=actor or world.admin_a,
        participant=participant(world, cycle, key),
        kind=kind or RewardKind.EXCESS_TASK,
        reason=reason,
        amount=amount,
    )


def decide(line, actor, approve=True, reason=""):
    return rewards.decide_reward(
        actor=actor, reward=line, version=line.version, approve=approve, reason=reason
    )


def county_observer(world):
    user = UserFactory(username="observer_county", full_name="县纪检")
    MembershipFactory(user=user, role=Role.OBSERVER, org_unit=world.county_a)
    return user


def draft_cycle(county):
    """A second cycle of the county, still 草稿 (cheap: no template, nobody scored)."""
    cycle = cycles.create_cycle(actor=None, county=county, name="2027年度考核", year=2027)
    cycles.enrol_county(actor=None, cycle=cycle)
    return cycle


def by_staff_no(sheet):
    return {
        row.participant.secretary.staff_no: (
            row.result.tier,
            row.result.coefficient,
            row.result.pay,
        )
        for row in sheet.rows
    }


# ---------------------------------------------------------------------------- the sheet


def test_the_sheet_shows_the_published_results_tier_coefficient_and_pay(world, cycle, login):
    version = published_version(cycle)
    assert version is not None and version.is_published
    stored = {
        r.participant.secretary.staff_no: (r.tier, r.coefficient, r.pay)
        for r in Result.objects.filter(version=version, graded=True).select_related(
            "participant__secretary"
        )
    }
    assert stored == {
        "SA1": ("一档", D("1.100"), D("66000.00")),
        "SA2": ("二档", D("1.000"), D("60000.00")),
        "SB1": ("三档", D("0.900"), D("54000.00")),
    }
    response = login(world.county_assessor_a).get(sheet_url(cycle))
    assert response.status_code == 200
    sheet = response.context["sheet"]
    assert by_staff_no(sheet) == stored
    assert [row.result.rank for row in sheet.rows] == [1, 2, 3]
    assert [r.participant.secretary.name for r in sheet.ungraded] == ["丁书记"]
    html = response.content.decode()
    assert "66,000.00 元" in html and "54,000.00 元" in html
    assert 'data-testid="ungraded"' in html and "丁书记" in html
    # The page says which publication it reflects.
    assert f"结果版本 #{version.pk}" in html and "县考核员甲" in html


def test_totals_per_tier_and_per_town_against_the_pay_base(world, cycle, login):
    sheet = login(world.admin_a).get(sheet_url(cycle)).context["sheet"]
    assert [(t.label, t.coefficient, t.count, t.pay) for t in sheet.tiers] == [
        ("一档", D("1.10"), 1, D("66000.00")),
        ("二档", D("1.00"), 1, D("60000.00")),
        ("三档", D("0.90"), 1, D("54000.00")),
    ]
    assert [(t.name, t.count, t.pay, t.base) for t in sheet.towns] == [
        ("城关镇", 2, D("126000.00"), D("120000.00")),
        ("东湖街道", 1, D("54000.00"), D("60000.00")),
    ]
    assert sheet.count == 3
    assert sheet.pay_total == D("180000.00") == sheet.pay_expected
    assert sheet.grand_total == D("180000.00")


def test_a_new_publication_changes_the_sheet_and_an_unpublished_recompute_does_not(world, cycle):
    """Frozen with the published results: an appeal's correction, recomputed, does not
    touch the sheet until the results are published again. (The product publishes a
    cycle once; the test reopens it to 公示 as a reopening after an appeal would.)"""
    before = by_staff_no(pay_sheet(cycle, published_version(cycle)))
    Cycle.objects.filter(pk=cycle.pk).update(status="review")
    cycle = Cycle.objects.get(pk=cycle.pk)
    entries = list(
        ScoreEntry.objects.filter(
            participant__cycle=cycle, participant__secretary=world.secretaries["b1"]
        ).select_related("leaf")
    )
    for entry in entries:
        entry.value = entry.leaf.points
    ScoreEntry.objects.bulk_update(entries, ["value"])
    cycles.mark_inputs_changed(cycle)
    recomputed = compute_cycle(cycle.pk)
    assert recomputed is not None and current_results(cycle) == recomputed
    assert Result.objects.get(version=recomputed, participant__secretary__staff_no="SB1").rank == 1
    assert by_staff_no(pay_sheet(cycle, published_version(cycle))) == before

    cycle = Cycle.objects.get(pk=cycle.pk)
    cycles.transition(actor=None, cycle=cycle, name="publish", version=cycle.version)
    assert published_version(cycle) == recomputed
    after = by_staff_no(pay_sheet(cycle, published_version(cycle)))
    assert after != before
    assert after["SB1"] == ("一档", D("1.100"), D("66000.00"))


# --------------------------------------------------------------------------- rewards


def test_a_reward_line_needs_a_reason_and_a_positive_amount_in_yuan_and_fen(world, cycle):
    with pytest.raises(ValidationError) as refused:
        add(world, cycle, reason="  ", amount="0")
    assert refused.value.message_dict == {
        "reason": ["请写明奖励事由。"],
        "amount": ["奖励金额须大于 0。"],
    }
    for amount, message in [
        ("-5", "须大于 0"),
        ("12.345", "最多保留两位小数"),
        ("两千", "须为数字"),
        ("", "须为数字"),
    ]:
        with pytest.raises(ValidationError, match=message):
            add(world, cycle, amount=amount)
    with pytest.raises(ValidationError, match="奖励类别"):
        add(world, cycle, kind="bonus")
    assert not SpecialReward.objects.exists()
    line = add(world, cycle, amount="1500.5", kind=RewardKind.INNOVATION)
    assert line.amount == D("1500.50") and line.status == RewardStatus.PENDING
    assert line.added_by == world.admin_a


def test_a_non_graded_participant_gets_no_reward_line(world, cycle):
    newcomer = cycle.participants.get(secretary__staff_no="SB2")
    with pytest.raises(ValidationError, match="不在已发布结果的分档定薪名单中"):
        rewards.add_reward(
            actor=world.admin_a,
            participant=newcomer,
            kind=RewardKind.OTHER,
            reason="协助拆迁",
            amount="100",
        )


def test_the_author_cannot_approve_their_own_line_a_second_person_can(world, cycle):
    line = add(world, cycle)
    with pytest.raises(ValidationError, match="双人复核"):
        decide(line, world.admin_a)
    line.refresh_from_db()
    assert line.status == RewardStatus.PENDING
    decided = decide(line, world.county_assessor_a)
    assert decided.status == RewardStatus.APPROVED
    assert decided.decided_by == world.county_assessor_a and decided.version == 2
    with pytest.raises(ValidationError, match="只有待审批的可以审批"):
        decide(decided, world.admin_a)


def test_a_rejection_needs_a_reason(world, cycle):
    line = add(world, cycle)
    with pytest.raises(ValidationError, match="不予批准须写明理由"):
        decide(line, world.county_assessor_a, approve=False, reason=" ")
    rejected = decide(line, world.county_assessor_a, approve=False, reason="无佐证材料")
    assert rejected.status == RewardStatus.REJECTED and rejected.decision_reason == "无佐证材料"


def test_only_the_county_admins_and_assessors_add_and_decide(world, cycle):
    with pytest.raises(PermissionDenied):
        add(world, cycle, actor=world.town_assessor_a)
    line = add(world, cycle)
    for outsider in (world.observer_a, world.town_assessor_a, world.split_person):
        with pytest.raises(PermissionDenied):
            decide(line, outsider)


def test_pending_and_rejected_lines_are_shown_but_only_approved_ones_are_totalled(
    world, cycle, login
):
    approved = decide(add(world, cycle, "a1", amount="2000"), world.county_assessor_a)
    decide(
        add(world, cycle, "a1", amount="300", reason="重复申报"),
        world.county_assessor_a,
        approve=False,
        reason="与上一条重复",
    )
    add(world, cycle, "b1", amount="800.25", reason="创新“红色物业”", kind=RewardKind.INNOVATION)
    response = login(world.county_assessor_a).get(sheet_url(cycle))
    sheet = response.context["sheet"]
    assert [line.status for line in sheet.rewards] == ["approved", "rejected", "pending"]
    rows = {row.participant.secretary.staff_no: row for row in sheet.rows}
    assert rows["SA1"].rewards == approved.amount == D("2000.00")
    assert rows["SA1"].total == D("68000.00")
    assert rows["SB1"].rewards == D("0") and rows["SB1"].total == D("54000.00")
    assert sheet.rewards_total == D("2000.00")
    assert sheet.grand_total == D("182000.00")
    towns = {t.name: (t.rewards, t.pending, t.total) for t in sheet.towns}
    assert towns == {
        "城关镇": (D("2000.00"), 0, D("128000.00")),
        "东湖街道": (D("0.00"), 1, D("54000.00")),
    }
    html = response.content.decode()
    assert html.count('data-testid="reward-line"') == 3
    assert "创新“红色物业”" in html and "与上一条重复" in html
    assert "182,000.00 元" in html


def test_rewards_are_refused_before_publication(world, cycle, login):
    draft = draft_cycle(world.county_a)
    with pytest.raises(ValidationError, match="当前为“草稿”：专项奖励只能在结果发布后"):
        rewards.add_reward(
            actor=world.admin_a,
            participant=draft.participants.get(secretary=world.secretaries["a1"]),
            kind=RewardKind.OTHER,
            reason="提前登记",
            amount="100",
        )
    client = login(world.admin_a)
    response = client.get(sheet_url(draft))
    assert response.status_code == 200
    assert 'data-testid="not-published"' in response.content.decode()
    assert response.context["form"] is None
    response = client.post(
        reverse("pay-reward-add", args=[draft.pk]),
        {"participant": "1", "kind": "other", "reason": "提前", "amount": "1"},
    )
    assert response.status_code == 302
    assert any("结果发布后才有分档定薪表" in m for m in flashed(response))
    assert not SpecialReward.objects.exists()


def test_rewards_are_refused_once_the_cycle_is_archived(world, cycle, login):
    line = add(world, cycle)
    cycle = cycles.transition(actor=None, cycle=cycle, name="archive", version=cycle.version)
    with pytest.raises(ValidationError, match="当前为“已归档”"):
        add(world, cycle)
    with pytest.raises(ValidationError, match="当前为“已归档”"):
        decide(line, world.county_assessor_a)
    response = login(world.county_assessor_a).get(sheet_url(cycle))
    assert response.status_code == 200 and response.context["sheet"] is not None
    assert response.context["form"] is None
    assert 'data-testid="approve"' not in response.content.decode()


def test_a_stale_version_is_refused(world, cycle, login):
    line = add(world, cycle)
    stale = line.version
    decide(line, world.county_assessor_a, approve=False, reason="材料不全")
    with pytest.raises(StaleVersion):
        rewards.decide_reward(
            actor=world.county_assessor_a, reward=line, version=stale, approve=True
        )
    with pytest.raises(ValidationError, match="缺少版本号"):
        rewards.decide_reward(
            actor=world.county_assessor_a, reward=line, version=None, approve=True
        )
    response = login(world.county_assessor_a).post(
        reverse("pay-reward-decide", args=[cycle.pk]),
        {"reward": line.pk, "version": stale, "decision": "approve"},
    )
    assert response.status_code == 302
    assert any("已被他人修改" in m for m in flashed(response))
    line.refresh_from_db()
    assert line.status == RewardStatus.REJECTED


def test_lines_are_audited_with_who_made_each_change(world, cycle):
    line = add(world, cycle)
    decide(line, world.county_assessor_a)
    trail = list(line.history.order_by("history_id").values_list("status", "history_user"))
    assert trail == [
        ("pending", world.admin_a.pk),
        ("approved", world.county_assessor_a.pk),
    ]
    assert line.history.first().scope_path == participant(world, cycle, "a1").community.path


# -------------------------------------------------------------------- the page's forms


def test_the_add_form_and_the_decide_buttons_work_through_the_page(world, cycle, login):
    target = participant(world, cycle, "a2")
    client = login(world.admin_a)
    response = client.post(
        reverse("pay-reward-add", args=[cycle.pk]),
        {"participant": target.pk, "kind": "innovation", "reason": "", "amount": "abc"},
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["reason"] == ["请写明奖励事由。"]
    response = client.post(
        reverse("pay-reward-add", args=[cycle.pk]),
        {"participant": target.pk, "kind": "innovation", "reason": "智慧社区试点", "amount": "x"},
    )
    assert response.status_code == 400
    assert response.context["form"].errors["amount"] == ["奖励金额须为数字，例如 2000 或 1500.50。"]
    response = client.post(
        reverse("pay-reward-add", args=[cycle.pk]),
        {
            "participant": target.pk,
            "kind": "innovation",
            "reason": "智慧社区试点",
            "amount": "3000",
        },
    )
    assert response.status_code == 302 and response.url.endswith("#rewards")
    line = SpecialReward.objects.get()
    html = client.get(sheet_url(cycle)).content.decode()
    assert 'data-testid="own-line"' in html and f'data-testid="decide-{line.pk}"' not in html

    client = login(world.county_assessor_a)
    assert f'data-testid="decide-{line.pk}"' in client.get(sheet_url(cycle)).content.decode()
    decide_url = reverse("pay-reward-decide", args=[cycle.pk])
    response = client.post(decide_url, {"reward": line.pk, "version": 1, "decision": "reject"})
    assert any("不予批准须写明理由" in m for m in flashed(response))
    response = client.post(decide_url, {"reward": line.pk, "version": 1, "decision": "approve"})
    assert any("已批准" in m for m in flashed(response))
    line.refresh_from_db()
    assert line.status == RewardStatus.APPROVED and line.decided_by == world.county_assessor_a


def test_a_participant_of_another_cycle_cannot_be_chosen(world, cycle, login):
    foreign = draft_cycle(world.county_a).participants.get(secretary=world.secretaries["a1"])
    response = login(world.admin_a).post(
        reverse("pay-reward-add", args=[cycle.pk]),
        {"participant": foreign.pk, "kind": "other", "reason": "串周期", "amount": "1"},
    )
    assert response.status_code == 400
    assert "不在本表名单中" in response.context["form"].errors["participant"][0]
    assert not SpecialReward.objects.exists()


# ---------------------------------------------------------------------------- scope


@pytest.mark.parametrize(
    "persona", ["outsider_b", "secretary_a1", "town_assessor_a", "observer_a", "split_person"]
)
def test_anyone_but_the_county_staff_gets_404(world, cycle, login, persona):
    line = add(world, cycle)
    client = login(world.persona(persona))
    for name in ("pay-bands", "pay-bands-xlsx", "pay-bands-pdf"):
        assert client.get(reverse(name, args=[cycle.pk])).status_code == 404, name
    add_response = client.post(
        reverse("pay-reward-add", args=[cycle.pk]),
        {"participant": line.participant_id, "kind": "other", "reason": "x", "amount": "1"},
    )
    decide_response = client.post(
        reverse("pay-reward-decide", args=[cycle.pk]),
        {"reward": line.pk, "version": line.version, "decision": "approve"},
    )
    # 403 where the role never adds or decides (a gate before any lookup), else 404.
    assert add_response.status_code in {403, 404}
    assert decide_response.status_code in {403, 404}
    assert SpecialReward.objects.get().status == RewardStatus.PENDING
    assert SpecialReward.objects.count() == 1


def test_another_countys_cycle_is_404(world, login):
    foreign = draft_cycle(world.county_b)
    client = login(world.admin_a)
    for name in ("pay-bands", "pay-bands-xlsx", "pay-bands-pdf"):
        assert client.get(reverse(name, args=[foreign.pk])).status_code == 404
    response = client.post(reverse("pay-reward-add", args=[foreign.pk]), {})
    assert response.status_code == 404


def test_a_county_observer_reads_the_sheet_but_cannot_add_or_decide(world, cycle, login):
    line = add(world, cycle)
    observer = county_observer(world)
    client = login(observer)
    response = client.get(sheet_url(cycle))
    assert response.status_code == 200 and response.context["form"] is None
    html = response.content.decode()
    assert "甲书记" in html and 'data-testid="reward-form"' not in html
    assert 'data-testid="approve"' not in html
    response = client.post(
        reverse("pay-reward-add", args=[cycle.pk]),
        {"participant": line.participant_id, "kind": "other", "reason": "x", "amount": "1"},
    )
    assert response.status_code == 403
    response = client.post(
        reverse("pay-reward-decide", args=[cycle.pk]),
        {"reward": line.pk, "version": line.version, "decision": "approve"},
    )
    assert response.status_code == 403
    assert SpecialReward.objects.get().status == RewardStatus.PENDING


def test_the_cycle_page_links_the_sheet_once_published_for_the_county_staff(world, cycle, login):
    html = login(world.county_assessor_a).get(reverse("cycle-detail", args=[cycle.pk]))
    assert 'data-testid="link-pay-bands"' in html.content.decode()
    html = login(world.town_assessor_a).get(reverse("cycle-detail", args=[cycle.pk]))
    assert 'data-testid="link-pay-bands"' not in html.content.decode()
    draft = draft_cycle(world.county_a)
    html = login(world.admin_a).get(reverse("cycle-detail", args=[draft.pk]))
    assert 'data-testid="link-pay-bands"' not in html.content.decode()


def test_the_page_reads_with_a_fixed_number_of_queries(
    world, cycle, login, django_assert_max_num_queries
):
    for key in ("a1", "a2", "b1"):
        decide(add(world, cycle, key), world.county_assessor_a)
    client = login(world.admin_a)
    client.get(sheet_url(cycle))
    with django_assert_max_num_queries(15):
        assert client.get(sheet_url(cycle)).status_code == 200


# ---------------------------------------------------------------------------- Excel


def workbook(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def test_the_workbook_holds_the_sheet_rewards_and_totals(world, cycle, login):
    line = add(world, cycle, "a1", amount="2000", reason='=HYPERLINK("http://x")')
    decide(line, world.county_assessor_a)
    add(world, cycle, "b1", amount="500", reason="待定")
    response = login(world.observer_a).get(reverse("pay-bands-xlsx", args=[cycle.pk]))
    assert response.status_code == 404
    book = workbook(login(world.admin_a).get(reverse("pay-bands-xlsx", args=[cycle.pk])))
    assert book.sheetnames == ["分档定薪", "专项奖励", "汇总", "说明"]
    sheet = book["分档定薪"]
    headers = [cell.value for cell in sheet[1]]
    for header in ("工号", "姓名", "档次", "系数", "绩效报酬"):
        assert header in headers
    column = {h: i for i, h in enumerate(headers)}
    rows = [
        [row[column[h]] for h in ("工号", "姓名", "档次", "系数", "绩效报酬", "专项奖励", "合计")]
        for row in sheet.iter_rows(min_row=2, values_only=True)
    ]
    assert rows[:3] == [
        ["SA1", "甲书记", "一档", 1.1, 66000, 2000, 68000],
        ["SA2", "乙书记", "二档", 1, 60000, 0, 60000],
        ["SB1", "丙书记", "三档", 0.9, 54000, 0, 54000],
    ]
    assert rows[3][1] == "合计" and rows[3][4:] == [180000, 2000, 182000]
    assert "SB2" not in [r[0] for r in rows]

    lines = list(book["专项奖励"].iter_rows(values_only=True))
    assert lines[0][:9] == (
        "工号", "姓名", "镇街", "社区", "奖励类别", "奖励事由", "奖励金额", "状态", "计入合计"
    )  # fmt: skip
    assert [(r[0], r[6], r[7], r[8]) for r in lines[1:]] == [
        ("SA1", 2000, "已批准", "是"),
        ("SB1", 500, "待审批", "否"),
    ]
    reason = book["专项奖励"].cell(row=2, column=6)
    assert reason.value == '=HYPERLINK("http://x")' and reason.data_type == "s"

    totals = {(r[0], r[1]): r[3:] for r in book["汇总"].iter_rows(min_row=2, values_only=True)}
    assert totals[("档次", "一档")][:2] == (1, 66000)
    assert totals[("镇街", "城关镇")] == (2, 126000, 120000, 2000, 128000)
    assert totals[("合计", "全部")] == (3, 180000, 180000, 2000, 182000)
    notes = dict(book["说明"].iter_rows(min_row=2, values_only=True))
    assert "草稿" not in notes and "锁定" in notes["状态"]
    assert "丁书记" in notes["不参加评定"]


# ------------------------------------------------------------------------------ PDF


def test_the_pdf_is_an_official_document_with_the_sheet(world, cycle, login):
    decide(add(world, cycle, "a1", amount="2000"), world.county_assessor_a)
    response = login(world.admin_a).get(reverse("pay-bands-pdf", args=[cycle.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    data = b"".join(response.streaming_content)
    assert data.startswith(b"%PDF")
    text = extract_text(io.BytesIO(data))
    assert "2026年度考核分档定薪表" in text
    for name in ("甲书记", "乙书记", "丙书记"):
        assert name in text
    assert "— 1 —" in text
    assert "中共青山县委组织部" in text and "2026年12月7日" in text
    assert "68,000.00" in text and "182,000.00" in text
    fonts = embedded_fonts(data)
    assert fonts and all(fonts.values()), fonts
    faces = {name.split("+")[-1].replace("-", "") for name in fonts}
    assert {"NotoSerifCJKSC", "NotoSansCJKSC"} <= faces


def test_a_large_countys_sheet_is_made_by_a_job_whose_page_offers_the_file(
    world, cycle, login, settings, tmp_path, monkeypatch, django_capture_on_commit_callbacks
):
    """DESIGN §5: above `EXPORT_IN_REQUEST` participants (lowered here) the workbook and
    the PDF come from a job; its page offers the file to those who see the job."""
    settings.MEDIA_ROOT = str(tmp_path)
    monkeypatch.setattr(report_services, "EXPORT_IN_REQUEST", 0)
    client = login(world.county_assessor_a)
    for route, suffix in (("pay-bands-xlsx", ".xlsx"), ("pay-bands-pdf", ".pdf")):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.get(reverse(route, args=[cycle.pk]))
        job = Job.objects.filter(kind=JobKind.PAY_BANDS, cycle=cycle).latest("pk")
        assert response.status_code == 302
        assert response.url == reverse("job-detail", args=[job.pk])
        job.refresh_from_db()
        assert job.state == JobState.DONE and job.output_name.endswith(suffix), job.message
        download = client.get(reverse("job-output", args=[job.pk]))
        assert download.status_code == 200
        assert b"".join(download.streaming_content)[:4] in (b"%PDF", b"PK\x03\x04")
