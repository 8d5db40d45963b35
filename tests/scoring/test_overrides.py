"""Grade overrides (SPEC §3.5: "An assessor may override a grade with a reason
(audited)"): who may, when, with what; the override reaches the results after the
recompute; the audit trail keeps before and after."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from assessment import services as cycles
from assessment.models import Cycle
from core.versioning import StaleVersion
from indicators.starter import SEED_TEMPLATE, install_starter_templates
from scoring import engine, inputs
from scoring.models import GradeOverride, Result
from scoring.results.services import clear_override, override_grade, recompute_results
from scoring.services import compute_cycle, current_results, results_are_stale
from tests.factories import complete_scoring

# One world for the module; each test runs in a savepoint inside it.
pytestmark = pytest.mark.usefixtures("shared_world")


@pytest.fixture
def template(world):
    made = install_starter_templates(actor=None, county=world.county_a)
    return next(t for t in made if t.name == SEED_TEMPLATE["name"])


@pytest.fixture
def cycle(world, template):
    cycle = cycles.create_cycle(
        actor=None, county=world.county_a, name="2026年度考核", year=2026, template=template
    )
    cycles.enrol_county(actor=None, cycle=cycle)
    cycle = cycles.transition(actor=None, cycle=cycle, name="open", version=cycle.version)
    return complete_scoring(cycle, world.county_assessor_a)


@pytest.fixture
def a1(world, cycle):
    return cycle.participants.get(secretary=world.secretaries["a1"])


def result_of(participant):
    return Result.objects.current().get(participant=participant)


def fresh(cycle):
    return Cycle.objects.get(pk=cycle.pk)


def test_an_override_reaches_the_results_once_recomputed(
    world, cycle, a1, django_capture_on_commit_callbacks
):
    before = result_of(a1)
    assert before.grade == before.rule_grade != "优秀"
    with django_capture_on_commit_callbacks(execute=True):
        override_grade(
            actor=world.county_assessor_a, participant=a1, grade="优秀", reason="抗洪抢险表现突出"
        )
    after = result_of(a1)
    assert (after.grade, after.rule_grade, after.override_reason) == (
        "优秀",
        before.rule_grade,
        "抗洪抢险表现突出",
    )
    assert not results_are_stale(fresh(cycle))
    assert result_of(a1).pay == before.pay  # the tier follows the rank, not the grade


def test_an_override_marks_the_results_stale_until_recomputed(world, cycle, a1):
    override_grade(actor=world.admin_a, participant=a1, grade="基本合格", reason="台账缺失")
    assert results_are_stale(fresh(cycle))
    compute_cycle(cycle.pk)
    assert result_of(a1).grade == "基本合格"


def test_changing_and_clearing_an_override_is_audited_with_before_and_after(world, cycle, a1):
    actor = world.county_assessor_a
    first = override_grade(actor=actor, participant=a1, grade="优秀", reason="理由一")
    second = override_grade(
        actor=world.admin_a, participant=a1, grade="基本合格", reason="理由二", version=1
    )
    assert second.version == 2
    clear_override(actor=actor, participant=a1, version=2)
    assert not GradeOverride.objects.filter(participant=a1).exists()
    history = list(GradeOverride.history.filter(id=first.pk).order_by("history_date"))
    assert [(h.history_type, h.grade, h.reason) for h in history] == [
        ("+", "优秀", "理由一"),
        ("~", "基本合格", "理由二"),
        ("-", "基本合格", "理由二"),
    ]
    assert [h.history_user for h in history] == [actor, world.admin_a, actor]
    assert history[1].prev_record == history[0]
    assert history[0].scope_path == world.community_a1.path
    compute_cycle(cycle.pk)
    result = result_of(a1)
    assert (result.grade, result.override_reason) == (result.rule_grade, "")


def test_a_stale_override_version_is_refused(world, cycle, a1):
    override_grade(actor=world.admin_a, participant=a1, grade="优秀", reason="一")
    with pytest.raises(StaleVersion):
        override_grade(actor=world.county_assessor_a, participant=a1, grade="不合格", reason="二")
    with pytest.raises(StaleVersion):
        clear_override(actor=world.county_assessor_a, participant=a1, version=7)
    assert GradeOverride.objects.get(participant=a1).grade == "优秀"


@pytest.mark.parametrize(
    "persona", ["town_assessor_a", "observer_a", "secretary_a1", "outsider_b", "split_person"]
)
def test_only_the_countys_managers_override(world, cycle, a1, persona):
    with pytest.raises(PermissionDenied):
        override_grade(actor=world.persona(persona), participant=a1, grade="优秀", reason="x")
    assert not GradeOverride.objects.exists()


def test_a_manager_of_another_county_is_refused(world, cycle, a1):
    """split_person administers county QB: QA's grades are not theirs to change."""
    with pytest.raises(PermissionDenied):
        override_grade(actor=world.split_person, participant=a1, grade="优秀", reason="x")
    with pytest.raises(PermissionDenied):
        recompute_results(actor=world.split_person, cycle=cycle)


def test_a_reason_and_one_of_the_cycles_labels_are_required(world, cycle, a1):
    actor = world.county_assessor_a
    with pytest.raises(ValidationError) as missing:
        override_grade(actor=actor, participant=a1, grade="优秀", reason="   ")
    assert "请填写调整 甲书记 等次的理由" in str(missing.value)
    with pytest.raises(ValidationError) as unknown:
        override_grade(actor=actor, participant=a1, grade="特等", reason="x")
    assert "优秀、合格、基本合格、不合格" in str(unknown.value)
    cycles.update_cycle(
        actor=None, cycle=fresh(cycle), version=fresh(cycle).version, label_excellent="好"
    )
    override_grade(actor=actor, participant=a1, grade="好", reason="按新名称")
    assert not GradeOverride.objects.filter(grade="优秀").exists()


def test_a_locked_cycle_refuses_overrides(world, cycle, a1):
    cycle = cycles.transition(actor=None, cycle=cycle, name="start_scoring", version=cycle.version)
    cycle = cycles.transition(actor=None, cycle=cycle, name="start_review", version=cycle.version)
    override_grade(actor=world.admin_a, participant=a1, grade="优秀", reason="公示期间调整")
    compute_cycle(cycle.pk)
    cycle = fresh(cycle)
    cycle = cycles.transition(actor=None, cycle=cycle, name="publish", version=cycle.version)
    with pytest.raises(ValidationError, match="已发布"):
        override_grade(actor=world.admin_a, participant=a1, grade="合格", reason="x", version=1)
    with pytest.raises(ValidationError, match="已发布"):
        clear_override(actor=world.admin_a, participant=a1, version=1)
    assert GradeOverride.objects.get(participant=a1).grade == "优秀"


def test_a_draft_cycle_has_no_grades_to_override(world, template):
    draft = cycles.create_cycle(
        actor=None, county=world.county_a, name="草稿", year=2027, template=template
    )
    cycles.enrol_county(actor=None, cycle=draft)
    participant = draft.participants.first()
    with pytest.raises(ValidationError, match="草稿"):
        override_grade(actor=world.admin_a, participant=participant, grade="优秀", reason="x")


def test_a_non_graded_participant_has_no_grade_to_override(world, cycle, a1):
    cycles.set_grading(
        actor=None, participant=a1, version=a1.version, is_graded=False, reason="任职不满六个月"
    )
    with pytest.raises(ValidationError, match="不定等次"):
        override_grade(actor=world.admin_a, participant=a1, grade="优秀", reason="x")


def test_a_vetoed_participant_stays_failed(world, cycle, a1, monkeypatch):
    """SPEC §3.3: vetoed → 不合格; an exemption, not an override, lifts a veto."""
    event = engine.Event(str(a1.pk), "WJXW", on=date(2026, 4, 1))
    source = lambda cycle, cutoff, only=None: inputs.InputContribution(events=(event,))  # noqa: E731
    monkeypatch.setattr(inputs, "INPUT_SOURCES", [source])
    cycles.mark_inputs_changed(cycle)
    compute_cycle(cycle.pk)
    with pytest.raises(ValidationError, match="一票否决"):
        override_grade(actor=world.admin_a, participant=a1, grade="合格", reason="x")
    override_grade(actor=world.admin_a, participant=a1, grade="不合格", reason="核实无误")


def test_recompute_is_for_the_countys_managers_of_a_running_cycle(world, cycle):
    cycles.mark_inputs_changed(cycle)
    with pytest.raises(PermissionDenied):
        recompute_results(actor=world.town_assessor_a, cycle=fresh(cycle))
    version = recompute_results(actor=world.county_assessor_a, cycle=fresh(cycle))
    assert (
        version == current_results(cycle) and version.inputs_version == fresh(cycle).inputs_version
    )


# ------------------------------------------------------------------- the page


def flashed(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_a_county_assessor_overrides_from_the_participant_page(
    world, cycle, a1, login, django_capture_on_commit_callbacks
):
    client = login(world.county_assessor_a)
    page = client.get(reverse("result-detail", args=[a1.pk]))
    assert 'data-testid="override-form"' in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("result-override", args=[a1.pk]),
            {"grade": "优秀", "reason": "带领群众抗洪", "version": ""},
        )
    assert response.status_code == 302
    assert response.url == reverse("result-detail", args=[a1.pk])
    assert any("已将 甲书记 的等次调整为“优秀”" in m for m in flashed(response))
    html = client.get(response.url).content.decode()
    assert 'data-testid="override-note"' in html and "带领群众抗洪" in html
    assert result_of(a1).grade == "优秀"


def test_a_refused_override_shows_the_form_again_with_what_was_typed(world, cycle, a1, login):
    client = login(world.county_assessor_a)
    response = client.post(
        reverse("result-override", args=[a1.pk]), {"grade": "优秀", "reason": "", "version": ""}
    )
    assert response.status_code == 400
    assert response.context["override_form"].errors["reason"]
    override_grade(actor=world.admin_a, participant=a1, grade="合格", reason="先到")
    response = client.post(
        reverse("result-override", args=[a1.pk]),
        {"grade": "优秀", "reason": "后到的理由", "version": ""},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "该记录已被他人修改" in html and "后到的理由" in html
    assert GradeOverride.objects.get(participant=a1).reason == "先到"


def test_clearing_an_override_from_the_page(world, cycle, a1, login):
    override_grade(actor=world.admin_a, participant=a1, grade="优秀", reason="一")
    client = login(world.county_assessor_a)
    response = client.post(reverse("result-override-clear", args=[a1.pk]), {"version": "1"})
    assert response.status_code == 302
    assert any("已撤销 甲书记 的等次调整" in m for m in flashed(response))
    assert not GradeOverride.objects.exists()
    response = client.post(reverse("result-override-clear", args=[a1.pk]), {"version": "1"})
    assert any("没有调整" in m for m in flashed(response))


def test_secretaries_and_town_assessors_cannot_post_overrides(world, cycle, a1, login):
    for persona in ("secretary_a1", "town_assessor_a"):
        response = login(world.persona(persona)).post(
            reverse("result-override", args=[a1.pk]), {"grade": "优秀", "reason": "x"}
        )
        assert response.status_code == 403
    assert not GradeOverride.objects.exists()
    assert Result.objects.current().filter(grade="优秀").count() == 0
    assert D(0) <= result_of(a1).final
