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

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from assessment.models import Cycle, CycleStatus, TargetEntry
from assessment.scope import Role, scope_of
from assessment.services import StaleVersion
from indicators.validation import plain_number
from scoring.models import ScoreEntry, Source

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


def bump_inputs(cycle):
    """Mark results stale: one more write to the cycle's scoring inputs (DESIGN §3)."""
    Cycle.objects.filter(pk=cycle.pk).update(inputs_version=F("inputs_version") + 1)


@transaction.atomic
def enter_score(*, actor, participant, leaf, source, value=None, level=None, note="", version=None):
    """Record (or change) the actor's value for one participant, leaf and source.

    Changing an existing entry needs the version read (optimistic locking)."""
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
    if leaf.template_id != cycle.frozen_template_id or leaf.children.exists():
        raise ValidationError(_("只能为本周期指标体系中的末级指标评分。"))
    value = _checked_value(leaf, source, value, level, note)
    entry = (
        ScoreEntry.objects.select_for_update()
        .filter(participant=participant, leaf=leaf, source=source, rater=actor)
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
    bump_inputs(cycle)
    return entry


def _checked_value(leaf, source, value, level, note):
    label = _("指标 %(code)s（%(name)s）") % {"code": leaf.code, "name": leaf.name}
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
