"""通知 the evidence app sends (issue 15): an event reported against a secretary (not
one they reported themself), verified or not accepted; a reform-risk filing decided;
and the daily 约谈提醒 for a key task overdue, once."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from evidence.events import services as events
from evidence.filings import services as filings
from evidence.keytasks import services as keytasks
from org.notifications import services as notifications
from org.notifications.models import Notification, NotificationKind

pytestmark = pytest.mark.usefixtures("shared_world")

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
DEADLINE = date(2026, 6, 30)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def a1(world, cycle):
    return cycle.participants.get(secretary=world.secretaries["a1"])


def report(actor, participant, code="ZJXF", **options):
    return events.report_event(
        actor=actor,
        participant=participant,
        event_type=participant.cycle.frozen_template.event_types.get(code=code),
        occurred_on=date(2026, 5, 10),
        description="镇级信访案一件",
        **options,
    )


def of_kind(kind):
    return list(Notification.objects.filter(kind=kind).select_related("recipient"))


def test_an_event_reported_by_an_assessor_tells_the_secretary(world, a1, login):
    event = report(world.town_assessor_a, a1)
    (notice,) = of_kind(NotificationKind.EVENT_REPORTED)
    assert notice.recipient == world.secretary_a1
    assert notice.title == "有一件事项报告到您名下：镇级信访案"
    assert "2026-05-10" in notice.body and "镇级信访案一件" in notice.body
    assert notice.url == reverse("event-detail", args=[event.pk])
    assert login(world.secretary_a1).get(notice.url).status_code == 200


def test_a_bonus_the_secretary_reports_themself_tells_nobody(world, a1):
    proof = SimpleUploadedFile("表彰文件.pdf", PDF, content_type="application/pdf")
    report(world.secretary_a1, a1, code="SHIJ", uploads=[proof])
    assert of_kind(NotificationKind.EVENT_REPORTED) == []


def test_verifying_and_rejecting_tell_the_secretary(world, a1):
    first, second = report(world.town_assessor_a, a1), report(world.town_assessor_a, a1)
    events.verify_event(actor=world.county_assessor_a, event=first, version=first.version)
    events.reject_event(
        actor=world.county_assessor_a, event=second, version=second.version, reason="查无实据"
    )
    (verified,) = of_kind(NotificationKind.EVENT_VERIFIED)
    (rejected,) = of_kind(NotificationKind.EVENT_REJECTED)
    assert verified.recipient == rejected.recipient == world.secretary_a1
    assert verified.title == "您名下的事项“镇级信访案”（2026-05-10）已核实"
    assert rejected.title == "您名下的事项“镇级信访案”（2026-05-10）不予认定"
    assert rejected.body == "理由：查无实据"
    assert rejected.url == reverse("event-detail", args=[second.pk])


def test_a_decided_filing_tells_the_filer(world, a1):
    filing = filings.file_reform(
        actor=world.secretary_a1, participant=a1, title="试点", description="举措", risks="风险"
    )
    filings.decide_filing(
        actor=world.county_assessor_a,
        filing=filing,
        version=filing.version,
        approve=False,
        reason="风险评估不充分",
    )
    (notice,) = of_kind(NotificationKind.FILING_DECIDED)
    assert notice.recipient == world.secretary_a1
    assert notice.title == "您的改革风险备案“试点”未获批准"
    assert notice.body == "审批意见：风险评估不充分"
    assert notice.url == reverse("filing-detail", args=[filing.pk])


def new_task(world, cycle):
    types = cycle.frozen_template.event_types
    return keytasks.create_task(
        actor=world.county_assessor_a,
        cycle=cycle,
        assignments=[(c, (25, 50, 75, 100)) for c in (world.community_a1, world.community_a2)],
        title="老旧小区改造",
        deadline=DEADLINE,
        on_time_type=types.get(code="RWAS"),
        late_type=types.get(code="RWZH"),
    )


def test_an_overdue_key_task_reminds_its_secretary_once(world, cycle, login):
    """约谈提醒: the community that has not finished by the deadline is told the next
    day, once, however often the daily job runs; the one that finished is not."""
    task = new_task(world, cycle)
    keytasks.report_progress(
        actor=world.secretary_a1,
        assignment=task.assignments.get(community=world.community_a1),
        progress=100,
        reported_on=date(2026, 6, 1),
    )
    assert notifications.send_reminders(DEADLINE) == 0  # the deadline day is not overdue
    assert notifications.send_reminders(date(2026, 7, 1)) == 1
    assert notifications.send_reminders(date(2026, 7, 1)) == 0
    assert notifications.send_reminders(date(2026, 7, 2)) == 0
    (notice,) = of_kind(NotificationKind.SUMMONS)
    assert notice.recipient == world.secretaries["a2"].user
    assert notice.title == "约谈提醒：重点工作“老旧小区改造”已逾期"
    assert "2026-06-30" in notice.body
    assert login(notice.recipient).get(notice.url).status_code == 200
