"""What the scoring app requires before a cycle goes to 公示 or is published (issue 4:
"cannot publish while results are stale or required scores are missing, showing what is
missing"), and what publication does to the results.

Registered with `assessment.services` in `ScoringConfig.ready`.
"""

from collections import defaultdict

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from assessment.services import changed_participants
from indicators.models import IndicatorNode
from scoring import engine
from scoring.models import (
    Result,
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


REQUIRED = (Source.TARGET, Source.ORG)
# The engine's warning of a participant's gaps in each source (SPEC §3.2), by prefix.
GAP_WARNINGS = {
    Source.SELF: engine.MISSING_SELF,
    Source.TARGET: engine.MISSING_TARGET,
    Source.ORG: engine.MISSING_ORG,
}


def warned_gaps(warnings, sources=REQUIRED):
    """A result row's gap warnings as [(source, [leaf codes])]: the `rating` leaves its
    participant lacks a value of, per source of `sources` — the one way the pages read
    them (the cycle page's blockers, the home page's to-dos, the grid's counters, the
    dashboard)."""
    found = []
    for warning in warnings:
        for source in sources:
            prefix = GAP_WARNINGS[source]
            if warning.startswith(prefix):
                found.append((source, warning[len(prefix) :].split(", ")))
    return found


def missing_scores(cycle, listed=None):
    """Per participant, the `rating` leaves without a 目标量评 or 组织考评 value (SPEC §3.2:
    they would count as 0): `([(participant, [(source, [leaf codes])])], how many lack
    any)`, the list cut to the first `listed` by community and staff number."""
    if cycle.frozen_template_id is None:
        return [], 0
    gaps = _gaps(cycle)
    order = cycle.participants.order_by("community__path", "secretary__staff_no").values_list(
        "pk", flat=True
    )
    lacking = [pk for pk in order if pk in gaps]
    shown = lacking if listed is None else lacking[:listed]
    people = cycle.participants.select_related("secretary", "community").in_bulk(shown)
    return [(people[pk], gaps[pk]) for pk in shown], len(lacking)


def _gaps(cycle):
    """{participant id: [(source, [leaf codes])]} of everyone lacking a required value."""
    found = _known_gaps(cycle)
    return found if found is not None else _counted_gaps(cycle)


def _known_gaps(cycle):
    """The gaps as the current results' rows say them (the engine warns of each
    participant's gaps, from the same inputs) — while stale, for the participants whose
    inputs changed since (`changed_participants`) counted in the database instead; None
    when only counting everyone can tell (no results, or a change of unknown reach)."""
    version = current_results(cycle)
    if version is None:
        return None
    changed = set()
    if results_are_stale(cycle, version):
        changed = changed_participants(cycle.pk, version.inputs_version, cycle.inputs_version)
        if changed is None:
            return None
    found = defaultdict(list)
    rows = (
        Result.objects.filter(version=version)
        .exclude(participant_id__in=changed)
        .order_by()
        .values_list("participant_id", "warnings")
    )
    for pid, warnings in rows:
        gaps = warned_gaps(warnings)
        if gaps:
            found[pid] = gaps
    if changed:
        found.update(_counted_gaps(cycle, only=changed))
    return found


def _counted_gaps(cycle, only=None):
    """The gaps counted in the database (leaves with a value per participant and source),
    reading the entries of the incomplete participants only; `only`: of these
    participants."""
    leaves = list(
        IndicatorNode.objects.filter(
            template_id=cycle.frozen_template_id, method="rating", children__isnull=True
        )
        .order_by("sort_key")
        .values_list("pk", "code")
    )
    if not leaves:
        return {}
    participants = cycle.participants.all()
    entries = ScoreEntry.objects.filter(
        participant__cycle=cycle, source__in=REQUIRED, leaf_id__in=[pk for pk, _ in leaves]
    )
    if only is not None:
        participants = participants.filter(pk__in=only)
        entries = entries.filter(participant_id__in=only)
    scored = {
        (pid, source): n
        for pid, source, n in entries.order_by()
        .values("participant_id", "source")
        .annotate(n=Count("leaf_id", distinct=True))
        .values_list("participant_id", "source", "n")
    }
    lacking = [
        pk
        for pk in participants.values_list("pk", flat=True)
        if any(scored.get((pk, source), 0) < len(leaves) for source in REQUIRED)
    ]
    present = set(
        ScoreEntry.objects.filter(participant_id__in=lacking, source__in=REQUIRED).values_list(
            "participant_id", "leaf_id", "source"
        )
    )
    found = {}
    for pk in lacking:
        gaps = []
        for source in REQUIRED:
            codes = [code for leaf_id, code in leaves if (pk, leaf_id, source) not in present]
            if codes:
                gaps.append((source, codes))
        found[pk] = gaps
    return found


def complete_participants(cycle, source, leaves, n_leaves, only=None):
    """A subquery of the ids of the cycle's participants (`only`: of these) holding a
    value of `source` on each of `leaves` (a queryset of `n_leaves` leaves): counted in
    the database."""
    entries = ScoreEntry.objects.filter(participant__cycle=cycle, source=source, leaf__in=leaves)
    if only is not None:
        entries = entries.filter(participant_id__in=only)
    return (
        entries.order_by()
        .values("participant_id")
        .annotate(leaves=Count("leaf_id", distinct=True))
        .filter(leaves=n_leaves)
        .values("participant_id")
    )


def count_missing_scores(cycle, reach):
    """How many participants still lack a value of a source on some `rating` leaf, where
    `reach` maps each source to the participants (a queryset) whose gaps count for it
    (the home page's 待办 asks this for the sources and participants its reader
    enters). From current results' rows when there are, else counted in the database in
    two queries, without reading the entries."""
    if cycle.frozen_template_id is None or not reach:
        return 0
    known = _known_gaps(cycle)
    if known is not None:
        warned = defaultdict(list)
        for pid, gaps in known.items():
            for source, _codes in gaps:
                warned[source].append(pid)
        lacking = Q()
        for source, participants in reach.items():
            lacking |= Q(pk__in=participants.values("pk")) & Q(pk__in=warned[source])
        return cycle.participants.filter(lacking).order_by().count()
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
    missing, lacking = missing_scores(cycle, listed=MISSING_LISTED)
    problems = []
    for participant, gaps in missing:
        parts = "；".join(
            _("%(source)s缺 %(codes)s")
            % {"source": Source(source).label, "codes": "、".join(codes)}
            for source, codes in gaps
        )
        problems.append(_("%(who)s：%(parts)s。") % {"who": participant, "parts": parts})
    if lacking > len(missing):
        problems.append(
            _("另有 %(n)d 位书记的评分不完整，详见评分表。") % {"n": lacking - len(missing)}
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
