"""专项奖励 (SPEC §2 Pay band sheet): a county admin or county assessor of the cycle's
county adds a line for a graded participant of the published results; a second one
approves it or rejects it with a reason (four eyes). Lines are added and decided only
while the cycle is 已发布: before, there is no sheet yet; once 已归档, nothing changes.
"""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assessment.models import Cycle, CycleStatus, Participant
from assessment.services import may_manage
from core.versioning import StaleVersion
from reports.models import RewardKind, RewardStatus, SpecialReward
from reports.paybands.selectors import published_version
from scoring.models import Result

CENT = Decimal("0.01")
# The model's max_digits=12, decimal_places=2.
MAX_AMOUNT = Decimal("9999999999.99")


def _stamp(obj, actor, reason=None):
    obj._history_user = actor
    if reason:
        obj._change_reason = reason
    return obj


def may_grant_rewards(user, cycle):
    """Adds and decides lines: the county's admins and county assessors, while the cycle
    is 已发布 (the page shows the controls by this; the services check it again)."""
    return cycle.status == CycleStatus.PUBLISHED and may_manage(user, cycle)


def _locked_cycle(cycle):
    """The cycle locked against a concurrent state change (归档 takes the same lock)."""
    return Cycle.objects.select_for_update(of=("self",)).select_related("county").get(pk=cycle.pk)


def _check_published(cycle):
    if cycle.status != CycleStatus.PUBLISHED:
        raise ValidationError(
            _("考核周期“%(name)s”当前为“%(status)s”：专项奖励只能在结果发布后、归档前登记和审批。")
            % {"name": cycle.name, "status": cycle.get_status_display()}
        )


def checked_amount(amount):
    """The amount as a Decimal of yuan: positive, at most two decimals."""
    try:
        value = Decimal(str(amount).strip()) if amount is not None else None
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise ValidationError({"amount": _("奖励金额须为数字，例如 2000 或 1500.50。")})
    if value <= 0:
        raise ValidationError({"amount": _("奖励金额须大于 0。")})
    if value != value.quantize(CENT):
        raise ValidationError({"amount": _("奖励金额最多保留两位小数（精确到分）。")})
    if value > MAX_AMOUNT:
        raise ValidationError({"amount": _("奖励金额过大，请核对。")})
    return value.quantize(CENT)


@transaction.atomic
def add_reward(*, actor, participant, kind, reason, amount):
    """登记专项奖励: a pending line for a graded participant of the published results."""
    participant = Participant.objects.select_related("cycle", "secretary", "community").get(
        pk=participant.pk
    )
    cycle = _locked_cycle(participant.cycle)
    if not may_manage(actor, cycle):
        raise PermissionDenied
    _check_published(cycle)
    errors = {}
    if kind not in RewardKind.values:
        errors["kind"] = [_("请选择奖励类别（超额任务、创新项目或其他）。")]
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = [_("请写明奖励事由。")]
    try:
        amount = checked_amount(amount)
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)
    version = published_version(cycle)
    graded = Result.objects.filter(version=version, participant=participant, graded=True)
    if version is None or not graded.exists():
        raise ValidationError(
            {
                "participant": _(
                    "%(name)s 不在已发布结果的分档定薪名单中（不参加评定的书记没有档次和"
                    "绩效报酬），不能登记专项奖励。"
                )
                % {"name": participant.secretary.name}
            }
        )
    line = SpecialReward(
        participant=participant,
        kind=kind,
        reason=reason,
        amount=amount,
        added_by=actor,
    )
    _stamp(line, actor, _("登记专项奖励")).save()
    return line


@transaction.atomic
def decide_reward(*, actor, reward, version, approve, reason=""):
    """批准 / 不予批准 a pending line: by a county admin or assessor other than the one
    who added it (four eyes); a rejection needs a reason."""
    current = (
        SpecialReward.objects.select_for_update(of=("self",))
        .select_related("participant__cycle", "participant__secretary")
        .get(pk=reward.pk)
    )
    if version is None:
        raise ValidationError(_("缺少版本号，无法确认您审批的是最新内容，请刷新后重试。"))
    if current.version != version:
        raise StaleVersion(current)
    cycle = _locked_cycle(current.participant.cycle)
    if not may_manage(actor, cycle):
        raise PermissionDenied
    _check_published(cycle)
    if current.status != RewardStatus.PENDING:
        raise ValidationError(
            _("该专项奖励当前为“%(status)s”，只有待审批的可以审批。")
            % {"status": current.get_status_display()}
        )
    if current.added_by_id == actor.pk:
        raise ValidationError(
            _(
                "专项奖励须由登记人以外的另一位县级管理员或考核员审批（双人复核），不能审批自己登记的。"
            )
        )
    if not approve:
        reason = (reason or "").strip()
        if not reason:
            raise ValidationError({"reason": _("不予批准须写明理由。")})
    current.status = RewardStatus.APPROVED if approve else RewardStatus.REJECTED
    current.decided_by = actor
    current.decided_at = timezone.now()
    current.decision_reason = (reason or "").strip()
    current.version += 1
    _stamp(current, actor, _("批准") if approve else _("不予批准")).save()
    return current
