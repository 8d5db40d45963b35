"""Rectification lists (整改清单, SPEC §2 "a problem found in feedback, with owner,
deadline and status; unresolved items carry over into the next cycle"; issue 6): who
creates, works on, closes and reopens items; suggestions from verified deduction events;
carry-over into the county's next cycle; evidence of closure; scoped pages."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from assessment import services as cycles
from evidence.models import (
    Attachment,
    Event,
    EventStatus,
    FilingStatus,
    RectificationItem,
    RectificationSource,
    RectificationStatus,
    ReformFiling,
)
from evidence.rectification import selectors, services
from tests.factories import open_seed_cycle

# One world and one cycle for the module; each test runs in a savepoint inside them.
pytestmark = pytest.mark.usefixtures("shared_world")

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def pdf(name="整改报告.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def not_a_pdf():
    return SimpleUploadedFile("假报告.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def participant(world, cycle, key="a1"):
    return cycle.participants.get(secretary=world.secretaries[key])


def event(world, cycle, code="AQSG", key="a1", status=EventStatus.VERIFIED, exempt=False):
    who = participant(world, cycle, key)
    filing = None
    if exempt:
        filing = ReformFiling.objects.create(
            participant=who,
            title="老旧小区改造试点",
            description="先行先试",
            risks="工期",
            status=FilingStatus.APPROVED,
            filed_by=who.secretary.user,
        )
    return Event.objects.create(
        participant=who,
        event_type=cycle.frozen_template.event_types.get(code=code),
        occurred_on=date(2026, 3, 5),
        description="小区电动车充电起火",
        status=status,
        exempt=exempt,
        filing=filing,
    )


def in_a_month():
    return timezone.localdate() + timedelta(days=30)


def item(world, cycle, *, actor=None, community=None, **extra):
    return services.create_item(
        actor=actor or world.county_assessor_a,
        cycle=cycle,
        community=community or world.community_a1,
        source=extra.pop("source", RectificationSource.RESULT),
        problem=extra.pop("problem", "组织生活台账不全"),
        deadline=extra.pop("deadline", in_a_month()),
        **extra,
    )


def test_county_and_town_assessors_create_items_for_their_communities(world, cycle):
    made = item(world, cycle)
    assert made.status == RectificationStatus.OPEN
    # The owner defaults to the community's secretary, the participant to theirs.
    assert made.owner == "甲书记" and made.participant == participant(world, cycle)
    by_town = item(world, cycle, actor=world.town_assessor_a, community=world.community_a2)
    assert by_town.created_by == world.town_assessor_a
    with pytest.raises(PermissionDenied):
        item(world, cycle, actor=world.town_assessor_a, community=world.community_b1)
    for persona in ("observer_a", "secretary_a1", "outsider_b"):
        with pytest.raises(PermissionDenied):
            item(world, cycle, actor=world.persona(persona))


def test_an_item_needs_a_problem_an_owner_and_a_deadline_within_reason(world, cycle):
    with pytest.raises(ValidationError, match="请写明存在的问题"):
        item(world, cycle, problem="  ")
    with pytest.raises(ValidationError, match="早于今天"):
        item(world, cycle, deadline=timezone.localdate() - timedelta(days=1))
    with pytest.raises(ValidationError, match="超过两年"):
        item(world, cycle, deadline=timezone.localdate() + timedelta(days=800))
    with pytest.raises(ValidationError, match="不是本县/区的社区"):
        item(world, cycle, actor=world.admin_a, community=world.town_a)
    with pytest.raises(ValidationError, match="请选择问题来源"):
        item(world, cycle, source=RectificationSource.CARRIED)
    assert not RectificationItem.objects.exists()


def test_an_item_links_only_an_event_of_its_own_participant(world, cycle):
    other = event(world, cycle, key="a2")
    with pytest.raises(ValidationError, match="不是本周期该社区的参评书记"):
        item(world, cycle, event=other)


def test_an_item_links_only_a_verified_non_exempt_deduction_event(world, cycle):
    for linked in (
        event(world, cycle, "AQSG", status=EventStatus.REPORTED),
        event(world, cycle, "AQSG", exempt=True),
        event(world, cycle, "SJBZ"),
    ):
        with pytest.raises(ValidationError, match="只有已核实、未免责"):
            item(world, cycle, source=RectificationSource.EVENT, event=linked)
    assert not RectificationItem.objects.exists()


def test_a_blank_owner_on_edit_becomes_the_communitys_secretary_as_the_form_says(world, cycle):
    made = item(world, cycle, owner="社区居委会主任")
    made = services.update_item(actor=world.county_assessor_a, item=made, version=1, owner=" ")
    assert made.owner == "甲书记"


def test_items_may_be_worked_on_after_publication_but_not_once_archived(world, cycle):
    """Rectification is feedback after results, not a scoring input: a published
    cycle takes items; an archived one does not."""
    cycle.status = "published"
    cycle.save()
    before = cycle.inputs_version
    made = item(world, cycle)
    cycle.refresh_from_db()
    assert cycle.inputs_version == before
    cycle.status = "archived"
    cycle.save()
    with pytest.raises(ValidationError, match="已归档"):
        services.record_progress(
            actor=world.secretary_a1, item=made, version=made.version, measures="补齐台账"
        )


def test_suggestions_are_verified_non_exempt_deduction_and_veto_events_without_an_item(
    world, cycle
):
    deduction = event(world, cycle, "AQSG")
    veto = event(world, cycle, "YJXF")
    event(world, cycle, "AQSG", status=EventStatus.REPORTED)
    event(world, cycle, "AQSG", status=EventStatus.REJECTED)
    event(world, cycle, "AQSG", exempt=True)
    event(world, cycle, "SJBZ")  # a bonus
    suggested = list(selectors.suggested_events(world.county_assessor_a, cycle))
    assert suggested == [deduction, veto]
    assert list(selectors.suggested_events(world.outsider_b, cycle)) == []
    services.create_from_event(actor=world.county_assessor_a, event=deduction)
    assert list(selectors.suggested_events(world.county_assessor_a, cycle)) == [veto]


def test_an_item_from_an_event_is_prefilled_and_made_once(world, cycle):
    deduction = event(world, cycle, "AQSG")
    made = services.create_from_event(actor=world.town_assessor_a, event=deduction)
    assert made.problem == "安全生产事故：小区电动车充电起火"
    assert made.source == RectificationSource.EVENT and made.event == deduction
    assert made.deadline == timezone.localdate() + timedelta(days=30)
    assert made.owner == "甲书记" and made.community == world.community_a1
    with pytest.raises(ValidationError, match="已生成整改事项"):
        services.create_from_event(actor=world.county_assessor_a, event=deduction)
    bonus = event(world, cycle, "SJBZ")
    with pytest.raises(ValidationError, match="只有已核实、未免责"):
        services.create_from_event(actor=world.county_assessor_a, event=bonus)


def test_generating_all_is_idempotent_and_stays_in_the_actors_scope(world, cycle):
    event(world, cycle, "AQSG", key="a1")
    event(world, cycle, "WGQX", key="a2")
    event(world, cycle, "AQSG", key="b1")
    made = services.create_from_events(actor=world.town_assessor_a, cycle=cycle)
    assert {i.community for i in made} == {world.community_a1, world.community_a2}
    made = services.create_from_events(actor=world.county_assessor_a, cycle=cycle)
    assert [i.community for i in made] == [world.community_b1]
    assert services.create_from_events(actor=world.county_assessor_a, cycle=cycle) == []
    assert RectificationItem.objects.count() == 3
    with pytest.raises(PermissionDenied):
        services.create_from_events(actor=world.observer_a, cycle=cycle)


def test_the_secretary_records_progress_and_staff_close_with_a_note_and_evidence(world, cycle):
    """待整改 → 整改中 (secretary or staff) → 已销号 (county or town staff)."""
    made = item(world, cycle)
    made = services.record_progress(
        actor=world.secretary_a1, item=made, version=made.version, measures="已补齐 3 月台账"
    )
    assert made.status == RectificationStatus.IN_PROGRESS and made.measures == "已补齐 3 月台账"
    with pytest.raises(PermissionDenied):
        services.close_item(
            actor=world.secretary_a1, item=made, version=made.version, closure_note="已整改"
        )
    with pytest.raises(ValidationError, match="请写明整改结果"):
        services.close_item(
            actor=world.town_assessor_a, item=made, version=made.version, closure_note=" "
        )
    with pytest.raises(ValidationError, match="销号需要上传整改佐证材料"):
        services.close_item(
            actor=world.town_assessor_a, item=made, version=made.version, closure_note="已整改"
        )
    made = services.close_item(
        actor=world.town_assessor_a,
        item=made,
        version=made.version,
        closure_note="台账已补齐，经核查属实",
        uploads=[pdf()],
    )
    assert made.status == RectificationStatus.CLOSED and made.closed_by == world.town_assessor_a
    assert made.attachments.get().original_name == "整改报告.pdf"
    assert made.attachments.get().participant == made.participant
    with pytest.raises(ValidationError, match="已销号"):
        services.record_progress(
            actor=world.secretary_a1, item=made, version=made.version, measures="再补"
        )


def test_staff_may_close_an_open_item_directly_with_evidence_attached_earlier(world, cycle):
    made = item(world, cycle)
    made = services.record_progress(
        actor=world.county_assessor_a,
        item=made,
        version=made.version,
        measures="督促补齐",
        uploads=[pdf("进展.pdf")],
    )
    made = services.close_item(
        actor=world.county_assessor_a, item=made, version=made.version, closure_note="已整改"
    )
    assert made.status == RectificationStatus.CLOSED


def test_other_communities_and_observers_may_not_record_progress(world, cycle):
    made = item(world, cycle, community=world.community_a2)
    for persona in ("secretary_a1", "observer_a", "outsider_b"):
        with pytest.raises(PermissionDenied):
            services.record_progress(
                actor=world.persona(persona), item=made, version=made.version, measures="x"
            )


def test_a_bad_file_refuses_the_closure_and_stores_nothing(world, cycle):
    made = item(world, cycle)
    with pytest.raises(ValidationError, match="假报告.pdf"):
        services.close_item(
            actor=world.county_assessor_a,
            item=made,
            version=made.version,
            closure_note="已整改",
            uploads=[pdf(), not_a_pdf()],
        )
    made.refresh_from_db()
    assert made.status == RectificationStatus.OPEN and made.version == 1
    assert not Attachment.objects.exists()


def test_only_a_county_assessor_reopens_with_a_reason(world, cycle):
    made = item(world, cycle)
    made = services.close_item(
        actor=world.town_assessor_a,
        item=made,
        version=made.version,
        closure_note="已整改",
        uploads=[pdf()],
    )
    with pytest.raises(PermissionDenied):
        services.reopen_item(
            actor=world.town_assessor_a, item=made, version=made.version, reason="复查不实"
        )
    with pytest.raises(ValidationError, match="重新打开的理由"):
        services.reopen_item(
            actor=world.county_assessor_a, item=made, version=made.version, reason=""
        )
    made = services.reopen_item(
        actor=world.county_assessor_a, item=made, version=made.version, reason="复查发现台账缺页"
    )
    assert made.status == RectificationStatus.IN_PROGRESS and made.closed_by is None
    assert made.history.first().history_change_reason == "重新打开：复查发现台账缺页"
    assert made.attachments.count() == 1
    with pytest.raises(ValidationError, match="只有已销号"):
        services.reopen_item(
            actor=world.county_assessor_a, item=made, version=made.version, reason="再开"
        )


def test_every_change_names_the_version_it_was_made_on(world, cycle):
    from core.versioning import StaleVersion

    made = item(world, cycle)
    services.update_item(
        actor=world.county_assessor_a, item=made, version=1, owner="社区居委会主任"
    )
    with pytest.raises(StaleVersion):
        services.record_progress(actor=world.secretary_a1, item=made, version=1, measures="x")
    with pytest.raises(ValidationError, match="缺少版本号"):
        services.update_item(actor=world.county_assessor_a, item=made, version=None, owner="x")
    made.refresh_from_db()
    assert made.owner == "社区居委会主任" and made.history.count() == 2


def next_cycle(world, county, year=2027):
    """The county's next year's cycle on the same template, enrolled, still a draft."""
    previous = county.cycles.order_by("-year").first()
    nxt = cycles.create_cycle(
        actor=None, county=county, name=f"{year}年度考核", year=year, template=previous.template
    )
    cycles.enrol_county(actor=None, cycle=nxt)
    return nxt


def test_open_items_carry_over_when_the_countys_next_cycle_opens(world, cycle):
    open_item = item(world, cycle)
    working = item(world, cycle, community=world.community_a2)
    working = services.record_progress(
        actor=world.county_assessor_a, item=working, version=1, measures="整改中"
    )
    closed = item(world, cycle, community=world.community_b1)
    services.close_item(
        actor=world.county_assessor_a, item=closed, version=1, closure_note="好", uploads=[pdf()]
    )
    open_seed_cycle(world.county_b)
    other_county = next_cycle(world, world.county_b)
    cycles.transition(actor=None, cycle=other_county, name="open", version=other_county.version)
    nxt = next_cycle(world, world.county_a)
    nxt = cycles.transition(actor=world.admin_a, cycle=nxt, name="open", version=nxt.version)
    copies = RectificationItem.objects.filter(cycle=nxt).order_by("carried_from_id")
    assert [c.carried_from for c in copies] == [open_item, working]
    first, second = copies
    assert first.source == RectificationSource.CARRIED and first.status == open_item.status
    assert second.status == RectificationStatus.IN_PROGRESS and second.measures == "整改中"
    assert first.participant == nxt.participants.get(secretary=world.secretaries["a1"])
    assert first.problem == open_item.problem and first.deadline == open_item.deadline
    # The original keeps its status and shows where it went.
    open_item.refresh_from_db()
    assert open_item.status == RectificationStatus.OPEN and open_item.carried_to == first
    assert not RectificationItem.objects.filter(cycle=other_county).exists()
    # Carrying again finds nothing new; the original is handled in the new cycle.
    assert services.carry_over(actor=world.county_assessor_a, cycle=nxt) == []
    with pytest.raises(ValidationError, match="已结转至"):
        services.record_progress(
            actor=world.secretary_a1, item=open_item, version=open_item.version, measures="x"
        )


def test_carry_over_on_demand_takes_items_added_later_once(world, cycle):
    nxt = next_cycle(world, world.county_a)
    item(world, cycle)
    with pytest.raises(PermissionDenied):
        services.carry_over(actor=world.town_assessor_a, cycle=nxt)
    assert len(services.carry_over(actor=world.county_assessor_a, cycle=nxt)) == 1
    assert services.carry_over(actor=world.county_assessor_a, cycle=nxt) == []
    # Earlier cycles only: nothing flows back into the older cycle.
    assert services.carry_over(actor=world.county_assessor_a, cycle=cycle) == []


def test_an_item_whose_deadline_passed_arrives_with_a_new_one(world, cycle):
    """Carried-over items do not arrive already overdue with last year's deadline: they
    are due CARRIED_DEADLINE_DAYS after carrying, and the history says so (issue 14)."""
    late = item(world, cycle)
    RectificationItem.objects.filter(pk=late.pk).update(deadline=date(2026, 1, 1))
    on_time = item(world, cycle, community=world.community_a2)
    nxt = next_cycle(world, world.county_a)
    copies = {
        c.carried_from_id: c for c in services.carry_over(actor=world.county_assessor_a, cycle=nxt)
    }
    today = timezone.localdate()
    moved = copies[late.pk]
    assert moved.deadline == today + timedelta(days=services.CARRIED_DEADLINE_DAYS)
    assert moved.deadline > today  # not overdue on arrival
    reason = moved.history.first().history_change_reason
    assert reason == f"上期结转：原整改时限 2026-01-01 已过，顺延至 {moved.deadline.isoformat()}"
    assert copies[on_time.pk].deadline == on_time.deadline


# Pages


def test_the_list_shows_counts_filters_and_overdue_items_with_a_fixed_number_of_queries(
    world, cycle, login, django_assert_max_num_queries
):
    for n in range(6):
        item(world, cycle, problem=f"问题{n}", community=world.community_a2)
    late = item(world, cycle, problem="逾期问题")
    RectificationItem.objects.filter(pk=late.pk).update(deadline=date(2026, 1, 1))
    event(world, cycle, "AQSG")
    client = login(world.county_assessor_a)
    url = reverse("rectification-list", args=[cycle.pk])
    with django_assert_max_num_queries(14):
        page = client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert 'data-testid="suggestion"' in text and "table-danger" in text
    assert page.context["counts"] == {"open": 7, "in_progress": 0, "closed": 0, "overdue": 1}
    overdue = client.get(url, {"overdue": "1"})
    assert [i.problem for i in overdue.context["items"]] == ["逾期问题"]
    town = client.get(url, {"unit": world.community_a2.pk, "status": "open"})
    assert len(town.context["items"]) == 6


def test_a_secretary_sees_only_their_communitys_items_and_no_suggestions(world, cycle, login):
    mine = item(world, cycle)
    item(world, cycle, community=world.community_a2)
    event(world, cycle, "AQSG")
    client = login(world.secretary_a1)
    page = client.get(reverse("rectification-list", args=[cycle.pk]))
    assert list(page.context["items"]) == [mine] and page.context["suggestions"] is None
    detail = client.get(reverse("rectification-detail", args=[mine.pk]))
    assert 'data-testid="progress-form"' in detail.content.decode()
    assert 'data-testid="close-form"' not in detail.content.decode()


def test_other_communities_items_answer_404_and_roles_without_the_write_403(world, cycle, login):
    other = item(world, cycle, community=world.community_a2)
    client = login(world.secretary_a1)
    assert client.get(reverse("rectification-detail", args=[other.pk])).status_code == 404
    progress = reverse("rectification-progress", args=[other.pk])
    assert client.post(progress, {"version": 1, "measures": "x"}).status_code == 404
    close = reverse("rectification-close", args=[other.pk])
    assert client.post(close, {"version": 1, "closure_note": "x"}).status_code == 403
    observer = login(world.observer_a)
    assert observer.get(reverse("rectification-detail", args=[other.pk])).status_code == 200
    assert observer.post(progress, {"version": 1, "measures": "x"}).status_code == 403
    other.refresh_from_db()
    assert other.status == RectificationStatus.OPEN


def test_pages_create_generate_work_close_and_reopen_an_item(world, cycle, login):
    deduction = event(world, cycle, "AQSG")
    client = login(world.county_assessor_a)
    client.post(reverse("rectification-from-events", args=[cycle.pk]), {"event": deduction.pk})
    made = RectificationItem.objects.get(event=deduction)
    created = client.post(
        reverse("rectification-create", args=[cycle.pk]),
        {
            "community": world.community_a2.pk,
            "source": RectificationSource.BULLETIN,
            "problem": "季度通报：台账滞后",
            "deadline": in_a_month().isoformat(),
        },
    )
    assert created.status_code == 302
    assert RectificationItem.objects.get(problem="季度通报：台账滞后").owner == "乙书记"
    secretary = login(world.secretary_a1)
    secretary.post(
        reverse("rectification-progress", args=[made.pk]),
        {"version": 1, "measures": "已更换充电桩"},
    )
    client = login(world.county_assessor_a)
    refused = client.post(
        reverse("rectification-close", args=[made.pk]),
        {"version": 2, "closure_note": "已整改", "files": [not_a_pdf()]},
        follow=True,
    )
    assert "假报告.pdf" in refused.content.decode()
    client.post(
        reverse("rectification-close", args=[made.pk]),
        {"version": 2, "closure_note": "已整改", "files": [pdf()]},
    )
    made.refresh_from_db()
    assert made.status == RectificationStatus.CLOSED
    client.post(reverse("rectification-reopen", args=[made.pk]), {"version": 3, "reason": "复查"})
    detail = client.get(reverse("rectification-detail", args=[made.pk]))
    assert detail.context["item"].status == RectificationStatus.IN_PROGRESS
    assert "重新打开：复查" in detail.content.decode()


def test_the_cycle_page_links_to_the_list(world, cycle, login):
    page = login(world.secretary_a1).get(reverse("cycle-detail", args=[cycle.pk]))
    assert reverse("rectification-list", args=[cycle.pk]) in page.content.decode()


def test_carry_over_button_is_for_county_managers(world, cycle, login):
    nxt = next_cycle(world, world.county_a)
    item(world, cycle)
    url = reverse("rectification-carry-over", args=[nxt.pk])
    assert login(world.town_assessor_a).post(url).status_code == 403
    login(world.county_assessor_a).post(url)
    assert RectificationItem.objects.filter(cycle=nxt).count() == 1
