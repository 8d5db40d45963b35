"""后台任务 (the 任务 page, DESIGN §5): a person sees their own jobs, an admin every job of
their county (the schedule's too); a running job's progress follows without reloading
(htmx polling that stops when nothing runs); the outcome links to what was made; the
error is in Chinese; nobody opens a job outside their reach."""

import io
from datetime import timedelta

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from assessment import services as cycles
from reports import services
from reports.jobs import running
from reports.models import Job, JobKind, JobState
from tests.factories import complete_scoring, fresh_cycle, open_seed_cycle

pytestmark = pytest.mark.usefixtures("shared_world")


@pytest.fixture(scope="module")
def module_cycle(shared_world):
    cycle = open_seed_cycle(shared_world.county_a)
    return cycles.transition(actor=None, cycle=cycle, name="start_scoring", version=cycle.version)


@pytest.fixture
def cycle(module_cycle, db):
    return fresh_cycle(module_cycle)


def job(world, cycle, requested_by, **fields):
    made = running.start_job(
        kind=JobKind.BULLETIN,
        requested_by=requested_by,
        county=cycle.county,
        cycle=cycle,
        options={"cycle": cycle.pk, "quarter": 3},
    )
    Job.objects.filter(pk=made.pk).update(**fields)
    made.refresh_from_db()
    return made


def listed(client, **query):
    response = client.get(reverse("job-list"), query)
    assert response.status_code == 200
    return [row.job.pk for row in response.context["rows"]], response.content.decode()


def test_one_sees_ones_own_jobs_and_an_admin_the_countys(world, cycle, login):
    mine = job(world, cycle, world.county_assessor_a)
    scheduled = job(world, cycle, None)
    theirs = job(world, cycle, world.admin_a)
    assert listed(login(world.county_assessor_a))[0] == [mine.pk]
    assert set(listed(login(world.admin_a))[0]) == {mine.pk, scheduled.pk, theirs.pk}
    assert listed(login(world.secretary_a1))[0] == []
    assert login(world.secretary_a1).get(reverse("job-detail", args=[mine.pk])).status_code == 404
    assert login(world.outsider_b).get(reverse("job-detail", args=[mine.pk])).status_code == 404


def test_the_table_polls_while_a_job_runs_and_stops_when_none_does(world, cycle, login):
    running = job(world, cycle, world.admin_a, state=JobState.RUNNING, progress=40)
    client = login(world.admin_a)
    _ids, html = listed(client)
    assert 'hx-trigger="every 2s"' in html and 'value="40"' in html
    Job.objects.filter(pk=running.pk).update(state=JobState.FAILED, message="处理时发生意外错误。")
    rows = client.get(reverse("job-rows")).content.decode()
    assert "hx-trigger" not in rows and "处理时发生意外错误。" in rows


def test_filters_by_kind_and_state(world, cycle, login):
    done = job(world, cycle, world.admin_a, state=JobState.DONE)
    failed = job(world, cycle, world.admin_a, state=JobState.FAILED)
    client = login(world.admin_a)
    assert listed(client, state="failed")[0] == [failed.pk]
    assert set(listed(client, kind="bulletin")[0]) == {done.pk, failed.pk}
    assert listed(client, kind="import_apply")[0] == []
    assert set(listed(client, state="nonsense")[0]) == {done.pk, failed.pk}


def test_the_jobs_are_paginated_and_the_polled_table_keeps_its_page(
    world, cycle, login, django_assert_max_num_queries
):
    """SPEC §6: a county's schedule makes jobs every quarter and every night; the page
    shows a page of them, the newest first, and the polling reads the same page."""
    Job.objects.bulk_create(
        Job(kind=JobKind.BULLETIN, county=cycle.county, cycle=cycle, state=JobState.DONE)
        for _ in range(120)
    )
    oldest = job(world, cycle, None, state=JobState.RUNNING)
    Job.objects.filter(pk=oldest.pk).update(created_at=timezone.now() - timedelta(days=30))
    client = login(world.admin_a)
    ids, html = listed(client)
    assert len(ids) == 50 and oldest.pk not in ids
    assert 'data-testid="pager"' in html and "共 121 条" in html
    assert "hx-trigger" not in html  # nothing runs on this page
    last, html = listed(client, page=3)
    assert len(last) == 21 and last[-1] == oldest.pk
    assert f'hx-get="{reverse("job-rows")}?page=3"' in html
    assert len(listed(client, per_page=200)[0]) == 121
    with django_assert_max_num_queries(13):
        polled = client.get(reverse("job-rows"), {"page": 3})
    assert len(polled.context["rows"]) == 21 and "hx-trigger" in polled.content.decode()


def test_a_finished_job_links_to_what_it_made(
    world, cycle, login, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        made = job(world, cycle, world.admin_a)
    made.refresh_from_db()
    assert made.state == JobState.DONE
    page = login(world.admin_a).get(reverse("job-detail", args=[made.pk])).content.decode()
    assert reverse("bulletin-detail", args=[made.result["bulletin"]]) in page
    assert 'data-testid="job-done"' in page and "hx-trigger" not in page


def test_an_import_job_opens_on_its_own_page(world, cycle, login):
    imported = Job.objects.create(
        kind=JobKind.IMPORT_PREVIEW, county=cycle.county, requested_by=world.admin_a
    )
    response = login(world.admin_a).get(reverse("job-detail", args=[imported.pk]))
    assert response.status_code == 302
    assert response.url == reverse("import-job", args=[imported.pk])


def test_a_large_countys_results_are_exported_by_a_job_whose_page_offers_the_file(
    world, cycle, login, settings, tmp_path, monkeypatch, django_capture_on_commit_callbacks
):
    """DESIGN §5: a county above `EXPORT_IN_REQUEST` participants gets its workbook from
    a job (here the bound is lowered); the file is kept on the job and downloaded by
    those who see the job, nobody else."""
    settings.MEDIA_ROOT = str(tmp_path)
    monkeypatch.setattr(services, "EXPORT_IN_REQUEST", 0)
    complete_scoring(cycle, world.county_assessor_a)
    client = login(world.county_assessor_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse("results-export", args=[cycle.pk]))
    made = Job.objects.get(kind=JobKind.RESULTS_EXPORT, cycle=cycle)
    assert response.status_code == 302
    assert response.url == reverse("job-detail", args=[made.pk])
    made.refresh_from_db()
    assert made.state == JobState.DONE and made.output and made.output_name.endswith(".xlsx")
    page = client.get(reverse("job-detail", args=[made.pk])).content.decode()
    assert reverse("job-output", args=[made.pk]) in page
    download = client.get(reverse("job-output", args=[made.pk]))
    book = openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    assert "排名" in book.sheetnames
    for persona in ("town_assessor_a", "secretary_a1", "outsider_b"):
        url = reverse("job-output", args=[made.pk])
        assert login(world.persona(persona)).get(url).status_code == 404, persona
