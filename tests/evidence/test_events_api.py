"""The events and reform-filings API (/api/v1/events/, /api/v1/reform-filings/; issue 6):
the same services as the pages, scoped reads (404 outside scope), If-Match on changes of
one record (missing → 428, stale → 412; DESIGN §4)."""

from datetime import date
from pathlib import Path

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from evidence.models import Attachment, Event, EventStatus, FilingStatus

# One world and one cycle for the module; each test runs in a savepoint inside them.
pytestmark = pytest.mark.usefixtures("shared_world")

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(17)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def a1(world, cycle):
    return cycle.participants.get(secretary=world.secretaries["a1"])


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def body(cycle, a1, code="ZJXF"):
    return {
        "participant": a1.pk,
        "event_type": cycle.frozen_template.event_types.get(code=code).pk,
        "occurred_on": "2026-05-10",
        "description": "镇级信访案一件",
    }


def reported(world, cycle, a1):
    response = api(world.town_assessor_a).post("/api/v1/events/", body(cycle, a1), format="json")
    assert response.status_code == 201, response.json()
    return response


def test_report_with_files_and_read_back_with_an_etag(world, cycle, a1):
    response = api(world.town_assessor_a).post(
        "/api/v1/events/",
        {**body(cycle, a1), "files": [SimpleUploadedFile("通报.pdf", PDF)]},
        format="multipart",
    )
    assert response.status_code == 201 and response["ETag"] == '"1"'
    event = response.json()
    assert event["status"] == "reported" and len(event["attachments"]) == 1
    got = api(world.county_assessor_a).get(f"/api/v1/events/{event['id']}/")
    assert got.status_code == 200 and got["ETag"] == '"1"'


def test_a_bad_file_refuses_the_report_with_a_message(world, cycle, a1, media):
    response = api(world.town_assessor_a).post(
        "/api/v1/events/",
        {**body(cycle, a1), "files": [SimpleUploadedFile("照片.pdf", PNG)]},
        format="multipart",
    )
    assert response.status_code == 400
    assert "与扩展名“.pdf”不符" in str(response.json())
    assert not Event.objects.exists() and not Attachment.objects.exists()
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


def test_out_of_scope_users_see_nothing_and_get_404(world, cycle, a1):
    event_id = reported(world, cycle, a1).json()["id"]
    outsider = api(world.outsider_b)
    assert outsider.get("/api/v1/events/", {"cycle": cycle.pk}).json()["count"] == 0
    assert outsider.get(f"/api/v1/events/{event_id}/").status_code == 404
    response = outsider.post(f"/api/v1/events/{event_id}/verify/", HTTP_IF_MATCH='"1"')
    assert response.status_code == 404
    assert outsider.post("/api/v1/events/", body(cycle, a1), format="json").status_code == 400


def test_verify_needs_if_match_and_refuses_a_stale_one(world, cycle, a1):
    event_id = reported(world, cycle, a1).json()["id"]
    county = api(world.county_assessor_a)
    url = f"/api/v1/events/{event_id}/verify/"
    assert county.post(url).status_code == 428
    assert county.post(url, HTTP_IF_MATCH='"7"').status_code == 412
    response = county.post(url, {"reason": "属实"}, format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 200 and response["ETag"] == '"2"'
    assert response.json()["status"] == "verified" and response.json()["counts"]


def test_the_reporter_cannot_verify_and_rejection_needs_a_reason(world, cycle, a1):
    event_id = reported(world, cycle, a1).json()["id"]
    own = api(world.town_assessor_a).post(f"/api/v1/events/{event_id}/verify/", HTTP_IF_MATCH='"1"')
    assert own.status_code == 400 and "不能核实本人报告的事项" in str(own.json())
    county = api(world.county_assessor_a)
    url = f"/api/v1/events/{event_id}/reject/"
    assert county.post(url, HTTP_IF_MATCH='"1"').status_code == 400
    done = county.post(url, {"reason": "查无实据"}, format="json", HTTP_IF_MATCH='"1"')
    assert done.json()["status"] == "rejected"
    secretary = api(world.secretary_a1).post(
        f"/api/v1/events/{event_id}/reopen/", {"reason": "x"}, HTTP_IF_MATCH='"2"'
    )
    assert secretary.status_code == 403


def test_the_reporter_patches_a_pending_event_with_if_match(world, cycle, a1):
    event_id = reported(world, cycle, a1).json()["id"]
    url = f"/api/v1/events/{event_id}/"
    town = api(world.town_assessor_a)
    change = {"description": "更正：越级前已化解"}
    assert town.patch(url, change, format="json").status_code == 428
    assert town.patch(url, change, format="json", HTTP_IF_MATCH='"3"').status_code == 412
    response = town.patch(url, change, format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 200 and response["ETag"] == '"2"'
    assert response.json()["description"] == "更正：越级前已化解"
    other = api(world.county_assessor_a).patch(url, change, format="json", HTTP_IF_MATCH='"2"')
    assert other.status_code == 400


def test_bulk_verify_is_all_or_nothing(world, cycle, a1):
    ids = [reported(world, cycle, a1).json()["id"] for _ in range(2)]
    county = api(world.county_assessor_a)
    refused = county.post(
        "/api/v1/events/bulk-verify/", {"ids": [*ids, 424242], "decision": "verify"}, format="json"
    )
    assert refused.status_code == 400 and "#424242" in str(refused.json())
    assert not Event.objects.filter(status=EventStatus.VERIFIED).exists()
    done = county.post(
        "/api/v1/events/bulk-verify/", {"ids": ids, "decision": "verify"}, format="json"
    )
    assert done.status_code == 200 and {e["status"] for e in done.json()} == {"verified"}


def test_filings_and_exemption_through_the_api(world, cycle, a1):
    with time_machine.travel(date(2026, 3, 1), tick=False):  # filed before the event
        filing = api(world.secretary_a1).post(
            "/api/v1/reform-filings/",
            {"participant": a1.pk, "title": "电梯试点", "description": "举措", "risks": "信访风险"},
            format="json",
        )
    assert filing.status_code == 201, filing.json()
    url = f"/api/v1/reform-filings/{filing.json()['id']}/"
    assert api(world.town_assessor_a).post(url + "approve/", HTTP_IF_MATCH='"1"').status_code == 403
    county = api(world.county_assessor_a)
    assert county.post(url + "approve/").status_code == 428
    approved = county.post(url + "approve/", HTTP_IF_MATCH='"1"')
    assert approved.json()["status"] == FilingStatus.APPROVED
    event = api(world.town_assessor_a).post(
        "/api/v1/events/", {**body(cycle, a1), "filing": filing.json()["id"]}, format="json"
    )
    event_url = f"/api/v1/events/{event.json()['id']}/"
    exempt = county.post(
        event_url + "exempt/", {"reason": "已备案试点"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert exempt.status_code == 200 and exempt.json()["exempt"]
    revoked = county.post(
        event_url + "revoke-exemption/", {"reason": "有误"}, format="json", HTTP_IF_MATCH='"2"'
    )
    assert revoked.status_code == 200 and not revoked.json()["exempt"]
    assert api(world.outsider_b).get(url).status_code == 404
