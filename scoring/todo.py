"""The scoring app's lines of the home page's 待办 (`core.todo`): for a secretary, this
cycle's 自我检评 and, during 公示, the results and appeals; for staff, self-evaluations
submitted, participants whose scores are not all entered, appeals to handle."""

from django.urls import reverse
from django.utils.translation import gettext as _

from assessment.models import Cycle, CycleStatus, Participant, TargetEntry
from core.todo import Todo
from org.scope import Role, scope_of
from scoring.access import STAFF_ROLES, cycle_access
from scoring.guards import count_missing_scores
from scoring.models import Appeal, SelfEvaluation, SelfEvaluationStatus, Source

ACTIVE = (CycleStatus.OPEN, CycleStatus.SCORING, CycleStatus.REVIEW)


def scoring_todos(user):
    lines = []
    scope = scope_of(user)
    if scope.has_role(Role.SECRETARY):
        lines.extend(_secretary_lines(user))
    if scope.is_global or any(scope.has_role(role) for role in STAFF_ROLES):
        for cycle in Cycle.objects.for_user(user, STAFF_ROLES).filter(status__in=ACTIVE):
            lines.extend(_staff_lines(user, cycle))
    return lines


def _secretary_lines(user):
    lines = []
    own = (
        Participant.objects.filter(secretary__user=user, cycle__status__in=ACTIVE)
        .select_related("cycle", "self_evaluation")
        .order_by("-cycle__year", "cycle__name")
    )
    for participant in own:
        cycle = participant.cycle
        if cycle.status == CycleStatus.OPEN:
            lines.append(_self_evaluation_line(participant))
        elif cycle.status == CycleStatus.REVIEW:
            open_appeal = Appeal.objects.filter(participant=participant).open().first()
            lines.append(
                _line(
                    _("考核结果公示中：查看结果，如有异议可在公示期间提出申诉"),
                    reverse("result-detail", args=[participant.pk]),
                    detail=cycle.name,
                    tone="warning",
                    big=True,
                )
            )
            if open_appeal is not None:
                lines.append(
                    _line(
                        _("我的申诉"),
                        reverse("appeal-detail", args=[open_appeal.pk]),
                        detail=open_appeal.get_status_display(),
                    )
                )
    return lines


def _self_evaluation_line(participant):
    evaluation = getattr(participant, "self_evaluation", None)
    url = reverse("selfeval", args=[participant.pk])
    label = _("自我检评")
    if evaluation is None:
        return _line(label, url, detail=_("未开始"), tone="danger", big=True)
    if evaluation.status == SelfEvaluationStatus.RETURNED:
        detail = _("已退回：%(reason)s") % {"reason": evaluation.returned_reason}
        return _line(label, url, detail=detail, tone="danger", big=True)
    if evaluation.status == SelfEvaluationStatus.DRAFT:
        return _line(label, url, detail=_("草稿，尚未提交"), tone="warning", big=True)
    return _line(label, url, detail=_("已提交"), tone="success", big=True)


def _staff_lines(user, cycle):
    access = cycle_access(user, cycle)
    if not access.sees_others:
        return []
    lines = []
    reach = Participant.objects.for_user(user).filter(cycle=cycle)
    if cycle.status == CycleStatus.OPEN:
        submitted = SelfEvaluation.objects.filter(
            participant__in=reach, status=SelfEvaluationStatus.SUBMITTED
        ).count()
        if submitted:
            lines.append(
                _line(
                    _("已提交的自我检评"),
                    reverse("selfeval-list", args=[cycle.pk]) + "?status=submitted",
                    count=submitted,
                    detail=cycle.name,
                )
            )
    # Only the sources and participants this reader enters (`scoring.services.may_enter`):
    # a town assessor keying 目标量评 is told about their town's gaps, not about 组织考评,
    # which the county fills.
    reach_of = {}
    if access.enters_target:
        reach_of[Source.TARGET] = _target_reach(user, cycle, reach)
    if access.enters_org:
        reach_of[Source.ORG] = reach
    if cycle.status == CycleStatus.SCORING and reach_of:
        missing = count_missing_scores(cycle, reach_of)
        if missing:
            lines.append(
                _line(
                    _("评分未录完的书记"),
                    reverse("score-grid", args=[cycle.pk]),
                    count=missing,
                    detail=_("%(cycle)s：缺%(sources)s")
                    % {
                        "cycle": cycle.name,
                        "sources": _("、").join(str(s.label) for s in reach_of),
                    },
                    tone="warning",
                )
            )
    if cycle.status == CycleStatus.REVIEW and access.manages:
        appeals = Appeal.objects.filter(participant__cycle=cycle).open().count()
        if appeals:
            lines.append(
                _line(
                    _("待处理的申诉"),
                    reverse("appeal-list", args=[cycle.pk]),
                    count=appeals,
                    detail=cycle.name,
                    tone="danger",
                )
            )
    return lines


def _target_reach(user, cycle, reach):
    scope = scope_of(user)
    if cycle.target_entry == TargetEntry.TOWN and not scope.is_global:
        return reach.filter(scope.path_q("community__path", {Role.TOWN_ASSESSOR}))
    return reach


def _line(label, url, **more):
    return Todo(label=label, url=url, **more)
