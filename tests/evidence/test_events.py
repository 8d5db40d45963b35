"""Events (事项, SPEC §2; issue 6): reported by town and county assessors (secretaries:
their own bonus events, with proof), 待核实 → 已核实 | 不予认定 by someone other than the
reporter, only verified non-exempt events count (SPEC §3.1, §3.3), type caps, evidence
files checked from content with nothing stored on refusal (SPEC §7, DESIGN §4)."""

from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from assessment import services as cycles
from evidence.events import selectors, services
from evidence.models import Attachment, Event, EventStatus
from scoring.models import Result
from scoring.services import compute_cycle, current_results
from tests.factories import complete_scoring, open_seed_cycle

# One world and one cycle for the module; each test runs in a savepoint inside them.
pytestmark = pytest.mark.usefixtures("shared_world")

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(17)
ON = date(2026, 5, 10)


def pdf(name="通报.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


def stored_files(media):
    return sorted(p for p in media.rglob("*") if p.is_file()) if media.exists() else []


@pytest.fixture
def a1(world, cycle):
    return cycle.participants.get(secretary=world.secretaries["a1"])


def kind(cycle, code):
    return cycle.frozen_template.event_types.get(code=code)


def report(actor, participant, code="ZJXF", on=ON, uploads=(), **kwargs):
    return services.report_event(
        actor=actor,
        participant=participant,
        event_type=kind(participant.cycle, code),
        occurred_on=on,
        description=kwargs.pop("description", "镇级信访案一件"),
        uploads=uploads,
        **kwargs,
    )


def verify(actor, event):
    event.refresh_from_db()
    return services.verify_event(actor=actor, event=event, version=event.version)


# ------------------------------------------------------------------------ reporting


def test_town_and_county_assessors_report_any_type_pending(world, a1):
    by_town = report(world.town_assessor_a, a1, uploads=[pdf()])
    by_county = report(world.county_assessor_a, a1, code="YJXF")
    assert by_town.status == by_county.status == EventStatus.REPORTED
    assert by_town.reported_by == world.town_assessor_a
    assert by_town.attachments.get().original_name == "通报.pdf"


def test_reporting_a_pending_event_leaves_the_scores_as_they_are(world, cycle, a1):
    before = cycle.inputs_version
    report(world.town_assessor_a, a1)
    cycle.refresh_from_db()
    assert cycle.inputs_version == before


def test_a_town_assessor_reports_only_in_their_own_town(world, cycle):
    b1 = cycle.participants.get(secretary=world.secretaries["b1"])
    with pytest.raises(PermissionDenied):
        report(world.town_assessor_a, b1)
    with pytest.raises(PermissionDenied):
        report(world.observer_a, cycle.participants.get(secretary=world.secretaries["a1"]))


def test_a_secretary_reports_own_bonus_events_with_proof_only(world, cycle, a1):
    event = report(world.secretary_a1, a1, code="SHIJ", uploads=[pdf("表彰文件.pdf")])
    assert event.event_type.points > 0 and event.attachments.count() == 1
    with pytest.raises(ValidationError, match="证明材料"):
        report(world.secretary_a1, a1, code="SHIJ")
    with pytest.raises(ValidationError, match="只能报告加分类事项"):
        report(world.secretary_a1, a1, code="ZJXF", uploads=[pdf()])
    a2 = cycle.participants.get(secretary=world.secretaries["a2"])
    with pytest.raises(PermissionDenied):
        report(world.secretary_a1, a2, code="SHIJ", uploads=[pdf()])


def test_the_date_lies_within_the_cycle_and_not_in_the_future(world, a1):
    with pytest.raises(ValidationError, match="不在本考核周期"):
        report(world.town_assessor_a, a1, on=date(2025, 12, 31))
    with pytest.raises(ValidationError, match="晚于今天"):
        report(world.town_assessor_a, a1, on=date(2026, 12, 31))


def test_only_types_of_the_cycle_template_and_a_description(world, cycle, a1):
    other = open_seed_cycle(world.county_b)
    with pytest.raises(ValidationError, match="事项类型"):
        services.report_event(
            actor=world.county_assessor_a,
            participant=a1,
            event_type=kind(other, "ZJXF"),
            occurred_on=ON,
            description="x",
        )
    with pytest.raises(ValidationError, match="具体情况"):
        report(world.town_assessor_a, a1, description="  ")


def test_a_draft_or_published_cycle_refuses_reports(world, cycle, a1):
    cycle = cycles.transition(actor=None, cycle=cycle, name="start_scoring", version=cycle.version)
    cycle = complete_scoring(cycle, world.county_assessor_a)
    cycle = cycles.transition(actor=None, cycle=cycle, name="start_review", version=cycle.version)
    cycle = cycles.transition(actor=None, cycle=cycle, name="publish", version=cycle.version)
    with pytest.raises(ValidationError, match="不能再修改"):
        report(world.county_assessor_a, a1)
    assert not Event.objects.exists()


# ---------------------------------------------------------------------- attachments


def test_a_png_named_pdf_refuses_the_whole_report_and_stores_nothing(world, a1, media):
    with pytest.raises(ValidationError, match="与扩展名“.pdf”不符"):
        report(world.town_assessor_a, a1, uploads=[pdf(), pdf("照片.pdf", PNG)])
    assert not Event.objects.exists() and not Attachment.objects.exists()
    assert stored_files(media) == []


def test_a_file_over_the_limit_is_refused_with_its_size(world, a1, media, settings):
    settings.EVIDENCE_MAX_BYTES = 64
    with pytest.raises(ValidationError, match="有 177 字节，超过 64 字节 的上限"):
        report(world.town_assessor_a, a1, uploads=[pdf("大文件.pdf", PDF + bytes(100))])
    assert not Event.objects.exists() and stored_files(media) == []


@pytest.mark.parametrize(
    ("hostile", "kept"),
    [("../../etc/passwd.pdf", "passwd.pdf"), ("..\\..\\boot\x07\x1b.pdf", "boot.pdf")],
)
def test_hostile_names_are_stored_safely_under_a_random_path(world, a1, media, hostile, kept):
    event = report(world.town_assessor_a, a1, uploads=[pdf(hostile)])
    attachment = event.attachments.get()
    assert attachment.original_name == kept
    (path,) = stored_files(media)
    assert path.resolve().is_relative_to(media.resolve()) and kept not in path.name


# ------------------------------------------------------------------- verification


def test_verify_and_reject_record_verifier_time_and_reason(world, a1):
    event = verify(world.county_assessor_a, report(world.town_assessor_a, a1))
    assert event.status == EventStatus.VERIFIED and event.verified_by == world.county_assessor_a
    assert event.verified_at is not None
    other = report(world.town_assessor_a, a1)
    with pytest.raises(ValidationError, match="须写明理由"):
        services.reject_event(
            actor=world.county_assessor_a, event=other, version=other.version, reason=" "
        )
    rejected = services.reject_event(
        actor=world.county_assessor_a, event=other, version=other.version, reason="查无实据"
    )
    assert rejected.status == EventStatus.REJECTED and rejected.verification_note == "查无实据"
    with pytest.raises(ValidationError, match="只有待核实的事项"):
        verify(world.county_assessor_a, rejected)


def test_a_town_assessor_verifies_in_their_town_but_not_their_own_report(world, cycle, a1):
    own = report(world.town_assessor_a, a1)
    with pytest.raises(ValidationError, match="不能核实本人报告的事项"):
        verify(world.town_assessor_a, own)
    by_county = report(world.county_assessor_a, a1)
    assert verify(world.town_assessor_a, by_county).status == EventStatus.VERIFIED
    b1 = cycle.participants.get(secretary=world.secretaries["b1"])
    with pytest.raises(PermissionDenied):
        verify(world.town_assessor_a, report(world.county_assessor_a, b1))


def test_nobody_decides_their_own_report_not_even_the_county(world, a1):
    event = report(world.county_assessor_a, a1)
    with pytest.raises(ValidationError, match="不能核实本人报告的事项"):
        verify(world.county_assessor_a, event)
    assert verify(world.admin_a, event).status == EventStatus.VERIFIED


def test_secretaries_and_observers_cannot_verify(world, a1):
    event = report(world.town_assessor_a, a1)
    for persona in (world.secretary_a1, world.observer_a, world.outsider_b):
        with pytest.raises(PermissionDenied):
            verify(persona, event)


def test_a_stale_version_is_refused(world, a1):
    event = report(world.town_assessor_a, a1)
    with pytest.raises(services.StaleVersion):
        services.verify_event(actor=world.county_assessor_a, event=event, version=99)


def test_verification_marks_the_inputs_changed(world, cycle, a1):
    event = report(world.town_assessor_a, a1)
    before = cycle.inputs_version
    verify(world.county_assessor_a, event)
    cycle.refresh_from_db()
    assert cycle.inputs_version == before + 1


def test_bulk_verification_is_all_or_nothing_naming_each_refusal(world, cycle, a1):
    mine = report(world.town_assessor_a, a1)
    theirs = [report(world.county_assessor_a, a1) for _ in range(2)]
    with pytest.raises(ValidationError) as refused:
        services.bulk_decide(
            actor=world.town_assessor_a, event_ids=[mine.pk, theirs[0].pk, 999999], verify=True
        )
    text = " ".join(refused.value.messages)
    assert f"事项 #{mine.pk}（甲书记，镇级信访案" in text and "#999999 不存在" in text
    assert not Event.objects.filter(status=EventStatus.VERIFIED).exists()
    done = services.bulk_decide(
        actor=world.town_assessor_a, event_ids=[e.pk for e in theirs], verify=False, reason="重复"
    )
    assert {e.status for e in done} == {EventStatus.REJECTED}
    with pytest.raises(ValidationError, match="须写明理由"):
        services.bulk_decide(actor=world.county_assessor_a, event_ids=[mine.pk], verify=False)


def test_a_county_assessor_reopens_a_decision_with_a_reason(world, a1):
    event = verify(world.county_assessor_a, report(world.town_assessor_a, a1))
    with pytest.raises(PermissionDenied):
        services.reopen_event(
            actor=world.town_assessor_a, event=event, version=event.version, reason="x"
        )
    with pytest.raises(ValidationError, match="须写明理由"):
        services.reopen_event(
            actor=world.county_assessor_a, event=event, version=event.version, reason=""
        )
    event = services.reopen_event(
        actor=world.county_assessor_a, event=event, version=event.version, reason="日期有误"
    )
    assert event.status == EventStatus.REPORTED and event.verified_by is None
    assert event.history.first().history_change_reason == "退回待核实"


def test_the_reporter_edits_or_withdraws_a_pending_event(world, a1, media):
    event = report(world.town_assessor_a, a1, uploads=[pdf()])
    with pytest.raises(ValidationError, match="只有报告人"):
        services.withdraw_event(actor=world.county_assessor_a, event=event, version=event.version)
    event = services.edit_event(
        actor=world.town_assessor_a,
        event=event,
        version=event.version,
        event_type=kind(a1.cycle, "AQSG"),
        occurred_on=date(2026, 6, 1),
        description="安全生产事故一起",
        uploads=[pdf("现场.pdf")],
    )
    assert (event.event_type.code, event.version, event.attachments.count()) == ("AQSG", 2, 2)
    with pytest.raises(services.StaleVersion):
        services.withdraw_event(actor=world.town_assessor_a, event=event, version=1)
    services.withdraw_event(actor=world.town_assessor_a, event=event, version=event.version)
    assert not Event.objects.exists() and not Attachment.objects.exists()


# ------------------------------------------------------------------------- scoring


@pytest.fixture
def scored(world, cycle):
    cycle = cycles.transition(actor=None, cycle=cycle, name="start_scoring", version=cycle.version)
    return complete_scoring(cycle, world.county_assessor_a)


def result_of(cycle, participant):
    compute_cycle(cycle.pk)
    return Result.objects.get(version=current_results(cycle), participant=participant)


def leaf_value(result, name):
    return result.leaves.get(leaf__name=name).target_value


def test_only_verified_events_deduct(world, scored):
    a1 = scored.participants.get(secretary=world.secretaries["a1"])
    event = report(world.town_assessor_a, a1)
    assert leaf_value(result_of(scored, a1), "信访维稳") == D(6)
    verify(world.county_assessor_a, event)
    assert leaf_value(result_of(scored, a1), "信访维稳") == D(3)


def test_a_type_cap_limits_its_own_total(world, scored):
    """SPEC §3.1: 组织生活未达标 −2 each, capped at 4 per cycle."""
    a1 = scored.participants.get(secretary=world.secretaries["a1"])
    for day in (1, 2, 3):
        verify(
            world.county_assessor_a, report(world.town_assessor_a, a1, "ZZSH", ON.replace(day=day))
        )
    assert leaf_value(result_of(scored, a1), "组织生活") == D(0)
    effects = selectors.participant_events(world.county_assessor_a, a1)
    assert [e.counted_points for e in effects.effects] == [D(-2), D(-2), D(0)]
    assert "超出类型上限" in effects.effects[2].explanation and effects.deducted == D(4)


def test_a_deduction_leaf_stops_at_zero_and_the_page_says_which_events_went_past_it(world, scored):
    """SPEC §3.1 扣完为止: 信访维稳 has 6 points; three verified 镇级信访案 (−3 each) take
    6, not 9, and the third is shown as not counted."""
    a1 = scored.participants.get(secretary=world.secretaries["a1"])
    for day in (1, 2, 3):
        verify(
            world.county_assessor_a, report(world.town_assessor_a, a1, "ZJXF", ON.replace(day=day))
        )
    assert leaf_value(result_of(scored, a1), "信访维稳") == D(0)
    effects = selectors.participant_events(world.county_assessor_a, a1)
    assert [e.counted_points for e in effects.effects] == [D(-3), D(-3), D(0)]
    assert effects.deducted == D(6)
    assert effects.effects[2].explanation == "指标“信访维稳”已扣完（6 分），不再扣分"


def test_effects_explain_pending_rejected_and_veto(world, a1):
    pending = report(world.town_assessor_a, a1, "ZJXF")
    rejected = report(world.town_assessor_a, a1, "AQSG")
    services.reject_event(
        actor=world.county_assessor_a, event=rejected, version=rejected.version, reason="不实"
    )
    verify(world.county_assessor_a, report(world.town_assessor_a, a1, "YJXF"))
    effects = {
        e.event.event_type.code: e for e in selectors.participant_events(world.admin_a, a1).effects
    }
    assert effects["ZJXF"].explanation == "待核实，暂不计分" and not effects["ZJXF"].counted
    assert effects["AQSG"].explanation == "不予认定，不计分"
    assert effects["YJXF"].veto and effects["YJXF"].explanation == "一票否决"
    assert pending.pk and selectors.participant_events(world.admin_a, a1).vetoed


# --------------------------------------------------------------------------- pages


def test_the_list_counts_statuses_and_pins_its_queries(
    world, cycle, a1, login, django_assert_max_num_queries
):
    for _ in range(8):
        report(world.town_assessor_a, a1)
    verify(world.county_assessor_a, Event.objects.first())
    client = login(world.county_assessor_a)
    url = reverse("event-list", args=[cycle.pk])
    with django_assert_max_num_queries(18):  # + the 通知 bell's unread count
        page = client.get(url).content.decode()
    assert page.count('data-testid="event-row"') == 8 and 'name="events"' in page
    counts = client.get(url, {"status": "verified"}).context["counts"]
    assert [n for _s, _l, n in counts] == [7, 1, 0]


def test_outsiders_get_404_and_observers_may_not_act(world, a1, login):
    event = report(world.town_assessor_a, a1)
    assert login(world.outsider_b).get(reverse("event-detail", args=[event.pk])).status_code == 404
    act = reverse("event-act", args=[event.pk])
    assert login(world.outsider_b).post(act, {"action": "verify"}).status_code == 404
    observer = login(world.observer_a)
    assert observer.get(reverse("event-detail", args=[event.pk])).status_code == 200
    assert observer.post(act, {"action": "verify", "version": 1}).status_code == 403
    assert Event.objects.get().status == EventStatus.REPORTED


def test_reporting_through_the_form_with_files(world, cycle, a1, login, media):
    client = login(world.town_assessor_a)
    url = reverse("event-create", args=[cycle.pk])
    data = {
        "participant": a1.pk,
        "event_type": kind(cycle, "ZJXF").pk,
        "occurred_on": "2026-05-10",
        "description": "镇级信访案一件",
    }
    refused = client.post(url, {**data, "files": [pdf("照片.pdf", PNG)]})
    assert "与扩展名“.pdf”不符" in refused.content.decode()
    assert not Event.objects.exists() and stored_files(media) == []
    response = client.post(url, {**data, "files": [pdf()]})
    event = Event.objects.get()
    assert response.url == reverse("event-detail", args=[event.pk])
    assert login(world.observer_a).get(url).status_code == 403


def test_a_secretary_reports_a_bonus_through_the_form(world, cycle, a1, login):
    client = login(world.secretary_a1)
    form = client.get(reverse("event-create", args=[cycle.pk])).context["form"]
    assert set(form.fields["event_type"].queryset.values_list("points", flat=True)) > {D(10)}
    assert all(
        points > 0 for points in form.fields["event_type"].queryset.values_list("points", flat=True)
    )
    response = client.post(
        reverse("event-create", args=[cycle.pk]),
        {
            "event_type": kind(cycle, "SHIJ").pk,
            "occurred_on": "2026-03-01",
            "description": "获市级先进社区党组织书记表彰",
            "files": [pdf("表彰.pdf")],
        },
    )
    assert response.status_code == 302 and Event.objects.get().participant == a1


def test_a_secretary_cannot_claim_a_type_the_system_raises_itself(world, cycle, a1, login):
    """重点任务按时完成 is raised when a key task is completed on time: offering it on the
    secretary's 表彰加分 form would count it twice (issue 14, item 10)."""
    from evidence.keytasks import services as keytasks

    def offered():
        form = login(world.secretary_a1).get(reverse("event-create", args=[cycle.pk]))
        return set(
            form.context["form"].fields["event_type"].queryset.values_list("code", flat=True)
        )

    assert "RWAS" in offered()
    keytasks.create_task(
        actor=world.county_assessor_a,
        cycle=cycle,
        title="背街小巷整治",
        deadline=date(2026, 9, 30),
        assignments=[(world.community_a1, (25, 50, 75, 100))],
        on_time_type=kind(cycle, "RWAS"),
    )
    assert "RWAS" not in offered() and "SHIJ" in offered()
    with pytest.raises(ValidationError, match="由系统在重点工作按期完成时自动计入"):
        report(world.secretary_a1, a1, code="RWAS", uploads=[pdf()])
    # Staff still may (a correction the system did not make).
    assert report(world.county_assessor_a, a1, code="RWAS").event_type.code == "RWAS"


def test_deciding_on_the_event_page_and_in_bulk(world, cycle, a1, login):
    one, two = report(world.town_assessor_a, a1), report(world.town_assessor_a, a1)
    client = login(world.county_assessor_a)
    client.post(reverse("event-act", args=[one.pk]), {"action": "verify", "version": 1})
    one.refresh_from_db()
    assert one.status == EventStatus.VERIFIED
    client.post(
        reverse("event-bulk", args=[cycle.pk]),
        {"events": [one.pk, two.pk], "decision": "verify"},
    )
    two.refresh_from_db()
    assert two.status == EventStatus.REPORTED
    client.post(reverse("event-bulk", args=[cycle.pk]), {"events": [two.pk], "decision": "verify"})
    two.refresh_from_db()
    assert two.status == EventStatus.VERIFIED


def test_the_results_page_lists_the_events_with_their_effect(world, scored, login):
    a1 = scored.participants.get(secretary=world.secretaries["a1"])
    verify(world.county_assessor_a, report(world.town_assessor_a, a1))
    report(world.town_assessor_a, a1, "AQSG")
    compute_cycle(scored.pk)
    page = login(world.county_assessor_a).get(reverse("result-detail", args=[a1.pk]))
    text = page.content.decode()
    assert 'data-testid="participant-events"' in text
    assert "计入" in text and "待核实，暂不计分" in text
