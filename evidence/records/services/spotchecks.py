"""核查 (record checks, SPEC §2 Record checks): a town assessor (their town's communities),
a county assessor or an admin (their county's) draws a random sample of one community's
民情日记 and 网格事件 of a period, then marks each sampled record 属实 or 不实 with a note.

- The draw is reproducible and auditable: the check stores the records it was drawn from
  (`population`, in a fixed order), the parameters and the seed, so that
  `draw_sample(population, size, seed)` gives the same records again.
- Nobody marks a record they wrote or closed themselves; another checker does.
- A 不实 record stops counting in the counted metrics (`evidence.records.counters`): the
  mark tells the cycles counting it that their inputs changed, like any record change,
  and is refused when a published cycle counts it.
- For a 不实 record the checker may report a deduction event of the check's configured
  type through the events flow (`report_event`): it is 待核实 until someone else verifies
  it (four eyes), and only then deducts.
- A secretary sees a check of their community only once every record in it is marked;
  so that a deduction event does not give the check away earlier (the secretary sees
  the events about them), deductions are reported only once the check is finished.
"""

import random
import secrets
from dataclasses import dataclass
from math import ceil

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assessment.models import Cycle, CycleStatus, Participant
from core.versioning import lock_at_version
from evidence.events.services import report_event
from evidence.models import (
    DiaryEntry,
    EventStatus,
    GridEvent,
    SpotCheck,
    SpotCheckItem,
    SpotCheckKinds,
    SpotCheckVerdict,
)
from evidence.records.selectors import (
    DIARY,
    cycle_period,
    is_own_record,
    may_check,
    parse_key,
    population,
)
from evidence.records.services.records import _records_changed, _stamp
from org.models import OrgUnitKind


@dataclass(frozen=True)
class SampleRule:
    """How many records a check samples: `share` % of the records, at least `minimum`,
    never more than there are."""

    share: int = 10
    minimum: int = 3


# The defaults the draw form offers (and a draw without parameters uses).
DEFAULT_SAMPLE = SampleRule()
MAX_MINIMUM = 200
SEED_BITS = 63  # fits the seed column (a signed 64-bit integer)


def sample_size(records, share, minimum):
    """ceil(records × share %), at least `minimum`, capped by the number of records."""
    return min(records, max(minimum, ceil(records * share / 100)))


def draw_sample(keys, size, seed):
    """The records drawn from `keys` (in their stored order) with the generator seeded
    by `seed`: the same arguments always give the same sample, in the same order."""
    return random.Random(seed).sample(list(keys), size)


# ---------------------------------------------------------------------------- checks


def _check_cycle_open(cycle):
    if cycle.status == CycleStatus.DRAFT:
        raise ValidationError(
            _("考核周期“%(name)s”尚未开始，不能核查记录。") % {"name": cycle.name}
        )
    if cycle.is_locked:
        raise ValidationError(
            _("考核周期“%(name)s”%(status)s，记录核查不能再修改。")
            % {"name": cycle.name, "status": cycle.get_status_display()}
        )


def _check_community(cycle, community):
    if community is None:
        raise ValidationError({"community": _("请选择要核查的社区。")})
    if community.kind != OrgUnitKind.COMMUNITY or not community.path.startswith(cycle.county.path):
        raise ValidationError(
            {"community": _("%(name)s不是本周期所属县/区的社区。") % {"name": community.name}}
        )


def _check_period(cycle, start, end):
    if start is None or end is None:
        raise ValidationError({"period_start": _("请填写核查期间的起止日期。")})
    if end < start:
        raise ValidationError({"period_end": _("核查截止日不能早于起始日。")})
    first, last = cycle_period(cycle)
    if start < first or end > last:
        raise ValidationError(
            {
                "period_start": _(
                    "核查期间 %(start)s 至 %(end)s 超出了本考核周期（%(first)s 至 %(last)s）。"
                )
                % {"start": start, "end": end, "first": first, "last": last}
            }
        )
    if start > timezone.localdate():
        raise ValidationError({"period_start": _("核查起始日不能晚于今天。")})


def _check_rule(share, minimum):
    if share is None or not 1 <= share <= 100:
        raise ValidationError({"share": _("抽查比例应在 1% 到 100% 之间。")})
    if minimum is None or not 1 <= minimum <= MAX_MINIMUM:
        raise ValidationError(
            {"minimum": _("最少抽查条数应在 1 到 %(max)d 之间。") % {"max": MAX_MINIMUM}}
        )


def check_deduction_type(cycle, event_type):
    """A deduction type of the cycle's frozen template (negative points, charged to a
    deduction leaf), or None."""
    if event_type is None:
        return
    if event_type.template_id != cycle.frozen_template_id:
        raise ValidationError(
            {
                "deduction_type": _("事项类型“%(name)s”不属于本周期的指标体系。")
                % {"name": event_type.name}
            }
        )
    if event_type.points >= 0 or event_type.leaf_id is None:
        raise ValidationError(
            {
                "deduction_type": _(
                    "不实记录应计入扣分类事项（负分值并计入扣分指标），“%(name)s”不是。"
                )
                % {"name": event_type.name}
            }
        )


KIND_LABELS = {
    SpotCheckKinds.ALL: gettext_lazy("民情日记和网格事件"),
    SpotCheckKinds.DIARY: gettext_lazy("民情日记"),
    SpotCheckKinds.GRID_EVENTS: gettext_lazy("网格事件"),
}


@transaction.atomic
def draw_spot_check(
    *,
    actor,
    cycle,
    community,
    period_start,
    period_end,
    kinds=SpotCheckKinds.ALL,
    share=DEFAULT_SAMPLE.share,
    minimum=DEFAULT_SAMPLE.minimum,
    deduction_type=None,
    seed=None,
):
    """Draw a sample of the community's records of the period (SPEC §2 Record checks):
    `share` % of them, at least `minimum`, at most all. `seed` defaults to a fresh
    random number; it is stored with the records drawn from, so the draw can be redone
    by anyone (`draw_sample`). The check and its items are saved together or not at all."""
    cycle = Cycle.objects.select_for_update(of=("self",)).select_related("county").get(pk=cycle.pk)
    _check_community(cycle, community)
    if not may_check(actor, community):
        raise PermissionDenied
    _check_cycle_open(cycle)
    if kinds not in SpotCheckKinds.values:
        raise ValidationError({"kinds": _("请选择要核查的记录。")})
    _check_period(cycle, period_start, period_end)
    _check_rule(share, minimum)
    check_deduction_type(cycle, deduction_type)
    keys = population(community, period_start, period_end, kinds)
    if not keys:
        raise ValidationError(
            _("%(community)s在 %(start)s 至 %(end)s 没有可抽查的%(kinds)s。")
            % {
                "community": community.name,
                "start": period_start,
                "end": period_end,
                "kinds": KIND_LABELS[SpotCheckKinds(kinds)],
            }
        )
    seed = secrets.randbits(SEED_BITS) if seed is None else seed
    drawn = draw_sample(keys, sample_size(len(keys), share, minimum), seed)
    check = SpotCheck(
        cycle=cycle,
        community=community,
        period_start=period_start,
        period_end=period_end,
        kinds=kinds,
        share=share,
        minimum=minimum,
        population=keys,
        seed=seed,
        deduction_type=deduction_type,
        drawn_by=actor,
    )
    _stamp(check, actor).save()
    for position, key in enumerate(drawn, start=1):
        kind, pk = parse_key(key)
        record = {"diary_entry_id" if kind == DIARY else "grid_event_id": pk}
        _stamp(SpotCheckItem(spot_check=check, position=position, **record), actor).save()
    return check


def _locked_item(item, version):
    """The item and its check, locked (the check first, so that two marks finishing the
    same check one after the other see each other)."""
    check = (
        SpotCheck.objects.select_for_update(of=("self",))
        .select_related("cycle__county", "community", "deduction_type")
        .get(pk=item.spot_check_id)
    )
    item = lock_at_version(SpotCheckItem, item.pk, version)
    item.spot_check = check
    return check, item


def _record(item):
    if item.diary_entry_id:
        return DiaryEntry.objects.get(pk=item.diary_entry_id)
    return GridEvent.objects.get(pk=item.grid_event_id)


def record_dates(record):
    if isinstance(record, DiaryEntry):
        return (record.recorded_on, record.resolved_on)
    return (record.reported_on, record.resolved_on)


def describe(record):
    """The record in words, e.g. 网格事件 2026-03-05（矛盾纠纷）."""
    kind = _("民情日记") if isinstance(record, DiaryEntry) else _("网格事件")
    return _("%(kind)s %(day)s（%(category)s）") % {
        "kind": kind,
        "day": record_dates(record)[0],
        "category": record.get_category_display(),
    }


@transaction.atomic
def mark_spot_check_item(*, actor, item, version, verdict, note=""):
    """属实 or 不实 (with a note saying what was found) for one sampled record, by a
    checker of its community who neither wrote nor closed it. A change to or from 不实
    changes what counts: the cycles counting the record recompute. A 不实 with a
    deduction event already reported stays 不实 until that event is withdrawn or
    rejected. The check is finished once no record in it is left to mark."""
    check, item = _locked_item(item, version)
    community = check.community
    if not may_check(actor, community):
        raise PermissionDenied
    _check_cycle_open(check.cycle)
    record = _record(item)
    item.diary_entry, item.grid_event = (
        (record, None) if isinstance(record, DiaryEntry) else (None, record)
    )
    if is_own_record(actor, item):
        raise ValidationError(
            _("%(record)s由您本人记录或办结，不能由您核查，请由其他考核员核查。")
            % {"record": describe(record)}
        )
    if verdict not in (SpotCheckVerdict.CONFIRMED, SpotCheckVerdict.REFUTED):
        raise ValidationError({"verdict": _("请选择“属实”或“不实”。")})
    note = (note or "").strip()
    if verdict == SpotCheckVerdict.REFUTED and not note:
        raise ValidationError({"note": _("标记“不实”须写明核查说明（与实际不符之处）。")})
    was_refuted = item.verdict == SpotCheckVerdict.REFUTED
    if was_refuted and verdict != SpotCheckVerdict.REFUTED and item.deduction_event_id:
        event = item.deduction_event
        if event.status != EventStatus.REJECTED:
            raise ValidationError(
                _(
                    "已为%(record)s报告扣分事项（%(status)s），请先撤回该事项或将其不予认定，"
                    "再改为属实。"
                )
                % {"record": describe(record), "status": event.get_status_display()}
            )
    item.verdict, item.note = verdict, note
    item.checked_by, item.checked_at = actor, timezone.now()
    item.version += 1
    _stamp(item, actor).save()
    if was_refuted != (verdict == SpotCheckVerdict.REFUTED):
        _records_changed(community, *record_dates(record))
    if (
        check.finished_at is None
        and not check.items.filter(verdict=SpotCheckVerdict.PENDING).exists()
    ):
        check.finished_at = timezone.now()
        _stamp(check, actor).save(update_fields=["finished_at"])
    return item


def participant_on(cycle, community, day):
    """The community's participant in the cycle; with several (the post changed hands),
    the one in post on `day`."""
    candidates = Participant.objects.filter(cycle=cycle, community=community).select_related(
        "secretary"
    )
    if candidates.count() <= 1:
        return candidates.first()
    in_post = Q(secretary__tenure_start__lte=day) & (
        Q(secretary__tenure_end__isnull=True) | Q(secretary__tenure_end__gte=day)
    )
    return candidates.filter(in_post).first()


def _event_day(check, record):
    """The record's own date if it lies in the check's period, else its 办结 date (the
    one that brought it into the sample)."""
    day, resolved_on = record_dates(record)
    if check.period_start <= day <= check.period_end or resolved_on is None:
        return day
    return resolved_on


@transaction.atomic
def report_spot_check_deduction(*, actor, item, version):
    """Report the check's deduction type against the participant for a 不实 record of a
    finished check, via `report_event`: the event is 待核实 and counts only once another
    person verifies it (four eyes). One event per record of a check."""
    check, item = _locked_item(item, version)
    if not may_check(actor, check.community):
        raise PermissionDenied
    record = _record(item)
    if item.verdict != SpotCheckVerdict.REFUTED:
        raise ValidationError(_("只有核查“不实”的记录才能报告扣分事项。"))
    if item.deduction_event_id:
        raise ValidationError(
            _("已为%(record)s报告过扣分事项，不能重复报告。") % {"record": describe(record)}
        )
    if check.finished_at is None:
        left = check.items.filter(verdict=SpotCheckVerdict.PENDING).count()
        raise ValidationError(
            _(
                "本次核查还有 %(n)d 条记录未核查。全部核查完成后才能报告扣分事项："
                "核查结果出来之前，被核查的社区不应得知正在核查。"
            )
            % {"n": left}
        )
    if check.deduction_type is None:
        raise ValidationError(
            _("本次核查没有设置“不实记录计入事项类型”，不能报告扣分事项；可以在事项页面直接报告。")
        )
    day = _event_day(check, record)
    participant = participant_on(check.cycle, check.community, day)
    if participant is None:
        raise ValidationError(
            _("%(community)s在本周期没有参评书记，不能报告扣分事项。")
            % {"community": check.community.name}
        )
    event = report_event(
        actor=actor,
        participant=participant,
        event_type=check.deduction_type,
        occurred_on=day,
        description=_("记录核查发现不实：%(record)s，%(community)s。核查说明：%(note)s")
        % {"record": describe(record), "community": check.community.name, "note": item.note},
    )
    item.deduction_event = event
    item.version += 1
    _stamp(item, actor).save()
    return event
