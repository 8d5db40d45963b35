"""后台任务 (the 任务 page): the jobs a person may see — their own, and every job of the
counties they administer, the schedule's included (`Job.objects.for_user`) — filtered,
with where each one's outcome is."""

from dataclasses import dataclass

from django.urls import reverse

from reports.jobs.running import job_progress
from reports.models import FINISHED_STATES, IMPORT_KINDS, Job, JobKind, JobState


@dataclass(frozen=True)
class JobFilter:
    kind: str = ""
    state: str = ""

    @classmethod
    def from_query(cls, query):
        kind = query.get("kind", "")
        state = query.get("state", "")
        return cls(
            kind=kind if kind in JobKind.values else "",
            state=state if state in JobState.values else "",
        )


NO_FILTER = JobFilter()


def visible_jobs(user, job_filter=NO_FILTER):
    """The jobs the user sees, newest first (the page paginates them)."""
    jobs = Job.objects.for_user(user).select_related("requested_by", "cycle", "county")
    if job_filter.kind:
        jobs = jobs.filter(kind=job_filter.kind)
    if job_filter.state:
        jobs = jobs.filter(state=job_filter.state)
    return jobs


@dataclass(frozen=True)
class JobRow:
    job: Job
    percent: int
    message: str
    url: str  # its page (an import's own page, else the generic one)
    outcome_url: str  # what it made, once done ("" if nothing to open)


def outcome_url(job):
    """Where what the job made is: a bulletin's page; an import's page; a ballot batch's
    page (its slips are taken there, once); the recomputed ranking; its file."""
    if job.kind in IMPORT_KINDS:
        return reverse("import-job", args=[job.pk])
    if job.kind == JobKind.BULLETIN and job.state == JobState.DONE and job.result.get("bulletin"):
        return reverse("bulletin-detail", args=[job.result["bulletin"]])
    if job.kind == JobKind.BALLOT_SLIPS and job.result.get("batch"):
        return reverse("ballot-batch-detail", args=[job.result["batch"]])
    if job.kind == JobKind.RECOMPUTE and job.state == JobState.DONE and job.cycle_id:
        return reverse("ranking", args=[job.cycle_id])
    if job.state == JobState.DONE and job.output:
        return reverse("job-output", args=[job.pk])
    return ""


def job_url(job):
    if job.kind in IMPORT_KINDS:
        return reverse("import-job", args=[job.pk])
    return reverse("job-detail", args=[job.pk])


def rows(jobs):
    made = []
    for job in jobs:
        percent, message = job_progress(job)
        made.append(JobRow(job, percent, message, job_url(job), outcome_url(job)))
    return made


def any_running(rows_):
    return any(row.job.state not in FINISHED_STATES for row in rows_)
