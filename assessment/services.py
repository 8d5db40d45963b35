"""Cycle services: create, configure, enrol participants, and walk the lifecycle
草稿 → 进行中 → 评分中 → 公示中 → 已发布 → 已归档 (SPEC §2).

State changes only through `transition()`, which checks the move is in TRANSITIONS,
that the actor may make it, and its guards; then records who and when. A published or
archived cycle refuses every write here (`_check_writable`), whatever path calls.
"""

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assessment.models import (
    Cycle,
    CycleStatus,
    CycleTransition,
    InputChange,
    Participant,
    Quarter,
)
from core.security_log import security_event
from core.versioning import StaleVersion
from indicators.services import check_template, freeze_template
from org.models import OrgUnitKind, Secretary
from org.scope import Role, scope_of

MANAGER_ROLES = frozenset({Role.ADMIN, Role.COUNTY_ASSESSOR})
# Fewer months in post than this in the cycle's year → suggested 不定等次 (SPEC §2).
MIN_MONTHS_FOR_GRADING = 6


@dataclass(frozen=True)
class Transition:
    name: str
    source: str
    target: str
    label: str


TRANSITIONS = {
    t.name: t
    for t in [
        Transition("open", CycleStatus.DRAFT, CycleStatus.OPEN, gettext_lazy("开始考核")),
        Transition(
            "start_scoring", CycleStatus.OPEN, CycleStatus.SCORING, gettext_lazy("进入评分")
        ),
        Transition("reopen_entry", CycleStatus.SCORING, CycleStatus.OPEN, gettext_lazy("退回填报")),
        Transition(
            "start_review", CycleStatus.SCORING, CycleStatus.REVIEW, gettext_lazy("开始公示")
        ),
        Transition(
            "withdraw_review", CycleStatus.REVIEW, CycleStatus.SCORING, gettext_lazy("撤回公示")
        ),
        Transition("publish", CycleStatus.REVIEW, CycleStatus.PUBLISHED, gettext_lazy("发布结果")),
        Transition("archive", CycleStatus.PUBLISHED, CycleStatus.ARCHIVED, gettext_lazy("归档")),
    ]
}


# Listeners told (after commit) that a cycle's scoring inputs changed: the scoring app
# schedules a recompute (DESIGN §3). Each takes the cycle's id.
INPUTS_LISTENERS = []


def _register(registry, entry):
    """Add a higher app's entry to one of the registries here, once (DESIGN §2)."""
    if entry not in registry:
        registry.append(entry)
    return entry


def on_inputs_changed(listener):
    return _register(INPUTS_LISTENERS, listener)


def mark_inputs_changed(cycle, *, participants=None, communities=None):
    """One more write to the cycle's scoring inputs (scores, events, metrics, surveys,
    settings, participants): results computed before it are stale until recomputed.
    Call inside the writing transaction; listeners run once it commits.

    `participants` (instances or ids) and `communities` (ids: every participant of the
    cycle there) say whom the write touched, so the recompute scores only them again;
    neither: anyone may have changed (DESIGN §3)."""
    bumped = Cycle.objects.filter(pk=cycle.pk)
    bumped.update(inputs_version=F("inputs_version") + 1)
    # The update holds the cycle's row until commit: the version read is this write's.
    version = bumped.values_list("inputs_version", flat=True).get()
    # The caller's instance too: saved later, it must not write the old number back.
    cycle.inputs_version = version
    touched = None
    if participants is not None or communities is not None:
        touched = {int(getattr(p, "pk", p)) for p in participants or ()}
        if communities:
            touched.update(
                Participant.objects.filter(cycle_id=cycle.pk, community_id__in=communities)
                .order_by()
                .values_list("pk", flat=True)
            )
        touched = sorted(touched)
    InputChange.objects.create(cycle_id=cycle.pk, inputs_version=version, participants=touched)
    for listener in INPUTS_LISTENERS:
        # robust: a listener that fails (say the broker is down) is logged; the change
        # itself is committed and the results simply stay 待更新 until recomputed.
        transaction.on_commit(_call(listener, cycle.pk), robust=True)


def changed_participants(cycle_id, since, until):
    """The participant ids whose inputs changed after `inputs_version` `since` up to
    `until`, or None when everyone may have (a change of unknown reach, or a version in
    between that recorded nothing)."""
    rows = InputChange.objects.filter(
        cycle_id=cycle_id, inputs_version__gt=since, inputs_version__lte=until
    ).values_list("inputs_version", "participants")
    versions, touched = set(), set()
    for version, participants in rows:
        if participants is None:
            return None
        versions.add(version)
        touched.update(participants)
    if len(versions) != until - since:
        return None
    return touched


def forget_input_changes(cycle_id, until):
    """Drop the change records a result version of inputs `until` covers."""
    InputChange.objects.filter(cycle_id=cycle_id, inputs_version__lte=until).delete()


def _call(listener, cycle_id):
    def inputs_changed():
        listener(cycle_id)

    inputs_changed.__qualname__ = f"{listener.__qualname__}({cycle_id})"
    return inputs_changed


def may_manage(user, cycle):
    return scope_of(user).covers_path(cycle.county.path, MANAGER_ROLES)


def _check_manager(actor, county):
    if actor is not None and not scope_of(actor).covers_path(county.path, MANAGER_ROLES):
        raise PermissionDenied


ENROLMENT_STATUSES = frozenset({CycleStatus.DRAFT, CycleStatus.OPEN, CycleStatus.SCORING})


def _check_enrolment_open(cycle):
    """Once results are in 公示, a newcomer would have no scores and block publication."""
    if cycle.status not in ENROLMENT_STATUSES:
        raise ValidationError(
            _("当前状态为“%(status)s”，不能再登记参评书记；如确需补登，请先撤回公示。")
            % {"status": cycle.get_status_display()}
        )


def _check_writable(cycle):
    if cycle.is_locked:
        raise ValidationError(
            _("考核周期“%(name)s”%(status)s，不能再修改；如需更正请走复核程序。")
            % {"name": cycle.name, "status": cycle.get_status_display()}
        )


def _locked(cycle, version):
    current = Cycle.objects.select_for_update().get(pk=cycle.pk)
    if version is None:
        raise ValidationError(_("缺少版本号，无法确认您修改的是最新内容，请刷新后重试。"))
    if current.version != version:
        raise StaleVersion(current)
    return current


def _stamp(obj, actor):
    obj._history_user = actor
    return obj


def default_quarters(year):
    return [
        (1, date(year, 1, 1), date(year, 3, 31)),
        (2, date(year, 4, 1), date(year, 6, 30)),
        (3, date(year, 7, 1), date(year, 9, 30)),
        (4, date(year, 10, 1), date(year, 12, 31)),
    ]


@transaction.atomic
def create_cycle(*, actor, county, name, year, template=None, **settings):
    """A draft cycle with the default settings of SPEC §3 (overridable) and the four
    calendar quarters of its year."""
    _check_manager(actor, county)
    if template is not None and template.county_id != county.pk:
        raise ValidationError({"template": _("请选择本县/区的指标体系。")})
    cycle = Cycle(county=county, name=name, year=year, template=template, **settings)
    _stamp(cycle, actor).full_clean()
    cycle.save()
    for number, starts_on, ends_on in default_quarters(year):
        _stamp(
            Quarter(cycle=cycle, number=number, starts_on=starts_on, ends_on=ends_on), actor
        ).save()
    return cycle


@transaction.atomic
def update_cycle(*, actor, cycle, version, **changes):
    """Settings and name; the template only while the cycle is a draft."""
    cycle = _locked(cycle, version)
    _check_manager(actor, cycle.county)
    _check_writable(cycle)
    if "template" in changes and changes["template"] != cycle.template:
        if cycle.status != CycleStatus.DRAFT:
            raise ValidationError({"template": _("考核开始后不能更换指标体系。")})
        if changes["template"] is not None and changes["template"].county_id != cycle.county_id:
            raise ValidationError({"template": _("请选择本县/区的指标体系。")})
    for field, value in changes.items():
        setattr(cycle, field, value)
    cycle.version += 1
    _stamp(cycle, actor).full_clean()
    cycle.save()
    mark_inputs_changed(cycle)
    return cycle


@transaction.atomic
def set_quarters(*, actor, cycle, quarters):
    """quarters = [(number, starts_on, ends_on)] for 1..4: ordered, inside the year, not
    overlapping."""
    cycle = Cycle.objects.select_for_update().get(pk=cycle.pk)
    _check_manager(actor, cycle.county)
    _check_writable(cycle)
    problems = quarter_problems(cycle.year, quarters)
    if problems:
        raise ValidationError(problems)
    for number, starts_on, ends_on in quarters:
        quarter = cycle.quarters.get(number=number)
        if (quarter.starts_on, quarter.ends_on) != (starts_on, ends_on):
            quarter.starts_on, quarter.ends_on = starts_on, ends_on
            _stamp(quarter, actor).save()
    return cycle


def quarter_problems(year, quarters):
    problems = []
    numbers = sorted(n for n, _s, _e in quarters)
    if numbers != [1, 2, 3, 4]:
        return [_("需要第 1 至第 4 季度各一个。")]
    previous_end = None
    for number, starts_on, ends_on in sorted(quarters):
        if starts_on > ends_on:
            problems.append(_("第 %(n)d 季度的开始日期晚于结束日期。") % {"n": number})
        if starts_on.year != year or ends_on.year != year:
            problems.append(_("第 %(n)d 季度不在 %(year)d 年度内。") % {"n": number, "year": year})
        if previous_end and starts_on <= previous_end:
            problems.append(_("第 %(n)d 季度与上一季度重叠。") % {"n": number})
        previous_end = ends_on
    return problems


def months_in_post(secretary, year):
    """Whole months of the year the secretary held the post (a started month counts)."""
    start = max(secretary.tenure_start, date(year, 1, 1))
    end = min(secretary.tenure_end or date(year, 12, 31), date(year, 12, 31))
    if end < start:
        return 0
    return (end.year - start.year) * 12 + end.month - start.month + 1


def grading_suggestion(secretary, year):
    """(is_graded, reason): fewer than six months in post → 不定等次 (SPEC §2)."""
    months = months_in_post(secretary, year)
    if months < MIN_MONTHS_FOR_GRADING:
        return False, _("本年度任职 %(m)d 个月，不满六个月") % {"m": months}
    return True, ""


@transaction.atomic
def enrol_county(*, actor, cycle):
    """Enrol every secretary who held a post in the county's communities during the
    cycle's year. A community whose secretary changed lists both; the grading flag is
    suggested from the months in post, and the cycle then decides. Returns how many
    were added; those already enrolled are left as they are."""
    cycle = Cycle.objects.select_for_update().get(pk=cycle.pk)
    _check_manager(actor, cycle.county)
    _check_writable(cycle)
    _check_enrolment_open(cycle)
    year_start, year_end = date(cycle.year, 1, 1), date(cycle.year, 12, 31)
    secretaries = (
        Secretary.objects.filter(
            community__path__startswith=cycle.county.path,
            community__kind=OrgUnitKind.COMMUNITY,
            tenure_start__lte=year_end,
        )
        .filter(Q(tenure_end__isnull=True) | Q(tenure_end__gte=year_start))
        .exclude(participations__cycle=cycle)
        .select_related("community")
    )
    added = 0
    for secretary in secretaries:
        is_graded, reason = grading_suggestion(secretary, cycle.year)
        participant = Participant(
            cycle=cycle,
            secretary=secretary,
            community=secretary.community,
            is_graded=is_graded,
            not_graded_reason=reason,
        )
        _stamp(participant, actor).save()
        added += 1
    if added:
        mark_inputs_changed(cycle)
    return added


@transaction.atomic
def enrol_secretary(*, actor, cycle, secretary):
    cycle = Cycle.objects.select_for_update().get(pk=cycle.pk)
    _check_manager(actor, cycle.county)
    _check_writable(cycle)
    _check_enrolment_open(cycle)
    if not secretary.community.path.startswith(cycle.county.path):
        raise ValidationError(_("只能登记本县/区社区的书记。"))
    if cycle.participants.filter(secretary=secretary).exists():
        raise ValidationError(_("%(name)s 已在本周期的参评名单中。") % {"name": secretary.name})
    is_graded, reason = grading_suggestion(secretary, cycle.year)
    participant = Participant(
        cycle=cycle,
        secretary=secretary,
        community=secretary.community,
        is_graded=is_graded,
        not_graded_reason=reason,
    )
    _stamp(participant, actor).full_clean()
    participant.save()
    mark_inputs_changed(cycle, participants=[participant])
    return participant


@transaction.atomic
def set_grading(*, actor, participant, version, is_graded, reason=""):
    participant = (
        Participant.objects.select_for_update(of=("self",))
        .select_related("cycle__county")
        .get(pk=participant.pk)
    )
    _check_manager(actor, participant.cycle.county)
    _check_writable(participant.cycle)
    if version is None or participant.version != version:
        raise StaleVersion(participant)
    participant.is_graded = is_graded
    participant.not_graded_reason = "" if is_graded else reason
    participant.version += 1
    _stamp(participant, actor).full_clean()
    participant.save()
    mark_inputs_changed(participant.cycle, participants=[participant])
    return participant


@transaction.atomic
def withdraw_participant(*, actor, participant):
    participant = Participant.objects.select_related("cycle__county").get(pk=participant.pk)
    _check_manager(actor, participant.cycle.county)
    _check_writable(participant.cycle)
    if participant.cycle.status not in (CycleStatus.DRAFT, CycleStatus.OPEN):
        raise ValidationError(_("评分开始后不能再移出参评书记，可改为“不参加评定”。"))
    _stamp(participant, actor).delete()
    mark_inputs_changed(participant.cycle)


def blockers(cycle, transition_name):
    """What stops this transition now, as readable sentences (empty: it may go)."""
    problems = []
    if transition_name == "open":
        if cycle.template is None:
            problems.append(_("尚未选择指标体系。"))
        else:
            report = check_template(cycle.template)
            problems.extend(
                _("指标体系有误：%(problem)s") % {"problem": p.message} for p in report.errors
            )
        if not cycle.participants.exists():
            problems.append(_("还没有参评书记，请先登记参评名单。"))
        quarters = cycle.quarters.values_list("number", "starts_on", "ends_on")
        problems.extend(quarter_problems(cycle.year, list(quarters)))
        try:
            cycle.full_clean()
        except ValidationError as exc:
            problems.extend(exc.messages)
    if transition_name in ("start_review", "publish"):
        problems.extend(result_blockers(cycle))
    if transition_name == "publish":
        problems.extend(problem for check in PUBLISH_CHECKS for problem in check(cycle))
    return problems


# Checks other apps add for review and publication (the scoring app: results current,
# required scores present). Each takes the cycle and returns readable problems.
RESULT_CHECKS = []


def register_result_check(check):
    return _register(RESULT_CHECKS, check)


# Checks other apps add for publication only (the scoring app: appeals not yet decided).
PUBLISH_CHECKS = []


def register_publish_check(check):
    return _register(PUBLISH_CHECKS, check)


# Listeners called inside a transition's transaction, after the state changed: each
# takes (cycle, transition name, actor). The scoring app locks the published results.
TRANSITION_LISTENERS = []


def on_transition(listener):
    return _register(TRANSITION_LISTENERS, listener)


# What each transition does, in words, shown before it is confirmed (issue 14: "every
# transition asks for confirmation and shows what it will do").
EFFECTS = {
    "open": gettext_lazy(
        "开始考核：冻结指标体系的副本（此后修改指标体系不影响本周期）；书记可以填写自我检评、"
        "申报表彰加分；考核员可以报告事项、录入指标数据；可以发放民主评议票；"
        "结转本县以往周期未完成的整改事项。"
    ),
    "start_scoring": gettext_lazy(
        "进入评分：自我检评全部锁定，书记不能再保存或提交（含已退回修改、尚未重新提交的）；"
        "考核员录入目标量评和组织考评。如需让书记继续填报，可以“退回填报”。"
    ),
    "reopen_entry": gettext_lazy(
        "退回填报：周期回到“进行中”，未提交（草稿、已退回）的自我检评可以继续修改和提交，"
        "已提交的须由考核员退回后才能修改；已录入的评分保留。"
    ),
    "start_review": gettext_lazy(
        "开始公示：书记可以看到本人的考核结果、计分卡和本社区测评结果，并在公示期内提出申诉；"
        "评分和自评不能再修改（撤回公示后评分可以修改）。"
    ),
    "withdraw_review": gettext_lazy(
        "撤回公示：周期回到“评分中”，书记暂时看不到考核结果，不能再提出申诉。"
    ),
    "publish": gettext_lazy(
        "发布结果：当前考核结果成为最终结果并锁定，等次、档次和绩效报酬生效；"
        "此后评分、自评、事项等考核数据不能再修改（整改清单仍可办理至归档），"
        "更正须走复核程序。"
    ),
    "archive": gettext_lazy("归档：周期只读，作为历史记录保存。"),
}

# What else a transition will touch, from the apps above (the scoring app: self-
# evaluations not submitted; evidence: events still 待核实; surveys: paper counts not
# agreeing). Each takes (cycle, transition name) and returns readable sentences.
TRANSITION_NOTES = []


def register_transition_note(note):
    return _register(TRANSITION_NOTES, note)


def consequences(cycle, transition_name):
    """What the transition will do to this cycle now, as sentences: what it does in
    general, then what the apps above find (counts of what it affects)."""
    found = [str(EFFECTS[transition_name])] if transition_name in EFFECTS else []
    for note in TRANSITION_NOTES:
        found.extend(note(cycle, transition_name))
    return found


def roster_changed(community):
    """A community's staff roster changed (org app): the cycles of its county still
    taking inputs (进行中, 评分中) recompute (社工持证率 counts the roster)."""
    running = Cycle.objects.filter(
        status__in=(CycleStatus.OPEN, CycleStatus.SCORING), county__in=community.ancestors()
    )
    for cycle in running:
        mark_inputs_changed(cycle, communities=[community.pk])


def result_blockers(cycle):
    return [problem for check in RESULT_CHECKS for problem in check(cycle)]


@transaction.atomic
def transition(*, actor, cycle, name, version, note=""):
    """Move the cycle along TRANSITIONS, after its guards; record who, when and why (and
    in the security log). Opening freezes a deep copy of the template into the cycle."""
    move = TRANSITIONS.get(name)
    if move is None:
        raise ValidationError(_("未知的操作。"))
    cycle = _locked(cycle, version)
    _check_manager(actor, cycle.county)
    if cycle.status != move.source:
        raise ValidationError(
            _("当前状态为“%(status)s”，不能执行“%(action)s”。")
            % {"status": cycle.get_status_display(), "action": move.label}
        )
    problems = blockers(cycle, name)
    if problems:
        raise ValidationError(problems)
    if name == "open":
        cycle.frozen_template = freeze_template(actor=actor, template=cycle.template)
        mark_inputs_changed(cycle)
    previous = cycle.status
    cycle.status = move.target
    cycle.version += 1
    _stamp(cycle, actor)
    cycle._change_reason = str(move.label)
    cycle.save()
    CycleTransition.objects.create(
        cycle=cycle, from_status=previous, to_status=move.target, actor=actor, note=note
    )
    for listener in TRANSITION_LISTENERS:
        listener(cycle, name, actor)
    security_event(
        "cycle_transition",
        user=actor,
        cycle=cycle.pk,
        county=cycle.county.code,
        transition=name,
        **{"from": previous, "to": move.target},
    )
    return cycle


def available_transitions(cycle):
    return [t for t in TRANSITIONS.values() if t.source == cycle.status]


@transaction.atomic
def update_settings(*, actor, cycle, version, quarters, **changes):
    """The settings page in one go: settings (as `update_cycle`) and the quarters' dates
    (as `set_quarters`) are saved together or not at all, and the problems of both are
    reported together."""
    errors = {}
    try:
        cycle = update_cycle(actor=actor, cycle=cycle, version=version, **changes)
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    problems = quarter_problems(cycle.year, quarters)
    if problems:
        errors.setdefault(NON_FIELD_ERRORS, []).extend(problems)
    if errors:
        raise ValidationError(errors)
    return set_quarters(actor=actor, cycle=cycle, quarters=quarters)
