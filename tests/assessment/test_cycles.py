"""Cycles (SPEC §2, §3): settings, quarters, participants, the lifecycle and its guards,
freezing the template, and the read-only published cycle."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from assessment import services as cycles
from assessment.models import Cycle, CycleStatus, CycleTransition, InputChange, Participant
from indicators import services as template_services
from indicators.starter import SEED_TEMPLATE, install_starter_templates
from org import services
from tests.factories import complete_scoring

# One world for the module; each test runs in a savepoint inside it.
pytestmark = pytest.mark.usefixtures("shared_world")


@pytest.fixture
def template(world):
    made = install_starter_templates(actor=None, county=world.county_a)
    return next(t for t in made if t.name == SEED_TEMPLATE["name"])


@pytest.fixture
def cycle(world, template):
    return cycles.create_cycle(
        actor=world.county_assessor_a,
        county=world.county_a,
        name="2026年度社区书记考核",
        year=2026,
        template=template,
    )


def walk_to(cycle, actor, *names):
    for name in names:
        if name == "start_review":
            cycle = complete_scoring(cycle, actor)
        cycle = cycles.transition(actor=actor, cycle=cycle, name=name, version=cycle.version)
    return cycle


def test_a_new_cycle_has_the_spec_defaults_and_four_quarters(cycle):
    """SPEC §3: 10/50/40, bonus cap 20, 90/70/60, 优秀 20%, 2:6:2, 1.10/1.00/0.90, trim at 5."""
    assert (cycle.weight_self, cycle.weight_target, cycle.weight_org) == (D(10), D(50), D(40))
    assert cycle.bonus_cap == D(20)
    assert (cycle.threshold_excellent, cycle.threshold_qualified, cycle.threshold_basic) == (
        D(90),
        D(70),
        D(60),
    )
    assert (cycle.excellent_share, cycle.tier_top_share, cycle.tier_bottom_share) == (
        D(20),
        D(20),
        D(20),
    )
    assert (cycle.coefficient_top, cycle.coefficient_middle, cycle.coefficient_bottom) == (
        D("1.10"),
        D("1.00"),
        D("0.90"),
    )
    assert cycle.trim_threshold == 5 and cycle.consecutive_years == 2
    assert cycle.grade_labels == ("优秀", "合格", "基本合格", "不合格")
    assert [(q.number, q.starts_on, q.ends_on) for q in cycle.quarters.all()][3] == (
        4,
        date(2026, 10, 1),
        date(2026, 12, 31),
    )
    assert cycle.status == CycleStatus.DRAFT


@pytest.mark.parametrize(
    "changes,field,message",
    [
        ({"weight_self": D(20)}, "weight_org", "三评权重合计为 110，应为 100。"),
        ({"threshold_qualified": D(95)}, "threshold_basic", "优秀线 > 合格线 > 基本合格线"),
        (
            {"tier_top_share": D(60), "tier_bottom_share": D(50)},
            "tier_bottom_share",
            "不能超过 100%",
        ),
        ({"coefficient_bottom": D("1.2")}, "coefficient_bottom", "一档 ≥ 二档 ≥ 三档"),
        ({"label_basic": "合格"}, "label_failed", "互不相同"),
        ({"value_basic": D(100), "value_satisfied": D(60)}, "value_unsatisfied", "满意 ≥ 基本满意"),
    ],
)
def test_settings_are_validated_with_chinese_messages(world, cycle, changes, field, message):
    with pytest.raises(ValidationError) as caught:
        cycles.update_cycle(actor=world.county_assessor_a, cycle=cycle, version=1, **changes)
    assert message in " ".join(caught.value.message_dict[field])
    assert Cycle.objects.get(pk=cycle.pk).version == 1


def test_grade_labels_are_settings(world, cycle):
    cycle = cycles.update_cycle(
        actor=world.county_assessor_a,
        cycle=cycle,
        version=1,
        label_qualified="称职",
        label_basic="基本称职",
        label_failed="不称职",
    )
    assert cycle.grade_labels == ("优秀", "称职", "基本称职", "不称职")


def test_quarters_must_be_ordered_and_inside_the_year(world, cycle):
    bad = [
        (1, date(2026, 1, 1), date(2026, 4, 30)),
        (2, date(2026, 4, 1), date(2026, 6, 30)),
        (3, date(2026, 7, 1), date(2026, 6, 30)),
        (4, date(2026, 10, 1), date(2027, 1, 31)),
    ]
    with pytest.raises(ValidationError) as caught:
        cycles.set_quarters(actor=world.county_assessor_a, cycle=cycle, quarters=bad)
    text = " ".join(caught.value.messages)
    assert "第 2 季度与上一季度重叠" in text
    assert "第 3 季度的开始日期晚于结束日期" in text
    assert "第 4 季度不在 2026 年度内" in text


def test_enrolling_the_county_suggests_not_grading_short_tenures(world, cycle):
    recent = world.secretaries["a2"]
    recent.tenure_start = date(2026, 8, 15)
    services.save_secretary(actor=None, secretary=recent, version=1)
    added = cycles.enrol_county(actor=world.county_assessor_a, cycle=cycle)
    assert added == 3  # the county's three secretaries; county QB's is not enrolled
    participant = cycle.participants.get(secretary=recent)
    assert participant.is_graded is False
    assert participant.not_graded_reason == "本年度任职 5 个月，不满六个月"
    assert cycles.enrol_county(actor=world.county_assessor_a, cycle=cycle) == 0


def test_a_community_whose_secretary_changed_lists_both(world, cycle):
    old = world.secretaries["a1"]
    old.tenure_end = date(2026, 3, 31)
    services.save_secretary(actor=None, secretary=old, version=1)
    services.save_secretary(
        actor=None,
        secretary=type(old)(
            staff_no="SA1B", name="接任书记", community=old.community, tenure_start=date(2026, 4, 1)
        ),
    )
    cycles.enrol_county(actor=world.county_assessor_a, cycle=cycle)
    listed = {
        p.secretary.name: p.is_graded for p in cycle.participants.filter(community=old.community)
    }
    assert listed == {"甲书记": False, "接任书记": True}


def test_a_participant_not_graded_needs_a_reason(world, cycle):
    cycles.enrol_county(actor=world.county_assessor_a, cycle=cycle)
    participant = cycle.participants.first()
    with pytest.raises(ValidationError, match="请写明原因"):
        cycles.set_grading(
            actor=world.county_assessor_a, participant=participant, version=1, is_graded=False
        )
    done = cycles.set_grading(
        actor=world.county_assessor_a,
        participant=participant,
        version=1,
        is_graded=False,
        reason="病休",
    )
    assert (done.is_graded, done.not_graded_reason, done.version) == (False, "病休", 2)


def test_a_cycle_cannot_open_without_a_valid_template_and_participants(world, cycle, template):
    node = template.nodes.get(name="三会一课")
    template_services.update_node(actor=None, node=node, version=node.version, points=D(5))
    with pytest.raises(ValidationError) as caught:
        cycles.transition(actor=world.county_assessor_a, cycle=cycle, name="open", version=1)
    text = " ".join(caught.value.messages)
    assert "还没有参评书记" in text
    assert "指标体系有误：指标 1“党建”：下级指标分值合计 24，与本级分值 25 不符。" in text
    assert Cycle.objects.get(pk=cycle.pk).status == CycleStatus.DRAFT


def test_opening_freezes_the_template_and_later_edits_never_change_it(world, cycle, template):
    """SPEC §2: opening a cycle freezes a copy; later template edits never change it."""
    cycles.enrol_county(actor=world.county_assessor_a, cycle=cycle)
    cycle = walk_to(cycle, world.county_assessor_a, "open")
    frozen = cycle.frozen_template
    assert frozen.is_frozen and frozen != template
    node = template.nodes.get(name="三会一课")
    template_services.update_node(actor=None, node=node, version=node.version, name="已改名")
    assert frozen.nodes.get(code="1.1").name == "三会一课"
    assert template.nodes.get(code="1.1").name == "三会一课"  # the edit made edition 2
    with pytest.raises(ValidationError):
        template_services.update_node(
            actor=None, node=frozen.nodes.get(code="1.1"), version=1, name="改冻结副本"
        )


def test_opening_keeps_the_inputs_version_it_recorded(world, cycle):
    """Opening freezes the template and marks the inputs changed: the cycle saved after
    it keeps the new inputs version (it wrote the old number back, so the next change
    reused a recorded version and results could look current when they were not)."""
    cycles.enrol_county(actor=world.county_assessor_a, cycle=cycle)
    before = Cycle.objects.get(pk=cycle.pk).inputs_version
    opened = walk_to(cycle, world.county_assessor_a, "open")
    stored = Cycle.objects.get(pk=cycle.pk).inputs_version
    assert stored > before and opened.inputs_version == stored
    recorded = list(
        InputChange.objects.filter(cycle=cycle).values_list("inputs_version", flat=True)
    )
    assert len(recorded) == len(set(recorded)) and max(recorded) == stored


def test_the_whole_lifecycle_is_recorded_with_who_and_when(world, cycle):
    cycles.enrol_county(actor=world.county_assessor_a, cycle=cycle)
    actor = world.county_assessor_a
    cycle = walk_to(
        cycle,
        actor,
        "open",
        "start_scoring",
        "reopen_entry",
        "start_scoring",
        "start_review",
        "withdraw_review",
        "start_review",
        "publish",
        "archive",
    )
    assert cycle.status == CycleStatus.ARCHIVED
    moves = [
        (t.from_status, t.to_status, t.actor) for t in CycleTransition.objects.filter(cycle=cycle)
    ]
    assert moves[0] == (CycleStatus.DRAFT, CycleStatus.OPEN, actor)
    assert moves[-1] == (CycleStatus.PUBLISHED, CycleStatus.ARCHIVED, actor)
    assert len(moves) == 9
    assert cycle.history.filter(history_change_reason="发布结果").exists()


def test_a_transition_from_the_wrong_state_is_refused(world, cycle):
    with pytest.raises(ValidationError, match="当前状态为“草稿”，不能执行“发布结果”"):
        cycles.transition(actor=world.county_assessor_a, cycle=cycle, name="publish", version=1)


def test_result_checks_block_review_and_publication(world, cycle):
    cycles.enrol_county(actor=world.county_assessor_a, cycle=cycle)
    cycle = walk_to(cycle, world.county_assessor_a, "open", "start_scoring")

    def missing_scores(c):
        return ["城东社区组织考评未录入。"]

    cycles.register_result_check(missing_scores)
    try:
        with pytest.raises(ValidationError, match="城东社区组织考评未录入"):
            cycles.transition(
                actor=world.county_assessor_a,
                cycle=cycle,
                name="start_review",
                version=cycle.version,
            )
    finally:
        cycles.RESULT_CHECKS.remove(missing_scores)


def test_only_county_assessors_and_admins_of_the_county_run_a_cycle(world, cycle):
    for outsider in (world.town_assessor_a, world.observer_a, world.split_person):
        with pytest.raises(PermissionDenied):
            cycles.transition(actor=outsider, cycle=cycle, name="open", version=1)
        with pytest.raises(PermissionDenied):
            cycles.enrol_county(actor=outsider, cycle=cycle)


def test_enrolment_closes_when_results_go_to_review(world, cycle):
    """A newcomer during 公示 would have no scores and block publication."""
    cycles.enrol_secretary(actor=None, cycle=cycle, secretary=world.secretaries["a1"])
    actor = world.county_assessor_a
    cycle = walk_to(cycle, actor, "open", "start_scoring", "start_review")
    with pytest.raises(ValidationError, match="不能再登记参评书记；如确需补登，请先撤回公示"):
        cycles.enrol_county(actor=actor, cycle=cycle)
    with pytest.raises(ValidationError, match="请先撤回公示"):
        cycles.enrol_secretary(actor=actor, cycle=cycle, secretary=world.secretaries["a2"])
    cycle = walk_to(cycle, actor, "withdraw_review")
    assert cycles.enrol_county(actor=actor, cycle=cycle) == 2


def test_a_published_cycle_refuses_every_write(world, cycle):
    cycles.enrol_county(actor=world.county_assessor_a, cycle=cycle)
    actor = world.county_assessor_a
    cycle = walk_to(cycle, actor, "open", "start_scoring", "start_review", "publish")
    participant = cycle.participants.first()
    attempts = [
        lambda: cycles.update_cycle(actor=actor, cycle=cycle, version=cycle.version, name="改"),
        lambda: cycles.set_quarters(
            actor=actor, cycle=cycle, quarters=cycles.default_quarters(2026)
        ),
        lambda: cycles.enrol_county(actor=actor, cycle=cycle),
        lambda: cycles.enrol_secretary(actor=actor, cycle=cycle, secretary=world.secretaries["b1"]),
        lambda: cycles.set_grading(
            actor=actor, participant=participant, version=participant.version, is_graded=True
        ),
        lambda: cycles.withdraw_participant(actor=actor, participant=participant),
    ]
    for attempt in attempts:
        with pytest.raises(ValidationError, match="已发布，不能再修改"):
            attempt()
    assert Participant.objects.filter(cycle=cycle).count() == 3


def test_the_cycle_scope_follows_the_county(world, cycle):
    from assessment.models import Cycle as CycleModel

    for persona in ("county_assessor_a", "town_assessor_a", "secretary_a1", "observer_a"):
        assert cycle in CycleModel.objects.for_user(world.persona(persona))
    other = cycles.create_cycle(actor=None, county=world.county_b, name="外县考核", year=2026)
    assert other not in CycleModel.objects.for_user(world.county_assessor_a)
    cycles.enrol_county(actor=world.county_assessor_a, cycle=cycle)
    seen = {p.secretary.staff_no for p in Participant.objects.for_user(world.town_assessor_a)}
    assert seen == {"SA1", "SA2"}
    assert {p.secretary.staff_no for p in Participant.objects.for_user(world.secretary_a1)} == {
        "SA1"
    }


def test_the_django_admin_cannot_change_a_cycle(world, cycle, client):
    """SPEC §2: a published cycle is read-only in Django admin alike (cycles are only
    changed through their services, so the admin never changes one)."""
    from org.models import User

    root = User.objects.create(username="root", is_superuser=True, is_staff=True)
    client.force_login(root)
    url = f"/django-admin/assessment/cycle/{cycle.pk}/change/"
    assert client.get(url).status_code == 200
    response = client.post(url, {"name": "改名", "year": 2026})
    assert response.status_code == 403
    assert Cycle.objects.get(pk=cycle.pk).name == cycle.name
    assert (
        client.post(
            f"/django-admin/assessment/cycle/{cycle.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )
