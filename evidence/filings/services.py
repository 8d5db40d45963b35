"""Reform-risk filings (改革风险备案, SPEC §2): the participant's own secretary files an
initiative and its risks in advance while the cycle is 进行中 or 评分中; a county
assessor approves it or rejects it with a reason. Events linked to an approved filing
may then be exempted (`evidence.events.services.exempt_event`)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assessment.models import CycleStatus, Participant
from assessment.services import may_manage
from core.versioning import StaleVersion
from evidence import notices
from evidence.events.services import _check_writable, _reason, _stamp, is_own_secretary
from evidence.models import FilingStatus, ReformFiling

FILING_STATUSES = frozenset({CycleStatus.OPEN, CycleStatus.SCORING})


@transaction.atomic
def file_reform(*, actor, participant, title, description, risks):
    """The participant's own secretary files an initiative and its risks in advance."""
    participant = (
        Participant.objects.select_for_update(of=("self",))
        .select_related("cycle", "secretary")
        .get(pk=participant.pk)
    )
    if not is_own_secretary(actor, participant):
        raise PermissionDenied
    cycle = participant.cycle
    if cycle.status not in FILING_STATUSES:
        raise ValidationError(
            _("当前状态为“%(status)s”，改革风险备案只能在考核进行中或评分中提出。")
            % {"status": cycle.get_status_display()}
        )
    filing = ReformFiling(
        participant=participant,
        title=_reason(title, "title", _("请填写改革事项名称。")),
        description=_reason(description, "description", _("请写明主要举措。")),
        risks=_reason(risks, "risks", _("请写明可能的风险。")),
        filed_by=actor,
    )
    _stamp(filing, actor).full_clean()
    filing.save()
    return filing


@transaction.atomic
def decide_filing(*, actor, filing, version, approve, reason=""):
    """A county assessor approves (reason optional) or rejects (reason required) a
    pending filing."""
    current = (
        ReformFiling.objects.select_for_update(of=("self",))
        .select_related("participant__cycle__county")
        .get(pk=filing.pk)
    )
    if version is None:
        raise ValidationError(_("缺少版本号，无法确认您修改的是最新内容，请刷新后重试。"))
    if current.version != version:
        raise StaleVersion(current)
    cycle = current.participant.cycle
    if not may_manage(actor, cycle):
        raise PermissionDenied
    _check_writable(cycle)
    if current.status != FilingStatus.PENDING:
        raise ValidationError(
            _("该备案当前为“%(status)s”，只有待审批的备案可以审批。")
            % {"status": current.get_status_display()}
        )
    if not approve:
        reason = _reason(reason, "reason", _("不予批准须写明理由。"))
    current.status = FilingStatus.APPROVED if approve else FilingStatus.REJECTED
    current.decided_by = actor
    current.decided_at = timezone.now()
    current.decision_reason = (reason or "").strip()
    current.version += 1
    _stamp(current, actor, _("批准") if approve else _("不予批准")).save()
    notices.filing_decided(current)
    return current
