"""What the scoring app requires before a cycle goes to 公示 or is published (issue 4:
"cannot publish while results are stale or required scores are missing, showing what is
missing"), and what publication does to the results.

Registered with `assessment.services` in `ScoringConfig.ready`.
"""

from collections import defaultdict

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from indicators.models import IndicatorNode
from scoring.models import (
    ResultVersion,
    ScoreEntry,
    SelfEvaluation,
    SelfEvaluationStatus,
    Source,
)
from scoring.services import current_results, results_are_stale

# The list of missing scores names at most this many participants, then counts the rest.
MISSING_LISTED = 10


def results_current(cycle):
    """The current results were computed from the cycle's latest inputs."""
    version = current_results(cycle)
    if version is None:
        return [_("考核结果尚未计算，请先点击“重新计算”。")]
    if results_are_stale(cycle, version):
        return [_("考核结果待更新（数据在上次计算后有变动），请等待重新计算完成或点击“重新计算”。")]
    return []


def missing_scores(cycle):
    """Per participant, the `rating` leaves without a 目标量评 or 组织考评 value (SPEC §3.2:
    they would count as 0). Returns [(participant, [(source, [leaf codes])])]."""
    if cycle.frozen_template_id is None:
        return []
    leaves = list(
        IndicatorNode.objects.filter(
            template_id=cycle.frozen_template_id, method="rating", children__isnull=True
        )
        .order_by("sort_key")
        .values_list("pk", "code")
    )
    if not leaves:
        return []
    present = set(
        ScoreEntry.objects.filter(
            participant__cycle=cycle, source__in=(Source.TARGET, Source.ORG)
        ).values_list("participant_id", "leaf_id", "source")
    )
    missing = []
    participants = cycle.participants.select_related("secretary", "community").order_by(
        "community__path", "secretary__staff_no"
    )
    for participant in participants:
        gaps = defaultdict(list)
        for source in (Source.TARGET, Source.ORG):
            for leaf_id, code in leaves:
                if (participant.pk, leaf_id, source) not in present:
                    gaps[source].append(code)
        if gaps:
            missing.append((participant, list(gaps.items())))
    return missing


def complete_participants(cycle, source, leaves, n_leaves):
    """A subquery of the ids of the cycle's participants holding a value of `source` on
    each of `leaves` (a queryset of `n_leaves` leaves): counted in the database."""
    return (
        ScoreEntry.objects.filter(participant__cycle=cycle, source=source, leaf__in=leaves)
        .order_by()
        .values("participant_id")
        .annotate(leaves=Count("leaf_id", distinct=True))
        .filter(leaves=n_leaves)
        .values("participant_id")
    )


def count_missing_scores(cycle, reach):
    """How many participants still lack a value of a source on some `rating` leaf, where
    `reach` maps each source to the participants (a queryset) whose gaps count for it.
    Counted in the database in two queries, without reading the entries (the home
    page's 待办 asks this for the sources and participants its reader enters)."""
    if cycle.frozen_template_id is None or not reach:
        return 0
    leaves = IndicatorNode.objects.filter(
        template_id=cycle.frozen_template_id, method="rating", children__isnull=True
    )
    total = leaves.count()
    if not total:
        return 0
    lacking = Q()
    for source, participants in reach.items():
        full = complete_participants(cycle, source, leaves, total)
        lacking |= Q(pk__in=participants.values("pk")) & ~Q(pk__in=full)
    return cycle.participants.filter(lacking).order_by().count()


def required_scores_present(cycle):
    """Every participant has 目标量评 and 组织考评 values for every `rating` leaf."""
    missing = missing_scores(cycle)
    problems = []
    for participant, gaps in missing[:MISSING_LISTED]:
        parts = "；".join(
            _("%(source)s缺 %(codes)s")
            % {"source": Source(source).label, "codes": "、".join(codes)}
            for source, codes in gaps
        )
        problems.append(_("%(who)s：%(parts)s。") % {"who": participant, "parts": parts})
    if len(missing) > MISSING_LISTED:
        problems.append(
            _("另有 %(n)d 位书记的评分不完整，详见评分表。") % {"n": len(missing) - MISSING_LISTED}
        )
    return problems


def lock_published_results(cycle, name, actor):
    """Publication pins the current results: they are kept and never recomputed."""
    if name == "publish":
        ResultVersion.objects.filter(cycle=cycle, is_current=True).update(is_published=True)


def self_evaluation_note(cycle, transition_name):
    """Before 进入评分: how many self-evaluations it locks unsubmitted, by state — the
    one just returned for correction included (issue 14)."""
    if transition_name != "start_scoring":
        return []
    states = dict(
        SelfEvaluation.objects.filter(participant__cycle=cycle)
        .values_list("status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    total = cycle.participants.count()
    started = sum(states.values())
    parts = [
        (_("未开始"), total - started),
        (SelfEvaluationStatus.DRAFT.label, states.get(SelfEvaluationStatus.DRAFT, 0)),
        (_("已退回修改"), states.get(SelfEvaluationStatus.RETURNED, 0)),
    ]
    unsubmitted = sum(n for _label, n in parts)
    if not unsubmitted:
        return [_("全部 %(n)d 份自我检评均已提交。") % {"n": total}]
    detail = "、".join(f"{label} {n} 份" for label, n in parts if n)
    return [
        _(
            "%(n)d 份自我检评尚未提交（%(detail)s）：进入评分后将按现有内容锁定，"
            "书记不能再修改，未填的指标自评按 0 分计。"
        )
        % {"n": unsubmitted, "detail": detail}
    ]
