"""Grade overrides (SPEC §3.5: "An assessor may override a grade with a reason
(audited)") and the results pages' "重新计算" button.

Only the admins and county assessors of the cycle's county decide (`may_manage`), with a
reason, to one of the cycle's four grade labels, while the cycle is running (not a
draft, not published or archived). The override is a scoring input: saving or clearing
it bumps the cycle's `inputs_version`, and the engine applies it on the next compute.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from assessment.models import Cycle, CycleStatus, Participant
from assessment.services import mark_inputs_changed, may_manage
from core.versioning import StaleVersion
from scoring.models import GradeOverride, Result
from scoring.services import compute_cycle


def _check_cycle(actor, cycle, action):
    if not may_manage(actor, cycle):
        raise PermissionDenied
    if cycle.is_locked:
        raise ValidationError(
            _("考核周期“%(name)s”%(status)s，不能再%(action)s；如需更正请走复核程序。")
            % {"name": cycle.name, "status": cycle.get_status_display(), "action": action}
        )
    if cycle.status == CycleStatus.DRAFT:
        raise ValidationError(
            _("考核周期“%(name)s”还是草稿，尚无考核结果，不能%(action)s。")
            % {"name": cycle.name, "action": action}
        )


def _rule_grade(cycle, participant):
    """The grade the rules gave in the current results ("" before any computation)."""
    return (
        Result.objects.filter(
            version__cycle=cycle, version__is_current=True, participant=participant
        )
        .values_list("rule_grade", flat=True)
        .first()
        or ""
    )


def _lock(participant):
    """The participant and its cycle, the cycle row locked: overrides of one cycle are
    written one at a time, like every other write that bumps its inputs."""
    participant = Participant.objects.select_related("secretary").get(pk=participant.pk)
    cycle = (
        Cycle.objects.select_for_update(of=("self",))
        .select_related("county")
        .get(pk=participant.cycle_id)
    )
    return participant, cycle


@transaction.atomic
def override_grade(*, actor, participant, grade, reason, version=None):
    """Set (or change) the participant's grade with a reason. Changing an existing
    override needs the version read (optimistic locking)."""
    participant, cycle = _lock(participant)
    _check_cycle(actor, cycle, _("调整等次"))
    who = participant.secretary.name
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写调整 %(who)s 等次的理由。") % {"who": who}})
    if grade not in cycle.grade_labels:
        raise ValidationError(
            {"grade": _("等次只能是：%(labels)s。") % {"labels": "、".join(cycle.grade_labels)}}
        )
    if not participant.is_graded:
        raise ValidationError(_("%(who)s 不参加评定（不定等次），不能调整等次。") % {"who": who})
    vetoed = Result.objects.filter(
        version__cycle=cycle, version__is_current=True, participant=participant, veto=True
    ).exists()
    if vetoed and grade != cycle.label_failed:
        raise ValidationError(
            {
                "grade": _(
                    "%(who)s 被一票否决，等次只能为%(failed)s；如否决事项应予免责，请先办理免责。"
                )
                % {"who": who, "failed": cycle.label_failed}
            }
        )
    override = (
        GradeOverride.objects.select_for_update(of=("self",))
        .filter(participant=participant)
        .order_by("pk")
        .first()
    )
    if override is None:
        override = GradeOverride(participant=participant)
    else:
        if version is None or override.version != version:
            raise StaleVersion(override)
        override.version += 1
    before = override.grade or _rule_grade(cycle, participant)
    override.grade, override.reason, override.actor = grade, reason, actor
    override._history_user = actor
    # The audit trail says it in words: the grade before and after.
    override._change_reason = _("等次：%(before)s → %(after)s") % {
        "before": before or "—",
        "after": grade,
    }
    override.full_clean()
    override.save()
    mark_inputs_changed(cycle, participants=[participant])
    return override


@transaction.atomic
def clear_override(*, actor, participant, version):
    """Remove the participant's override: the rule grade applies again (audited)."""
    participant, cycle = _lock(participant)
    _check_cycle(actor, cycle, _("撤销等次调整"))
    override = (
        GradeOverride.objects.select_for_update(of=("self",))
        .filter(participant=participant)
        .order_by("pk")
        .first()
    )
    if override is None:
        raise ValidationError(
            _("%(who)s 的等次没有调整，无需撤销。") % {"who": participant.secretary.name}
        )
    if version is None or override.version != version:
        raise StaleVersion(override)
    override._history_user = actor
    override.delete()
    mark_inputs_changed(cycle, participants=[participant])


def recompute_results(*, actor, cycle):
    """The "重新计算" button: a county manager computes the cycle's results now rather
    than waiting for the job (DESIGN §3). Returns the current ResultVersion."""
    if not may_manage(actor, cycle):
        raise PermissionDenied
    if cycle.is_locked:
        raise ValidationError(
            _("考核周期“%(name)s”%(status)s，结果已锁定，不再重新计算。")
            % {"name": cycle.name, "status": cycle.get_status_display()}
        )
    if cycle.frozen_template_id is None:
        raise ValidationError(
            _("考核周期“%(name)s”还是草稿，开始考核后才有结果可计算。") % {"name": cycle.name}
        )
    try:
        version = compute_cycle(cycle.pk)
    except ValueError as exc:
        raise ValidationError(
            _("考核周期“%(name)s”的结果无法计算：%(error)s") % {"name": cycle.name, "error": exc}
        ) from exc
    if version is None:
        raise ValidationError(
            _("计算期间“%(name)s”的数据又有变动，请稍后再点一次“重新计算”。") % {"name": cycle.name}
        )
    return version
