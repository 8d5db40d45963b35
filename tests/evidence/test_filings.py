"""Reform-risk filings (改革风险备案) and exemption (容错免责), SPEC §2: a secretary files
an initiative and its risks in advance, a county assessor approves or rejects it; an
event linked to an approved filing may be exempted by a county assessor with a reason —
it then neither deducts nor vetoes (SPEC §3.1, §3.3) and stays listed, marked 免责."""

from datetime import date, datetime
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from assessment import services as cycles
from evidence.events import selectors, services
from evidence.filings import services as filings
from evidence.models import Event, EventOrigin, FilingOrigin, FilingStatus, ReformFiling
from scoring.models import Result
from scoring.services import compute_cycle, current_results
from tests.factories import complete_scoring, open_seed_cycle

# One world and one cycle for the module; each test runs in a savepoint inside them.
pytestmark = pytest.mark.usefixtures("shared_world")

ON = date(2026, 4, 20)
# Filings are made in advance: the helpers file on this day, before ON.
FILED = datetime(2026, 3, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(scope="module")
def module_cycle(shared_world):
    cycle = open_seed_cycle(shared_world.county_a)
    cycle = cycles.transition(actor=None, cycle=cycle, name="start_scoring", version=cycle.version)
    return complete_scoring(cycle, shared_world.county_assessor_a)


@pytest.fixture
def a1(world, cycle):
    return cycle.participants.get(secretary=world.secretaries["a1"])


def file(world, participant, actor=None, at=FILED):
    with time_machine.travel(at, tick=False):
        return filings.file_reform(
            actor=actor or world.secretary_a1,
            participant=participant,
            title="老旧小区加装电梯试点",
            description="联合物业、业委会分摊费用",
            risks="施工期间可能引发邻里矛盾和信访",
        )


def decide(actor, filing, approve=True, reason=""):
    return filings.decide_filing(
        actor=actor, filing=filing, version=filing.version, approve=approve, reason=reason
    )


def approved(world, participant):
    return decide(world.county_assessor_a, file(world, participant), reason="同意试点")


def verified_event(world, participant, code, filing=None):
    event = services.report_event(
        actor=world.town_assessor_a,
        participant=participant,
        event_type=participant.cycle.frozen_template.event_types.get(code=code),
        occurred_on=ON,
        description="加装电梯施工引发越级信访",
        filing=filing,
    )
    return services.verify_event(actor=world.county_assessor_a, event=event, version=event.version)


def exempt(world, event, reason="试点已备案，属探索性失误"):
    event.refresh_from_db()
    return services.exempt_event(
        actor=world.county_assessor_a, event=event, version=event.version, reason=reason
    )


def result_of(cycle, participant):
    compute_cycle(cycle.pk)
    return Result.objects.get(version=current_results(cycle), participant=participant)


# ------------------------------------------------------------------------- filings


def test_a_secretary_files_for_their_own_participation_only(world, cycle, a1):
    filing = file(world, a1)
    assert filing.status == FilingStatus.PENDING and filing.filed_by == world.secretary_a1
    a2 = cycle.participants.get(secretary=world.secretaries["a2"])
    with pytest.raises(PermissionDenied):
        file(world, a2)
    with pytest.raises(PermissionDenied):
        file(world, a1, actor=world.county_assessor_a)
    with pytest.raises(ValidationError, match="可能的风险"):
        filings.file_reform(
            actor=world.secretary_a1, participant=a1, title="t", description="d", risks=" "
        )


def test_filings_only_while_the_cycle_is_open_or_scoring(world, cycle, a1):
    cycles.transition(actor=None, cycle=cycle, name="start_review", version=cycle.version)
    with pytest.raises(ValidationError, match="只能在考核进行中或评分中提出"):
        file(world, a1)


def test_a_county_assessor_approves_or_rejects_with_a_reason(world, a1):
    filing = approved(world, a1)
    assert filing.status == FilingStatus.APPROVED and filing.decided_by == world.county_assessor_a
    with pytest.raises(ValidationError, match="只有待审批的备案"):
        decide(world.county_assessor_a, filing, approve=False, reason="x")
    other = file(world, a1)
    with pytest.raises(ValidationError, match="不予批准须写明理由"):
        decide(world.county_assessor_a, other, approve=False)
    rejected = decide(world.county_assessor_a, other, approve=False, reason="风险不可控")
    assert (rejected.status, rejected.decision_reason) == (FilingStatus.REJECTED, "风险不可控")


def test_town_assessors_and_secretaries_do_not_decide_filings(world, a1):
    filing = file(world, a1)
    for persona in (world.town_assessor_a, world.secretary_a1, world.observer_a):
        with pytest.raises(PermissionDenied):
            decide(persona, filing)
    with pytest.raises(services.StaleVersion):
        filings.decide_filing(actor=world.county_assessor_a, filing=filing, version=7, approve=True)


# ----------------------------------------------------------------------- exemption


def test_only_an_approved_filing_of_the_same_participant_links(world, cycle, a1):
    pending = file(world, a1)
    with pytest.raises(ValidationError, match="尚未批准"):
        verified_event(world, a1, "ZJXF", filing=pending)
    a2 = cycle.participants.get(secretary=world.secretaries["a2"])
    with pytest.raises(ValidationError, match="只能关联该书记本人"):
        verified_event(world, a2, "ZJXF", filing=approved(world, a1))


def test_exemption_needs_a_linked_approved_filing_a_reason_and_the_county(world, a1):
    event = verified_event(world, a1, "ZJXF")
    with pytest.raises(ValidationError, match="已批准的改革风险备案"):
        exempt(world, event)
    event = services.link_filing(
        actor=world.county_assessor_a,
        event=event,
        version=event.version,
        filing=approved(world, a1),
    )
    with pytest.raises(PermissionDenied):
        services.exempt_event(
            actor=world.town_assessor_a, event=event, version=event.version, reason="x"
        )
    with pytest.raises(ValidationError, match="免责须写明理由"):
        exempt(world, event, reason=" ")
    event = exempt(world, event)
    assert event.exempt and event.exempted_by == world.county_assessor_a


def test_a_filing_made_after_the_event_neither_links_nor_exempts_it(world, a1):
    """容错免责 rests on a filing made in advance: an event dated before the filing's
    filing date is refused — on report, on linking and on exemption — with both dates."""
    late = decide(
        world.county_assessor_a,
        file(world, a1, at=datetime(2026, 5, 6, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))),
    )
    event = verified_event(world, a1, "ZJXF")
    message = "事项发生于 2026-04-20，早于改革风险备案“老旧小区加装电梯试点”的备案日期 2026-05-06"
    with pytest.raises(ValidationError, match=message):
        services.link_filing(
            actor=world.county_assessor_a, event=event, version=event.version, filing=late
        )
    with pytest.raises(ValidationError, match="事后备案不能关联"):
        verified_event(world, a1, "YJXF", filing=late)
    # Linked when the rule was not yet there (old data): exemption is still refused.
    Event.objects.filter(pk=event.pk).update(filing=late)
    with pytest.raises(ValidationError, match=message):
        exempt(world, event)
    assert not Event.objects.get(pk=event.pk).exempt
    # Filed on the very day of the event: in advance enough.
    same_day = decide(
        world.county_assessor_a,
        file(world, a1, at=datetime(2026, 4, 20, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))),
    )
    event.refresh_from_db()
    services.link_filing(
        actor=world.county_assessor_a, event=event, version=event.version, filing=same_day
    )
    assert exempt(world, event).exempt


def test_a_filing_an_import_made_covers_imported_events_only(world, a1, login):
    """容错免责 of an imported workbook: the file records the county's exemption but no
    filing date, so the import's filing (origin 导入, dated when the import ran) is not
    held to the in-advance rule for the imported events it stands for, and no other event
    can be linked to it or exempted by it."""
    imported = decide(
        world.county_assessor_a,
        file(world, a1, at=datetime(2026, 5, 6, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))),
    )
    ReformFiling.objects.filter(pk=imported.pk).update(origin=FilingOrigin.IMPORTED)
    imported.refresh_from_db()
    from_the_file = verified_event(world, a1, "ZJXF")
    Event.objects.filter(pk=from_the_file.pk).update(origin=EventOrigin.IMPORTED)
    from_the_file.refresh_from_db()
    linked = services.link_filing(
        actor=world.county_assessor_a,
        event=from_the_file,
        version=from_the_file.version,
        filing=imported,
    )
    assert exempt(world, linked).exempt
    message = "是 Excel 导入时为文件中的免责事项建立的，只对应导入的事项"
    reported = verified_event(world, a1, "YJXF")
    with pytest.raises(ValidationError, match=message):
        services.link_filing(
            actor=world.county_assessor_a, event=reported, version=reported.version, filing=imported
        )
    with pytest.raises(ValidationError, match=message):
        verified_event(world, a1, "YJXF", filing=imported)
    # Linked behind the rule's back: exemption is still refused.
    Event.objects.filter(pk=reported.pk).update(filing=imported)
    reported.refresh_from_db()
    with pytest.raises(ValidationError, match=message):
        exempt(world, reported)
    page = login(world.county_assessor_a).get(reverse("filing-detail", args=[imported.pk]))
    assert "由 Excel 导入" in page.content.decode()


def test_exemption_removes_the_deduction_and_the_veto_from_the_results(world, cycle, a1):
    """SPEC §2 / §3.3: an exempt event neither deducts nor vetoes."""
    filing = approved(world, a1)
    deduction = verified_event(world, a1, "ZJXF", filing=filing)
    veto = verified_event(world, a1, "YJXF", filing=filing)
    before = result_of(cycle, a1)
    assert before.veto and before.veto_reasons[0]["type"] == "YJXF"
    assert before.leaves.get(leaf__name="信访维稳").target_value == D(3)
    exempt(world, deduction)
    exempt(world, veto)
    after = result_of(cycle, a1)
    assert not after.veto and after.veto_reasons == []
    assert after.leaves.get(leaf__name="信访维稳").target_value == D(6)
    assert after.final > before.final
    effects = selectors.participant_events(world.secretary_a1, a1).effects
    assert [e.explanation for e in effects] == ["免责：不扣分，不否决"] * 2
    assert Event.objects.filter(exempt=True).count() == 2


def test_revoking_an_exemption_brings_the_deduction_back(world, cycle, a1):
    event = exempt(world, verified_event(world, a1, "ZJXF", filing=approved(world, a1)))
    assert result_of(cycle, a1).leaves.get(leaf__name="信访维稳").target_value == D(6)
    with pytest.raises(ValidationError, match="撤销免责须写明理由"):
        services.revoke_exemption(
            actor=world.county_assessor_a, event=event, version=event.version, reason=""
        )
    event = services.revoke_exemption(
        actor=world.county_assessor_a, event=event, version=event.version, reason="认定有误"
    )
    assert not event.exempt and event.exemption_reason == "认定有误"
    assert result_of(cycle, a1).leaves.get(leaf__name="信访维稳").target_value == D(3)
    with pytest.raises(ValidationError, match="未免责"):
        services.revoke_exemption(
            actor=world.county_assessor_a, event=event, version=event.version, reason="x"
        )


def test_exempting_revoking_and_reopening_a_verified_event_mark_the_inputs_changed(
    world, cycle, a1
):
    """DESIGN §3: each step starts or stops the event counting, so results go stale."""
    event = verified_event(world, a1, "ZJXF", filing=approved(world, a1))
    steps = [
        lambda e: exempt(world, e),
        lambda e: services.revoke_exemption(
            actor=world.county_assessor_a, event=e, version=e.version, reason="认定有误"
        ),
        lambda e: services.reopen_event(
            actor=world.county_assessor_a, event=e, version=e.version, reason="日期有误"
        ),
    ]
    for step in steps:
        cycle.refresh_from_db()
        before = cycle.inputs_version
        event = step(event)
        cycle.refresh_from_db()
        assert cycle.inputs_version == before + 1


def test_an_exempt_event_keeps_its_filing(world, a1):
    event = exempt(world, verified_event(world, a1, "ZJXF", filing=approved(world, a1)))
    with pytest.raises(ValidationError, match="须先撤销免责"):
        services.link_filing(
            actor=world.county_assessor_a, event=event, version=event.version, filing=None
        )


# --------------------------------------------------------------------------- pages


def test_filing_pages_file_approve_and_stay_scoped(world, cycle, a1, login):
    client = login(world.secretary_a1)
    response = client.post(
        reverse("filing-create", args=[cycle.pk]),
        {"title": "电梯试点", "description": "举措", "risks": "信访风险"},
    )
    filing = a1.reform_filings.get()
    assert response.url == reverse("filing-detail", args=[filing.pk])
    assert (
        login(world.town_assessor_a).get(reverse("filing-create", args=[cycle.pk])).status_code
        == 403
    )
    decide_url = reverse("filing-decide", args=[filing.pk])
    assert login(world.town_assessor_a).post(decide_url, {"decision": "approve"}).status_code == 403
    assert (
        login(world.outsider_b).get(reverse("filing-detail", args=[filing.pk])).status_code == 404
    )
    county = login(world.county_assessor_a)
    assert (
        "filing-decide" in county.get(reverse("filing-detail", args=[filing.pk])).content.decode()
    )
    county.post(decide_url, {"decision": "approve", "version": 1})
    filing.refresh_from_db()
    assert filing.status == FilingStatus.APPROVED
    listing = county.get(reverse("filing-list", args=[cycle.pk])).content.decode()
    assert "电梯试点" in listing


def test_an_exempted_veto_is_no_longer_marked_red(world, cycle, a1, login):
    """An exempted veto neither vetoes nor shows the red 一票否决 badge (issue 14): the
    event page, the cycle's event list and the participant's results say 已免责."""
    veto = verified_event(world, a1, "YJXF", filing=approved(world, a1))
    client = login(world.county_assessor_a)
    pages = [
        reverse("event-detail", args=[veto.pk]),
        reverse("event-list", args=[cycle.pk]),
        reverse("result-detail", args=[a1.pk]),
    ]
    for url in pages:
        assert 'data-state="veto"' in client.get(url).content.decode(), url
    exempt(world, veto)
    for url in pages:
        html = client.get(url).content.decode()
        assert 'data-state="exempt"' in html and 'data-state="veto"' not in html, url
        assert "已免责，不否决" in html
