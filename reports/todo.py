"""The reports app's lines of the home page's 待办 (`core.todo`): jobs still running,
and jobs that failed in the last week, of the user (an admin: of their counties)."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.todo import Todo
from reports.models import Job, JobKind, JobState

RECENT_DAYS = 7


def job_todos(user):
    jobs = Job.objects.for_user(user)
    # Recomputes come and go with every burst of changes: a stale ranking says 待更新 itself.
    running = (
        jobs.filter(state__in=(JobState.QUEUED, JobState.RUNNING))
        .exclude(kind=JobKind.RECOMPUTE)
        .count()
    )
    since = timezone.now() - timedelta(days=RECENT_DAYS)
    failed = jobs.filter(state=JobState.FAILED, created_at__gte=since).count()
    url = reverse("job-list")
    lines = []
    if running:
        lines.append(Todo(_("进行中的任务"), url, running, _("导入、季度通报等后台任务")))
    if failed:
        detail = _("近 %(n)d 天") % {"n": RECENT_DAYS}
        lines.append(Todo(_("失败的任务"), f"{url}?state=failed", failed, detail, tone="danger"))
    return lines
