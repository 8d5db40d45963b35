"""Key-task API (SPEC §2 重点工作; DESIGN §4 If-Match): county managers create and change
tasks, assignments carry today's status, the community reports progress; scope as in
the pages (out of scope → 404, a write the role never has → 403)."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from evidence.keytasks import services
from evidence.models import Event, KeyTask, KeyTaskAssignment, ProgressReport

# One world and one cycle for the module; each test runs in a savepoint inside them.
pytestmark = pytest.mark.usefixtures("shared_world")

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def plan(community, *plans):
    return dict(
        zip(["plan_q1", "plan_q2", "plan_q3", "plan_q4"], plans, strict=True),
        community=community.pk,
    )


def create(world, cycle, **changes):
    body = {
        "cycle": cycle.pk,
        "title": "老旧小区改造",
        "deadline": "2026-06-30",
        "on_time_type": cycle.frozen_template.event_types.get(code="RWAS").pk,
        "assignments": [
            plan(world.community_a1, 25, 50, 75, 100),
            plan(world.community_b1, 0, 100, 100, 100),
        ],
        **changes,
    }
    return client_for(world.county_assessor_a).post("/api/v1/key-tasks/", body, format="json")


def test_a_county_assessor_creates_a_task_with_its_communities(world, cycle):
    response = create(world, cycle)
    assert response.status_code == 201, response.json()
    assert response["ETag"] == '"1"'
    task = KeyTask.objects.get(pk=response.json()["id"])
    assert {a.community.code: a.plans for a in task.assignments.all()} == {
        "QA101": (25, 50, 75, 100),
        "QA201": (0, 100, 100, 100),
    }


def test_a_wrong_plan_is_refused_with_the_community_and_quarter(world, cycle):
    response = create(world, cycle, assignments=[plan(world.community_a1, 50, 40, 75, 100)])
    assert response.status_code == 400
    assert "城东社区 第 2 季度的计划进度（40%）低于上一季度（50%）" in str(response.json())
    assert not KeyTask.objects.exists()


def test_a_secretary_may_not_create_tasks(world, cycle):
    response = client_for(world.secretary_a1).post(
        "/api/v1/key-tasks/", {"cycle": cycle.pk, "title": "越权"}, format="json"
    )
    assert response.status_code == 403


def test_changes_need_if_match(world, cycle):
    task_id = create(world, cycle).json()["id"]
    api = client_for(world.county_assessor_a)
    url = f"/api/v1/key-tasks/{task_id}/"
    assert api.patch(url, {"title": "改"}, format="json").status_code == 428
    assert api.patch(url, {"title": "改"}, format="json", HTTP_IF_MATCH='"7"').status_code == 412
    response = api.patch(url, {"title": "改造一期"}, format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 200 and response["ETag"] == '"2"'
    assert KeyTask.objects.get().title == "改造一期"
    assert api.delete(url).status_code == 428
    assert api.delete(url, HTTP_IF_MATCH='"2"').status_code == 204
    assert not KeyTask.objects.exists() and not KeyTaskAssignment.objects.exists()


def test_assignments_carry_the_status_today(world, cycle):
    create(world, cycle)
    rows = client_for(world.admin_a).get("/api/v1/key-task-assignments/").json()["results"]
    # Today is after the 2026-06-30 deadline: neither community finished.
    by_code = {r["community_name"]: r for r in rows}
    assert set(by_code) == {"城东社区", "东湖社区"}
    row = by_code["城东社区"]
    assert row["status"] == "overdue" and row["completion"] is None
    assert row["days_overdue"] > 0 and row["deadline"] == "2026-06-30"


def test_a_town_assessor_sees_only_the_assignments_of_their_town(world, cycle):
    create(world, cycle)
    api = client_for(world.town_assessor_a)
    rows = api.get("/api/v1/key-task-assignments/").json()["results"]
    assert [r["community_name"] for r in rows] == ["城东社区"]
    foreign = KeyTaskAssignment.objects.get(community=world.community_b1)
    assert api.get(f"/api/v1/key-task-assignments/{foreign.pk}/").status_code == 404


def test_the_secretary_reports_progress_with_a_file_and_completion_raises_an_event(
    world, cycle, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    create(world, cycle)
    assignment = KeyTaskAssignment.objects.get(community=world.community_a1)
    api = client_for(world.secretary_a1)
    response = api.post(
        "/api/v1/progress-reports/",
        {
            "assignment": assignment.pk,
            "progress": 100,
            "reported_on": "2026-06-15",
            "note": "已完工",
            "files": [SimpleUploadedFile("验收单.pdf", PDF)],
        },
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["attachments"][0]["name"] == "验收单.pdf"
    assert Event.objects.get().event_type.code == "RWAS"
    listed = api.get("/api/v1/progress-reports/").json()["results"]
    assert [r["progress"] for r in listed] == [100]


def test_progress_going_down_is_refused_by_the_api(world, cycle):
    create(world, cycle)
    assignment = KeyTaskAssignment.objects.get(community=world.community_a1)
    services.report_progress(
        actor=world.secretary_a1, assignment=assignment, progress=60, reported_on=date(2026, 3, 1)
    )
    response = client_for(world.secretary_a1).post(
        "/api/v1/progress-reports/",
        {"assignment": assignment.pk, "progress": 50, "reported_on": "2026-03-02"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["progress"] == ["累计进度不能低于上次报告的 60%。"]


def test_reporting_on_another_communitys_assignment_is_refused(world, cycle):
    create(world, cycle)
    foreign = KeyTaskAssignment.objects.get(community=world.community_b1)
    response = client_for(world.secretary_a1).post(
        "/api/v1/progress-reports/",
        {"assignment": foreign.pk, "progress": 50, "reported_on": "2026-03-02"},
        format="json",
    )
    assert response.status_code == 400 and "assignment" in response.json()
    assert not ProgressReport.objects.exists()
    response = client_for(world.county_assessor_a).post(
        "/api/v1/progress-reports/",
        {"assignment": foreign.pk, "progress": 50, "reported_on": "2026-03-02"},
        format="json",
    )
    assert response.status_code == 403
