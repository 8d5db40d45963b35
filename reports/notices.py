"""The reports app's 通知 (`org.notifications`): a bulletin issued (to the county's staff
and the cycle's secretaries, each with the reading they have), and a job finished (to
whoever asked for it)."""

from django.urls import reverse
from django.utils.translation import gettext as _

from org.models import Membership
from org.notifications.models import NotificationKind as Kind
from org.notifications.services import Notice, deliver, in_product_language
from org.scope import Role
from reports.models import IMPORT_KINDS, JobKind, JobState

STAFF = (Role.ADMIN, Role.COUNTY_ASSESSOR, Role.TOWN_ASSESSOR, Role.OBSERVER)


@in_product_language
def bulletin_issued(bulletin):
    """Every staff member within the county (about the unit they hold a role in) and
    every secretary of the cycle (about their own participation)."""
    cycle = bulletin.cycle
    title = _("季度通报已签发：%(number)s") % {"number": bulletin.number}
    body = str(bulletin)
    url = reverse("bulletin-detail", args=[bulletin.pk])
    staff = (
        Membership.objects.active()
        .filter(role__in=STAFF, org_unit__path__startswith=cycle.county.path)
        .values_list("user_id", "org_unit__path")
        .order_by("user_id", "org_unit__path")
    )
    notices = {
        user_id: Notice(user_id, Kind.BULLETIN_ISSUED, title, url, body, scope_path=path)
        for user_id, path in staff
    }
    for user_id, path in cycle.participants.values_list("secretary__user_id", "community__path"):
        if user_id is not None and user_id not in notices:
            notices[user_id] = Notice(
                user_id, Kind.BULLETIN_ISSUED, title, url, body, scope_path=path, owner=user_id
            )
    return deliver(notices.values())


@in_product_language
def job_finished(job):
    """The requester of a job that ended (a scheduled job has none)."""
    if job.requested_by_id is None:
        return []
    if job.kind in IMPORT_KINDS:
        url = reverse("import-job", args=[job.pk])
    elif job.kind == JobKind.BULLETIN and job.result.get("bulletin"):
        url = reverse("bulletin-detail", args=[job.result["bulletin"]])
    elif job.kind == JobKind.BALLOT_SLIPS and job.result.get("batch"):
        url = reverse("ballot-batch-detail", args=[job.result["batch"]])
    elif job.kind in (JobKind.RESULTS_EXPORT, JobKind.PAY_BANDS, JobKind.BACKUP):
        url = reverse("job-detail", args=[job.pk])
    elif job.cycle_id:
        url = reverse("bulletin-list", args=[job.cycle_id])
    else:
        url = ""
    if job.state == JobState.FAILED:
        title = _("任务未完成：%(job)s") % {"job": job.get_kind_display()}
    else:
        title = _("任务完成：%(job)s") % {"job": job.get_kind_display()}
    return deliver([Notice(job.requested_by_id, Kind.JOB_FINISHED, title, url, job.message)])
