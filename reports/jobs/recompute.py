"""Results recomputed as jobs (SPEC §5, DESIGN §3): every change to a cycle's inputs
asks for a recompute once it commits (`assessment.services.mark_inputs_changed`).

At most one recompute per cycle waits in the queue (a partial unique index): changes
arriving while it waits share it. A recompute whose inputs changed while it computed
discards its version (`scoring.services.compute_cycle`); the change that moved them has
queued the next one. Results left stale by a lost message or a dead worker are found by
the sweeper.
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assessment.models import Cycle
from reports.jobs import running
from reports.models import Job, JobKind, JobState
from scoring.models import ResultVersion
from scoring.services import compute_cycle

# A recompute starts this long after the change that asked for it: changes made meanwhile
# (a grid's autosaves, ballots being cast) share it — one recompute instead of one each.
GATHER_SECONDS = 0.5
# …or, for a cycle whose recompute takes longer, twice as long as its last one took (up
# to a cap): while people keep saving, a worker then spends at most about a third of its
# time recomputing one cycle (a city's takes ~0.3–0.4 s, and its database as much
# again), and the results are current a moment after the saving stops.
GATHER_FACTOR = 2
GATHER_MAX_SECONDS = 5.0


def gather_seconds(cycle):
    """How long the cycle's next recompute waits for more changes (see GATHER_SECONDS)."""
    took = (
        ResultVersion.objects.filter(cycle=cycle, is_current=True)
        .values_list("duration_ms", flat=True)
        .first()
    )
    return min(GATHER_MAX_SECONDS, max(GATHER_SECONDS, GATHER_FACTOR * (took or 0) / 1000))


def schedule_recompute(cycle_id):
    """Queue the cycle's recompute unless one already waits (listener of
    `mark_inputs_changed`; also the sweeper's). Returns the new job, or None."""
    cycle = Cycle.objects.select_related("county").filter(pk=cycle_id).first()
    if cycle is None:
        return None
    try:
        with transaction.atomic():
            return running.start_job(
                kind=JobKind.RECOMPUTE,
                requested_by=None,
                county=cycle.county,
                cycle=cycle,
                options={"inputs_version": cycle.inputs_version},
                countdown=gather_seconds(cycle),
            )
    except IntegrityError:
        return None  # the waiting one will read this change too


def run_recompute(job):
    """The work of a recompute job: the cycle's results computed and swapped in, in one
    transaction (a run cut short leaves the previous version current)."""
    if job.cycle_id is None:
        return _("考核周期已删除，无需计算。"), {}
    try:
        version = compute_cycle(job.cycle_id)
    except Cycle.DoesNotExist:
        return _("考核周期已删除，无需计算。"), {}
    except ValueError as exc:
        raise ValidationError(_("结果无法计算：%(error)s") % {"error": exc}) from exc
    if version is None:
        return _("计算期间数据又有变动，由下一次计算接替。"), {"superseded": True}
    return _("结果已是最新。"), {"version": version.pk}


def waiting_or_running(cycle_ids):
    """Of these cycles, those with a recompute queued or running."""
    return set(
        Job.objects.filter(kind=JobKind.RECOMPUTE, cycle_id__in=cycle_ids)
        .filter(state__in=(JobState.QUEUED, JobState.RUNNING))
        .values_list("cycle_id", flat=True)
    )


def failed_on_these_inputs(cycles):
    """Of these `(cycle id, inputs_version)` pairs, the cycles whose latest recompute
    failed on the very same inputs: trying again would fail again."""
    latest = {}
    last_ids = (
        Job.objects.filter(kind=JobKind.RECOMPUTE, cycle_id__in=[pk for pk, _v in cycles])
        .values("cycle_id")
        .annotate(last=Max("pk"))
        .values("last")
    )
    rows = Job.objects.filter(pk__in=last_ids).values_list("cycle_id", "state", "options")
    for cycle_id, state, options in rows:
        latest[cycle_id] = (state, options.get("inputs_version"))
    return {
        pk for pk, inputs_version in cycles if latest.get(pk) == (JobState.FAILED, inputs_version)
    }


def register():
    running.register_work(
        JobKind.RECOMPUTE,
        run_recompute,
        failed=gettext_lazy(
            "计算结果时发生意外错误，仍显示上一次的结果。系统会在数据变动后重新计算。"
        ),
        abandoned=gettext_lazy("计算中断（处理进程已停止），仍显示上一次的结果。"),
    )
