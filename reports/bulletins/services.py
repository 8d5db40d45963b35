"""季度通报: generating versions (by the schedule at each quarter's end, or on demand as a
job), the county's 下步工作要求, and 签发 with the next 文号. An issued bulletin never
changes again (`Bulletin.save` refuses it too)."""

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from assessment.models import Cycle, CycleStatus, Quarter
from assessment.services import may_manage
from core.security_log import security_event
from core.versioning import lock_at_version
from reports import notices
from reports.bulletins import content
from reports.jobs.running import start_job
from reports.models import Bulletin, BulletinState, DocumentCounter, Job, JobKind

# A bulletin reports a cycle that is under way or just done.
REPORTABLE = (CycleStatus.OPEN, CycleStatus.SCORING, CycleStatus.REVIEW, CycleStatus.PUBLISHED)
MAX_REQUIREMENTS = 5000


def check_quarter(cycle, quarter):
    """The quarter's (start, end), or a ValidationError saying what is wrong."""
    if quarter not in (1, 2, 3, 4):
        raise ValidationError(_("季度应为 1–4，收到“%(q)s”。") % {"q": quarter})
    if cycle.status not in REPORTABLE:
        raise ValidationError(
            _("考核周期“%(name)s”%(status)s，不能生成季度通报。")
            % {"name": cycle.name, "status": cycle.get_status_display()}
        )
    span = content.quarter_span(cycle, quarter)
    if span is None:
        raise ValidationError(
            _("考核周期“%(name)s”还没有设置第%(q)d季度的起止日期，请先在周期设置中补充。")
            % {"name": cycle.name, "q": quarter}
        )
    return span


def _check_manager(actor, cycle):
    if actor is not None and not may_manage(actor, cycle):
        raise PermissionDenied


@transaction.atomic
def generate_bulletin(*, cycle, quarter, actor=None):
    """A new 草稿 version for the cycle's quarter from the data dated up to its end
    (SPEC §3.6). `actor` None: the schedule. The county's 下步工作要求 of the latest
    version of that quarter carries over. All or nothing."""
    cycle = Cycle.objects.select_for_update(of=("self",)).select_related("county").get(pk=cycle.pk)
    _check_manager(actor, cycle)
    check_quarter(cycle, quarter)
    earlier = Bulletin.objects.filter(cycle=cycle, quarter=quarter)
    latest = earlier.order_by("-revision").first()
    bulletin = Bulletin(
        cycle=cycle,
        quarter=quarter,
        revision=(earlier.aggregate(n=Max("revision"))["n"] or 0) + 1,
        cutoff=content.quarter_span(cycle, quarter)[1],
        content=content.build(cycle, quarter),
        requirements=latest.requirements if latest else "",
        generated_by=actor,
    )
    bulletin._history_user = actor
    bulletin.save()
    return bulletin


def start_generating(*, actor, cycle, quarter):
    """On demand: the job that generates a version (the page follows its progress)."""
    _check_manager(actor, cycle)
    check_quarter(cycle, quarter)
    return start_job(
        kind=JobKind.BULLETIN,
        requested_by=actor,
        county=cycle.county,
        cycle=cycle,
        options={"cycle": cycle.pk, "quarter": quarter},
    )


def run_bulletin_job(job):
    """The job's work (`reports.jobs.running.run_job`): one version, made in one transaction,
    as the job's requester (their scope is checked again) or the schedule."""
    cycle = Cycle.objects.select_related("county").get(pk=job.options["cycle"])
    bulletin = generate_bulletin(
        cycle=cycle, quarter=int(job.options["quarter"]), actor=job.requested_by
    )
    message = _("已生成%(name)s。") % {"name": bulletin}
    return message, {"bulletin": bulletin.pk}


def quarters_ending(day):
    """[(cycle, quarter)] whose quarter ended the day before `day`, of cycles a bulletin
    reports: what the schedule generates each morning."""
    quarters = Quarter.objects.filter(
        ends_on=day - timedelta(days=1), cycle__status__in=REPORTABLE
    ).select_related("cycle__county")
    return [(quarter.cycle, quarter.number) for quarter in quarters]


def generate_due(day):
    """The schedule's run: a job per quarter that ended yesterday, unless one was
    already made for it (the task may run twice)."""
    made = []
    for cycle, quarter in quarters_ending(day):
        exists = Job.objects.filter(
            kind=JobKind.BULLETIN,
            cycle=cycle,
            requested_by=None,
            options__quarter=quarter,
        ).exists()
        if exists:
            continue
        with transaction.atomic():
            made.append(
                start_job(
                    kind=JobKind.BULLETIN,
                    requested_by=None,
                    county=cycle.county,
                    cycle=cycle,
                    options={"cycle": cycle.pk, "quarter": quarter},
                )
            )
    return made


def _locked_draft(bulletin, version):
    bulletin = lock_at_version(Bulletin, bulletin.pk, version)
    if bulletin.is_issued:
        raise ValidationError(
            _("通报已签发（%(number)s），不能再修改。") % {"number": bulletin.number}
        )
    return bulletin


@transaction.atomic
def save_requirements(*, actor, bulletin, version, text):
    """八、下步工作要求: the county's text, written before 签发."""
    bulletin = _locked_draft(bulletin, version)
    cycle = Cycle.objects.select_related("county").get(pk=bulletin.cycle_id)
    _check_manager(actor, cycle)
    text = (text or "").strip()
    if len(text) > MAX_REQUIREMENTS:
        raise ValidationError(
            {"requirements": _("下步工作要求最多 %(n)d 个字。") % {"n": MAX_REQUIREMENTS}}
        )
    bulletin.requirements = text
    bulletin.version += 1
    bulletin._history_user = actor
    bulletin.save()
    return bulletin


def default_prefix(county):
    """青山县 → 青组通: the county's first character and 组通 (组织部通报)."""
    return f"{county.name[:1]}组通"


def next_number(county, year):
    """The next 文号 of the county in `year` (the counter row is locked until commit)."""
    counter, _created = DocumentCounter.objects.select_for_update().get_or_create(
        county=county, year=year, defaults={"prefix": default_prefix(county)}
    )
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{counter.prefix}〔{year}〕{counter.last}号"


@transaction.atomic
def issue_bulletin(*, actor, bulletin, version):
    """签发: a county admin or assessor issues a draft; it takes the next 文号 and is
    frozen. The county's staff read it, and its secretaries their own reading."""
    bulletin = _locked_draft(bulletin, version)
    cycle = Cycle.objects.select_related("county").get(pk=bulletin.cycle_id)
    if actor is None or not may_manage(actor, cycle):
        raise PermissionDenied
    now = timezone.now()
    bulletin.number = next_number(cycle.county, timezone.localdate(now).year)
    bulletin.state = BulletinState.ISSUED
    bulletin.issued_by, bulletin.issued_at = actor, now
    bulletin.version += 1
    bulletin._history_user = actor
    bulletin.save()
    notices.bulletin_issued(bulletin)
    security_event(
        "bulletin_issued",
        user=actor,
        bulletin=bulletin.pk,
        cycle=cycle.pk,
        county=cycle.county.code,
        quarter=bulletin.quarter,
        number=bulletin.number,
    )
    return bulletin
