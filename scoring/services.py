"""Score entry (SPEC §3.2): who may enter which source, when, and which values.

- 0 ≤ value ≤ the leaf's points; a leaf with behaviour anchors takes a level (its value).
- 自评 by the participant's own secretary while the cycle is 进行中.
- 目标 while 进行中 or 评分中, by county assessors (提级考核) or, when the cycle lets
  towns enter them, by the town assessors of the participant's town; a 目标 value for an
  automatic leaf is refused (the system computes it).
- 组织 while 评分中, by the county's assessors and admins; on an automatic leaf it is
  an override and needs a note.
Every write bumps the cycle's `inputs_version`, so results behind it show as stale.
"""

import gc
import time
import unicodedata
from contextlib import contextmanager
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from itertools import groupby
from operator import itemgetter

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from assessment.models import LOCKED_STATUSES, Cycle, CycleStatus, RankingGroup, TargetEntry
from assessment.services import (
    changed_participants,
    forget_input_changes,
    mark_inputs_changed,
)
from core.bulk import copy_rows, reserve_ids
from core.numbers import plain_number
from core.versioning import StaleVersion
from indicators.labels import node_label
from indicators.models import IndicatorNode
from org.scope import Role, scope_of
from scoring import engine
from scoring.inputs import load_inputs, load_participants
from scoring.models import (
    LeafResult,
    Result,
    ResultSheet,
    ResultVersion,
    ScoreEntry,
    SelfEvaluation,
    SelfEvaluationStatus,
    Source,
)

WINDOWS = {
    Source.SELF: {CycleStatus.OPEN},
    Source.TARGET: {CycleStatus.OPEN, CycleStatus.SCORING},
    Source.ORG: {CycleStatus.SCORING},
}
COUNTY_ROLES = frozenset({Role.ADMIN, Role.COUNTY_ASSESSOR})


def may_enter(user, participant, source):
    """SPEC §1 × the cycle's settings: who enters which source for this participant."""
    scope = scope_of(user)
    cycle = participant.cycle
    if source == Source.SELF:
        return participant.secretary.user_id == user.pk
    if source == Source.ORG:
        return scope.covers_path(cycle.county.path, COUNTY_ROLES)
    if cycle.target_entry == TargetEntry.TOWN:
        return scope.covers_path(participant.community.path, {Role.TOWN_ASSESSOR})
    return scope.covers_path(cycle.county.path, {Role.COUNTY_ASSESSOR})


def _writable(actor, participant, leaf, source):
    """The participant (fresh) and cycle, if the actor may write this source on this leaf
    now: the cycle not locked, who (`may_enter`), the window, a submitted self-evaluation
    closed, a leaf of the cycle's frozen template."""
    participant = (
        type(participant)
        .objects.select_related("cycle__county", "cycle__frozen_template", "community", "secretary")
        .get(pk=participant.pk)
    )
    cycle = participant.cycle
    if cycle.is_locked:
        raise ValidationError(
            _("考核周期“%(name)s”%(status)s，不能再修改；如需更正请走复核程序。")
            % {"name": cycle.name, "status": cycle.get_status_display()}
        )
    if not may_enter(actor, participant, source):
        raise PermissionDenied
    if cycle.status not in WINDOWS[source]:
        raise ValidationError(
            _("当前状态为“%(status)s”，不能录入%(source)s。")
            % {"status": cycle.get_status_display(), "source": Source(source).label}
        )
    if (
        source == Source.SELF
        and SelfEvaluation.objects.filter(
            participant=participant, status=SelfEvaluationStatus.SUBMITTED
        ).exists()
    ):
        raise ValidationError(_("自评已提交，不能再修改；如需修改，请联系考核员退回。"))
    check_cycle_leaf(cycle, leaf)
    return participant, cycle


def check_cycle_leaf(cycle, leaf):
    """Scores go to leaves of the cycle's frozen template only."""
    if leaf is None or leaf.template_id != cycle.frozen_template_id or leaf.children.exists():
        raise ValidationError(_("只能为本周期指标体系中的末级指标评分。"))


@transaction.atomic
def withdraw_score(*, actor, participant, leaf, source, version):
    """Take back the actor's own value (the cell emptied, an override withdrawn): the
    same who/when rules as entering, the version read, audited; results go stale."""
    participant, cycle = _writable(actor, participant, leaf, source)
    entry = (
        ScoreEntry.objects.select_for_update(of=("self",))
        .filter(participant=participant, leaf=leaf, source=source, rater=actor)
        .order_by("pk")
        .first()
    )
    if entry is None:
        return None
    if version is None or entry.version != version:
        raise StaleVersion(entry)
    entry._history_user = actor
    entry.delete()
    mark_inputs_changed(cycle, participants=[participant])
    return entry


@transaction.atomic
def enter_score(*, actor, participant, leaf, source, value=None, level=None, note="", version=None):
    """Record (or change) the actor's value for one participant, leaf and source.

    Changing an existing entry needs the version read (optimistic locking)."""
    participant, cycle = _writable(actor, participant, leaf, source)
    value = checked_value(leaf, source, value, level, note)
    entry = (
        ScoreEntry.objects.select_for_update(of=("self",))
        .filter(participant=participant, leaf=leaf, source=source, rater=actor)
        .order_by("pk")
        .first()
    )
    if entry is None:
        entry = ScoreEntry(participant=participant, leaf=leaf, source=source, rater=actor)
    else:
        if version is None or entry.version != version:
            raise StaleVersion(entry)
        entry.version += 1
    entry.value, entry.level, entry.note = value, level, note.strip()
    entry._history_user = actor
    entry.save()
    if (
        source == Source.SELF
        and not SelfEvaluation.objects.filter(participant=participant).exists()
    ):
        # The first self value starts the 自我检评 (a draft), whichever way it came in.
        evaluation = SelfEvaluation(participant=participant)
        evaluation._history_user = actor
        evaluation.save()
    mark_inputs_changed(cycle, participants=[participant])
    return entry


def typed_number(text):
    """A number as people type it, Chinese input methods included (full-width digits,
    “。” for the point): a Decimal, None when blank, ValueError when it is no number."""
    text = unicodedata.normalize("NFKC", str(text or "")).strip().replace("。", ".")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(text) from None
    if not value.is_finite():
        raise ValueError(text)
    return value


def checked_value(leaf, source, value, level, note):
    """The value to store for this leaf and source, or ValidationError (SPEC §3.2)."""
    label = node_label(leaf)
    if leaf.is_automatic and source == Source.TARGET:
        raise ValidationError(
            _("%(leaf)s 由系统按数据计算，不能手工录入目标量评。") % {"leaf": label}
        )
    if leaf.is_automatic and source == Source.ORG and not note.strip():
        raise ValidationError(
            {"note": _("%(leaf)s 是自动计分指标，组织考评改分必须写明理由。") % {"leaf": label}}
        )
    levels = list(leaf.bars_levels.all())
    if levels and leaf.method == "rating":
        if level is None or level.node_id != leaf.pk:
            raise ValidationError(
                {"level": _("%(leaf)s 请选择一个行为锚定等级。") % {"leaf": label}}
            )
        return level.value
    if value is None:
        raise ValidationError({"value": _("%(leaf)s 请填写分数。") % {"leaf": label}})
    value = Decimal(value)
    if not Decimal(0) <= value <= leaf.points:
        raise ValidationError(
            {
                "value": _("%(leaf)s 的分数应在 0 到 %(points)s 之间。")
                % {"leaf": label, "points": plain_number(leaf.points)}
            }
        )
    if value != value.quantize(Decimal("0.01")):
        raise ValidationError({"value": _("分数最多保留两位小数。")})
    return value


# ------------------------------------------------------------------------ results


class InputsChanged(Exception):
    """The inputs changed while computing: the new version is discarded."""


def compute_cycle(cycle_id):
    """Compute the cycle's results and swap them in (DESIGN §3).

    Reads `inputs_version`, loads the inputs (a fixed number of queries), runs the
    engine, bulk-inserts a new ResultVersion, then locks the cycle and makes the new
    version current only if `inputs_version` is still the one read; otherwise
    everything written is rolled back and None is returned (the caller retries).
    A draft cycle (no frozen template) and a locked cycle are left as they are; results
    already current are returned without computing.

    When the changes since the current version name the participants they touched
    (`assessment.services.InputChange`), only those are scored again; everyone else
    keeps their stored scores and leaf sheet, and the whole cycle is ranked anew
    (`engine.place`): the same results as a full computation, to the cent."""
    cycle = Cycle.objects.select_related("county").get(pk=cycle_id)
    current = ResultVersion.objects.filter(cycle=cycle, is_current=True).first()
    if cycle.frozen_template_id is None or cycle.is_locked:
        return current
    if current is not None and current.inputs_version == cycle.inputs_version:
        return current
    read_version = cycle.inputs_version
    started = time.monotonic()
    with _without_gc():
        some = _rescore_some(cycle, current, read_version)
        if some is None:
            outcome = engine.compute(load_inputs(cycle))
            sheets = _unchanged_sheets(cycle, current, outcome)
        else:
            outcome, sheets = some
        try:
            base = current if sheets else None
            version = _store(cycle, read_version, outcome, started, base, sheets)
        except InputsChanged:
            return None
    _drop_old_versions(cycle)
    forget_input_changes(cycle.pk, read_version)
    transaction.on_commit(_refresh_result_statistics)
    return version


def _refresh_result_statistics():
    """Every recompute writes a new version's rows: ANALYZE the column readers select
    them by, right after the commit (a few milliseconds). Until autovacuum gets to it — a
    minute later at best, never where it is off — the planner takes the new version for
    one row and walks the whole version in nested loops: the ranking's counts at city
    scale 36 → 12 ms."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Result._meta.db_table} (version_id, participant_id)")


@contextmanager
def _without_gc():
    """A recompute makes some 10^5 short-lived objects (rows, Decimals, named tuples)
    that form no reference cycles and are freed when it ends: the cyclic collector's
    passes over them found nothing and cost a fifth of a county's recompute."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# Above this share of the cycle's participants changed, a full computation is as quick.
RESCORE_SHARE = Decimal("0.25")


def _rescore_some(cycle, current, read_version):
    """`(outcome, {participant id: kept sheet id})` scoring again only the participants
    whose inputs changed since `current`, or None when a full computation is due."""
    if current is None:
        return None
    changed = changed_participants(cycle.pk, current.inputs_version, read_version)
    if changed is None:
        return None
    enrolled = load_participants(cycle)
    stored = _stored_scores(current, enrolled)
    fresh = {p.id for p in enrolled.participants if int(p.id) in changed or p.id not in stored}
    if len(fresh) > RESCORE_SHARE * len(enrolled.participants):
        return None
    inputs = load_inputs(cycle, enrolled=enrolled, only=enrolled.subset(fresh))
    kept = [scored for pid, (scored, _sheet) in stored.items() if pid not in fresh]
    outcome = engine.place((*engine.score(inputs), *kept), inputs.settings, inputs.grade_overrides)
    return outcome, {pid: sheet for pid, (_scored, sheet) in stored.items() if pid not in fresh}


def _unchanged_sheets(cycle, current, outcome):
    """{participant id: sheet id} of the participants whose leaf values a full
    computation found exactly as `current` stores them: they keep that sheet, as
    unchanged participants do in an incremental one. A change of weights, thresholds or
    quota recomputes everyone but moves no leaf value; reading the stored leaves is
    cheaper than writing them all again and deleting the old ones later."""
    if current is None:
        return {}
    leaf_ids = dict(
        IndicatorNode.objects.filter(template_id=cycle.frozen_template_id).values_list("code", "pk")
    )
    fresh = {one.participant_id: one for one in outcome.participants}
    kept = {}
    with connection.cursor() as cursor:
        # Participant by participant, in order: compared as they come, never all at once.
        cursor.execute(
            f"SELECT r.participant_id, l.sheet_id, l.leaf_id, l.self_value, l.target_value,"
            f" l.org_value, l.org_overridden, l.basis FROM {LeafResult._meta.db_table} l"
            f" JOIN {Result._meta.db_table} r ON r.sheet_id = l.sheet_id"
            " WHERE r.version_id = %s ORDER BY r.participant_id",
            [current.pk],
        )
        for pid, rows in groupby(cursor, key=itemgetter(0)):
            one = fresh.get(str(pid))
            if one is None:
                continue
            rows = list(rows)
            stored = {leaf: tuple(values) for _pid, _sheet, leaf, *values in rows}
            if len(stored) == len(one.leaves) and all(
                stored.get(leaf_ids.get(leaf.code)) == _leaf_values(leaf) for leaf in one.leaves
            ):
                kept[one.participant_id] = rows[0][1]
    return kept


def _leaf_values(leaf):
    """A leaf's values as its `LeafResult` row stores them (after the ids)."""
    basis = None if leaf.basis is None else leaf.basis.quantize(BASIS_PLACES, ROUND_HALF_UP)
    return (leaf.self_value, leaf.target_value, leaf.org_value, leaf.org_overridden, basis)


def _stored_scores(version, enrolled):
    """{participant id: (engine.Scored, sheet id)} of the version's results, for the
    participants still enrolled: what `engine.place` needs of each, exactly as stored
    (every total is kept to the cent the engine rounds it to)."""
    participants = {p.id: p for p in enrolled.participants}
    rows = (
        Result.objects.filter(version=version)
        .order_by()
        .values_list("participant_id", "sheet_id", *TOTALS, "veto_reasons", "warnings")
    )
    stored = {}
    for pid, sheet, s, t, o, composite, bonus, final, taken, vetoes, warnings in rows:
        participant = participants.get(str(pid))
        if participant is None:
            continue
        veto_events = tuple(
            engine.Event(
                participant_id=participant.id,
                type_code=veto["type"],
                on=date.fromisoformat(veto["on"]) if veto["on"] else None,
                description=veto["text"],
            )
            for veto in vetoes
        )
        scored = engine.Scored(
            participant=participant,
            leaves=(),
            self_total=s,
            target_total=t,
            org_total=o,
            composite=composite,
            bonus=bonus,
            final=final,
            veto_events=veto_events,
            taken=taken,
            warnings=tuple(warnings),
        )
        stored[participant.id] = (scored, sheet)
    return stored


def compute_until_current(cycle_id, attempts=5):
    """`compute_cycle`, again while the inputs keep changing under it: the current
    version, or None when they never held still for `attempts` runs."""
    for _attempt in range(attempts):
        version = compute_cycle(cycle_id)
        if version is not None:
            return version
    return None


@transaction.atomic
def _store(cycle, read_version, outcome, started, base, sheets):
    """Write `outcome` as a new version; a participant in `sheets` keeps that sheet,
    everyone else gets a new one with their leaf values. Swapped in as current under the
    cycle's lock, unless the inputs moved meanwhile or `base` (whose sheets are kept)
    stopped being current (InputsChanged: all of it rolls back)."""
    leaf_ids = dict(
        IndicatorNode.objects.filter(template_id=cycle.frozen_template_id).values_list("code", "pk")
    )
    version = ResultVersion.objects.create(
        cycle=cycle,
        inputs_version=read_version,
        n=outcome.n,
        quota=outcome.quota,
        top=outcome.top,
        bottom=outcome.bottom,
        groups=[
            {
                "key": g.key,
                "n": g.n,
                "quota": g.quota,
                "top": g.top,
                "bottom": g.bottom,
                "warnings": list(g.warnings),
            }
            for g in outcome.groups
        ],
        warnings=list(outcome.warnings),
    )
    scored = [one for one in outcome.participants if one.participant_id not in sheets]
    new_sheets = dict(
        zip(
            (one.participant_id for one in scored),
            reserve_ids(ResultSheet, len(scored)),
            strict=True,
        )
    )
    copy_rows(ResultSheet, ("id", "participant_id"), ((v, int(k)) for k, v in new_sheets.items()))
    sheets = {**sheets, **new_sheets}
    result_ids = reserve_ids(Result, len(outcome.participants))
    copy_rows(
        Result,
        RESULT_COLUMNS,
        (
            _result_row(cycle, version, result_id, sheets[one.participant_id], one)
            for result_id, one in zip(result_ids, outcome.participants, strict=True)
        ),
    )
    copy_rows(
        LeafResult,
        LEAF_COLUMNS,
        (
            (
                new_sheets[one.participant_id],
                leaf_ids[leaf.code],
                *_leaf_values(leaf),
            )
            for one in scored
            for leaf in one.leaves
        ),
        line=_leaf_line,
    )
    locked = Cycle.objects.select_for_update().get(pk=cycle.pk)
    if locked.inputs_version != read_version or locked.is_locked:
        raise InputsChanged
    current = ResultVersion.objects.filter(cycle=cycle, is_current=True)
    if base is not None and not current.filter(pk=base.pk).exists():
        raise InputsChanged
    current.update(is_current=False)
    version.is_current = True
    version.duration_ms = int((time.monotonic() - started) * 1000)
    version.save(update_fields=["is_current", "duration_ms"])
    return version


LEAF_COLUMNS = (
    "sheet_id",
    "leaf_id",
    "self_value",
    "target_value",
    "org_value",
    "org_overridden",
    "basis",
)
BASIS_PLACES = Decimal("0.0001")
NULL = "\\N"


def _leaf_line(row):
    """One `LeafResult` row (`LEAF_COLUMNS`: ids, Decimals, a boolean, the basis or
    None) as a COPY text line."""
    sheet, leaf, s, t, o, overridden, basis = row
    return (
        f"{sheet}\t{leaf}\t{s}\t{t}\t{o}\t{'t' if overridden else 'f'}"
        f"\t{NULL if basis is None else basis}\n"
    )


# A participant's scores before ranking, as `engine.Scored` holds them (SPEC §3.2–§3.5).
TOTALS = ("self_total", "target_total", "org_total", "composite", "bonus", "final", "taken")
RESULT_COLUMNS = (
    "id",
    "version_id",
    "participant_id",
    "sheet_id",
    "group",
    "graded",
    *TOTALS,
    "veto",
    "veto_reasons",
    "rank",
    "grade",
    "rule_grade",
    "override_reason",
    "tier",
    "coefficient",
    "pay",
    "flags",
    "warnings",
)


def _result_row(cycle, version, result_id, sheet_id, one):
    """One participant's `Result` row in `RESULT_COLUMNS` order."""
    return (
        result_id,
        version.pk,
        int(one.participant_id),
        sheet_id,
        one.town if cycle.ranking_group == RankingGroup.TOWN else "",
        one.graded,
        one.self_total,
        one.target_total,
        one.org_total,
        one.composite,
        one.bonus,
        one.final,
        one.taken,
        one.veto,
        [
            {"type": e.type_code, "on": e.on.isoformat() if e.on else "", "text": e.description}
            for e in one.veto_events
        ],
        one.rank,
        one.grade,
        one.rule_grade,
        one.override_reason or "",
        one.tier or "",
        one.coefficient,
        one.pay,
        [str(flag) for flag in one.flags],
        list(one.warnings),
    )


KEEP_OLD_VERSIONS = 2


def _drop_old_versions(cycle):
    """Keep the current version, the published one and the two before (for comparing);
    older ones are deleted, with every sheet no kept result uses any more."""
    old = (
        ResultVersion.objects.filter(cycle=cycle, is_current=False, is_published=False)
        .order_by("-pk")
        .values_list("pk", flat=True)[KEEP_OLD_VERSIONS:]
    )
    old = list(old)
    if not old:
        return
    # In plain DELETEs (no deletion collector): first the sheets (with their leaves)
    # that only these versions use — found from the results alone, so the leaves are
    # reached through their sheet index rather than by scanning every leaf row — then
    # the versions.
    ids = ", ".join(["%s"] * len(old))
    result, leaf, sheet = (
        Result._meta.db_table,
        LeafResult._meta.db_table,
        ResultSheet._meta.db_table,
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT r.sheet_id FROM {result} r WHERE r.version_id IN ({ids})"
            f" AND NOT EXISTS (SELECT 1 FROM {result} k WHERE k.sheet_id = r.sheet_id"
            f" AND k.version_id NOT IN ({ids}))",
            old + old,
        )
        unused = [row[0] for row in cursor.fetchall()]
        _delete_in_chunks(cursor, leaf, "sheet_id", unused)
        cursor.execute(f"DELETE FROM {result} WHERE version_id IN ({ids})", old)
        _delete_in_chunks(cursor, sheet, "id", unused)
        cursor.execute(f"DELETE FROM {ResultVersion._meta.db_table} WHERE id IN ({ids})", old)


# Sheet ids per DELETE statement (a full recompute frees a whole cycle's sheets).
DELETE_CHUNK = 5000


def _delete_in_chunks(cursor, table, column, ids):
    for start in range(0, len(ids), DELETE_CHUNK):
        chunk = ids[start : start + DELETE_CHUNK]
        marks = ", ".join(["%s"] * len(chunk))
        cursor.execute(f"DELETE FROM {table} WHERE {column} IN ({marks})", chunk)


def current_results(cycle):
    """The cycle's current ResultVersion (None before the first computation)."""
    return ResultVersion.objects.filter(cycle=cycle, is_current=True).first()


def results_are_stale(cycle, version=None):
    version = version if version is not None else current_results(cycle)
    return version is None or version.inputs_version != cycle.inputs_version


def stale_cycles():
    """`(id, inputs_version)` of the cycles whose results a recompute would change
    (DESIGN §3): started (frozen template), not locked, and no current version of their
    latest inputs. One query."""
    current = ResultVersion.objects.filter(
        cycle=OuterRef("pk"), is_current=True, inputs_version=OuterRef("inputs_version")
    )
    return list(
        Cycle.objects.filter(frozen_template__isnull=False)
        .exclude(status__in=LOCKED_STATUSES)
        .exclude(Exists(current))
        .values_list("pk", "inputs_version")
    )
