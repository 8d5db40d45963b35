"""Rectification items API (/api/v1/rectification-items/, issue 6): scoped lists,
create, PATCH with If-Match (missing → 428, stale → 412), the start/close/reopen actions
and the carry-over/from-events collection actions; the same service rules as the pages."""

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from assessment import services as cycles
from evidence.models import (
    Attachment,
    Event,
    EventStatus,
    RectificationItem,
    RectificationSource,
    RectificationStatus,
)
from evidence.rectification import services
from tests.factories import open_seed_cycle

# One world and one cycle for the module; each test runs in a savepoint inside them.
pytestmark = pytest.mark.usefixtures("shared_world")

URL = "/api/v1/rectification-items/"
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def made(world, cycle, community=None):
    return services.create_item(
        actor=world.county_assessor_a,
        cycle=cycle,
        community=community or world.community_a1,
        source=RectificationSource.RESULT,
        problem="组织生活台账不全",
        deadline=timezone.localdate() + timedelta(days=30),
    )


def test_create_and_read_an_item(world, cycle):
    body = {
        "cycle": cycle.pk,
        "community": world.community_a1.pk,
        "source": "bulletin",
        "problem": "第一季度通报：重点任务滞后",
        "deadline": (timezone.localdate() + timedelta(days=20)).isoformat(),
    }
    created = api(world.town_assessor_a).post(URL, body, format="json")
    assert created.status_code == 201, created.data
    assert created["ETag"] == '"1"'
    assert created.data["owner"] == "甲书记" and created.data["status_label"] == "待整改"
    read = api(world.secretary_a1).get(f"{URL}{created.data['id']}/")
    assert read.status_code == 200 and read.data["source_label"] == "季度通报"
    refused = api(world.town_assessor_a).post(
        URL, {**body, "deadline": "2020-01-01"}, format="json"
    )
    assert refused.status_code == 400 and "早于今天" in refused.data["deadline"][0]


def test_lists_are_scoped_and_filtered(world, cycle):
    mine = made(world, cycle)
    made(world, cycle, community=world.community_b1)
    assert [r["id"] for r in api(world.secretary_a1).get(URL).data["results"]] == [mine.pk]
    assert api(world.outsider_b).get(URL, {"cycle": cycle.pk}).data["count"] == 1
    assert api(world.county_assessor_a).get(URL, {"status": "closed"}).data["count"] == 0
    assert api(world.county_assessor_a).get(URL, {"overdue": "false"}).data["count"] == 2


def test_patch_needs_if_match(world, cycle):
    item = made(world, cycle)
    client = api(world.county_assessor_a)
    url = f"{URL}{item.pk}/"
    assert client.patch(url, {"owner": "居委会主任"}, format="json").status_code == 428
    ok = client.patch(url, {"owner": "居委会主任"}, format="json", HTTP_IF_MATCH='"1"')
    assert ok.status_code == 200 and ok["ETag"] == '"2"' and ok.data["owner"] == "居委会主任"
    stale = client.patch(url, {"owner": "别人"}, format="json", HTTP_IF_MATCH='"1"')
    assert stale.status_code == 412
    assert api(world.observer_a).patch(url, {"owner": "x"}, HTTP_IF_MATCH='"2"').status_code == 403
    assert api(world.outsider_b).patch(url, {"owner": "x"}, HTTP_IF_MATCH='"2"').status_code == 404
    item.refresh_from_db()
    assert item.owner == "居委会主任"


def test_start_close_and_reopen(world, cycle):
    item = made(world, cycle)
    url = f"{URL}{item.pk}/"
    secretary = api(world.secretary_a1)
    assert secretary.post(url + "start/", {"measures": "补台账"}).status_code == 428
    started = secretary.post(url + "start/", {"measures": "补台账"}, HTTP_IF_MATCH='"1"')
    assert started.status_code == 200 and started.data["status"] == RectificationStatus.IN_PROGRESS
    closing = {"closure_note": "已整改"}
    assert secretary.post(url + "close/", closing, HTTP_IF_MATCH='"2"').status_code == 403
    town = api(world.town_assessor_a)
    no_file = town.post(url + "close/", closing, format="json", HTTP_IF_MATCH='"2"')
    assert no_file.status_code == 400 and "佐证材料" in no_file.data["files"][0]
    bad = SimpleUploadedFile("报告.pdf", b"not a pdf at all")
    refused = town.post(
        url + "close/", {**closing, "files": [bad]}, format="multipart", HTTP_IF_MATCH='"2"'
    )
    assert refused.status_code == 400 and not Attachment.objects.exists()
    good = SimpleUploadedFile("报告.pdf", PDF)
    closed = town.post(
        url + "close/", {**closing, "files": [good]}, format="multipart", HTTP_IF_MATCH='"2"'
    )
    assert closed.status_code == 200, closed.data
    assert closed.data["status"] == "closed" and closed.data["attachments"][0]["name"] == "报告.pdf"
    assert town.post(url + "reopen/", {"reason": "复查"}, HTTP_IF_MATCH='"3"').status_code == 403
    reopened = api(world.county_assessor_a).post(
        url + "reopen/", {"reason": "复查不实"}, format="json", HTTP_IF_MATCH='"3"'
    )
    assert reopened.status_code == 200 and reopened.data["status"] == "in_progress"


def test_from_events_and_carry_over_are_idempotent(world, cycle):
    participant = cycle.participants.get(secretary=world.secretaries["a1"])
    deduction = Event.objects.create(
        participant=participant,
        event_type=cycle.frozen_template.event_types.get(code="WGQX"),
        occurred_on=date(2026, 4, 1),
        description="例会无故缺席",
        status=EventStatus.VERIFIED,
    )
    client = api(world.county_assessor_a)
    first = client.post(URL + "from-events/", {"cycle": cycle.pk}, format="json")
    assert first.status_code == 201 and first.data[0]["event"] == deduction.pk
    again = client.post(URL + "from-events/", {"cycle": cycle.pk}, format="json")
    assert again.status_code == 201 and again.data == []
    one = client.post(
        URL + "from-events/", {"cycle": cycle.pk, "event": deduction.pk}, format="json"
    )
    assert one.status_code == 400
    nxt = cycles.create_cycle(
        actor=None, county=world.county_a, name="2027年度考核", year=2027, template=cycle.template
    )
    carried = client.post(URL + "carry-over/", {"cycle": nxt.pk}, format="json")
    assert carried.status_code == 201 and carried.data[0]["source"] == "carried"
    assert client.post(URL + "carry-over/", {"cycle": nxt.pk}, format="json").data == []
    assert RectificationItem.objects.filter(cycle=nxt).count() == 1
    foreign = open_seed_cycle(world.county_b)
    assert client.post(URL + "carry-over/", {"cycle": foreign.pk}, format="json").status_code == 404
    assert (
        api(world.observer_a)
        .post(URL + "carry-over/", {"cycle": nxt.pk}, format="json")
        .status_code
        == 403
    )
