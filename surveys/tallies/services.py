"""Survey settings and paper counts (民主评议, SPEC §2, §3.4; issue 6).

Settings: per cycle, county managers set K (a category's results and comments are shown
only from K counted ballots), whether paper counts are keyed twice (双人录入), and the
weights of the respondent categories of the cycle's frozen template.

Paper counts (`PaperTally`): one keying per person, community and category. With double
entry on, the counts count only once two different people keyed them and every keying
agrees exactly; a third person may not key; each person corrects their own keying (by
version). With double entry off, the latest keying counts. `tally_state` says which.

Results change only when what counts changes: a keying that leaves the counted counts as
they were (the first of two, a mismatch kept a mismatch) does not call
`mark_inputs_changed`, so it costs no recompute; every other one does, in the same
transaction. The cycle row is locked while keying, so two people cannot both become the
second keyer.
"""

import unicodedata
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assessment.models import Cycle, CycleStatus
from assessment.services import mark_inputs_changed, may_manage
from core.versioning import StaleVersion
from indicators.models import SurveyCategory
from org.scope import Role, scope_of
from surveys.models import PaperTally, SurveySettings

COUNT_FIELDS = ("satisfied", "basic", "unsatisfied", "unknown")
COUNT_LABELS = {
    "satisfied": gettext_lazy("满意"),
    "basic": gettext_lazy("基本满意"),
    "unsatisfied": gettext_lazy("不满意"),
    "unknown": gettext_lazy("不了解"),
}
# More paper ballots than this for one community and category is a typing slip.
MAX_COUNT = 100_000
KEYING_STATUSES = frozenset({CycleStatus.OPEN, CycleStatus.SCORING})
KEYER_ROLES = frozenset({Role.ADMIN, Role.COUNTY_ASSESSOR, Role.TOWN_ASSESSOR})


class TallyStatus(models.TextChoices):
    MISSING = "missing", gettext_lazy("未录入")
    PENDING = "pending", gettext_lazy("待复核")
    AGREED = "agreed", gettext_lazy("一致")
    CONFLICT = "conflict", gettext_lazy("不一致")
    SINGLE = "single", gettext_lazy("已录入")


def tally_state(keyings, double_entry):
    """(status, counted counts or None) of one community and category.

    `keyings`: (keyed_by id, (satisfied, basic, unsatisfied, unknown), updated_at) per
    person. Double entry: two or more people who all agree → counted; one → 待复核;
    any difference → 不一致, nothing counted. Single entry: the latest keying counts."""
    if not keyings:
        return TallyStatus.MISSING, None
    if not double_entry:
        return TallyStatus.SINGLE, max(keyings, key=lambda k: k[2])[1]
    if len(keyings) == 1:
        return TallyStatus.PENDING, None
    if len({counts for _keyer, counts, _at in keyings}) == 1:
        return TallyStatus.AGREED, keyings[0][1]
    return TallyStatus.CONFLICT, None


# -------------------------------------------------------------------------- settings


def settings_of(cycle):
    """The cycle's survey settings; the defaults (K = 5, double entry) until first saved."""
    return SurveySettings.objects.filter(cycle=cycle).first() or SurveySettings(cycle=cycle)


def _check_writable(cycle):
    if cycle.is_locked:
        raise ValidationError(
            _("考核周期“%(name)s”%(status)s，不能再修改；如需更正请走复核程序。")
            % {"name": cycle.name, "status": cycle.get_status_display()}
        )
    if cycle.frozen_template_id is None:
        raise ValidationError(_("考核周期尚未开始，测评类别随开始考核时的指标体系确定。"))


def _locked_cycle(cycle):
    return Cycle.objects.select_for_update(of=("self",)).select_related("county").get(pk=cycle.pk)


def _weight(category, raw):
    try:
        value = Decimal(unicodedata.normalize("NFKC", str(raw)).strip())
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise ValidationError(
            {"weights": _("类别“%(name)s”的权重应为数字。") % {"name": category.name}}
        )
    if value < 0:
        raise ValidationError(
            {"weights": _("类别“%(name)s”的权重不能为负数。") % {"name": category.name}}
        )
    if value != value.quantize(Decimal("0.01")) or value >= 100_000:
        raise ValidationError(
            {
                "weights": _("类别“%(name)s”的权重最多两位小数、小于 100000。")
                % {"name": category.name}
            }
        )
    return value


@transaction.atomic
def update_settings(*, actor, cycle, version, min_group_size=None, double_entry=None, weights=None):
    """County managers change K, double entry, and the category weights of the cycle's
    frozen template (`weights`: category pk → weight; ≥ 0, at least one > 0; SPEC §3.4).
    Weights and double entry change what counts, so results go stale; K only changes
    what is shown."""
    cycle = _locked_cycle(cycle)
    if not may_manage(actor, cycle):
        raise PermissionDenied
    _check_writable(cycle)
    settings, _created = SurveySettings.objects.select_for_update().get_or_create(cycle=cycle)
    if version is None:
        raise ValidationError(_("缺少版本号，无法确认您修改的是最新内容，请刷新后重试。"))
    if settings.version != version:
        raise StaleVersion(settings)
    if min_group_size is not None:
        text = unicodedata.normalize("NFKC", str(min_group_size)).strip()
        if not text.isdigit() or not 1 <= int(text) <= 1000:
            raise ValidationError(
                {"min_group_size": _("结果显示最少票数应为 1 到 1000 之间的整数。")}
            )
        min_group_size = int(text)
        if min_group_size != settings.min_group_size and cycle.status not in (
            CycleStatus.DRAFT,
            CycleStatus.OPEN,
            CycleStatus.SCORING,
        ):
            # From 公示 on, secretaries see their results: a higher K would make a
            # community's sample small while its rate is on show (SPEC §3.4 Validity).
            raise ValidationError(
                {"min_group_size": _("公示开始后不能再修改结果显示最少票数（K）。")}
            )
    categories = {
        c.pk: c
        for c in SurveyCategory.objects.select_for_update().filter(
            template_id=cycle.frozen_template_id
        )
    }
    weights = weights or {}
    unknown = set(weights) - set(categories)
    if unknown:
        raise ValidationError({"weights": _("所选测评类别不属于本考核周期。")})
    new_weights = {pk: _weight(categories[pk], raw) for pk, raw in weights.items()}
    final = {pk: new_weights.get(pk, c.weight) for pk, c in categories.items()}
    if categories and not any(w > 0 for w in final.values()):
        raise ValidationError({"weights": _("至少一个测评类别的权重应大于 0。")})
    changed = [c for pk, c in categories.items() if c.weight != final[pk]]
    for category in changed:
        category.weight = final[category.pk]
        category.version += 1
        category._history_user = actor
        category.save()
    inputs_changed = bool(changed)
    if double_entry is not None and bool(double_entry) != settings.double_entry:
        settings.double_entry = bool(double_entry)
        inputs_changed = True
    if min_group_size is not None:
        settings.min_group_size = min_group_size
    settings.version += 1
    settings._history_user = actor
    settings.save()
    if inputs_changed:
        mark_inputs_changed(cycle)
    return settings


# ---------------------------------------------------------------------- paper counts


def may_key(user, community):
    """County admins/assessors, and town assessors for their own town's communities."""
    return scope_of(user).covers_path(community.path, KEYER_ROLES)


def checked_counts(raw):
    """The four counts as integers ≥ 0, or ValidationError naming each bad field."""
    counts, errors = {}, {}
    for field in COUNT_FIELDS:
        label = COUNT_LABELS[field]
        text = unicodedata.normalize("NFKC", str(raw.get(field, ""))).strip()
        if text == "" or raw.get(field) is None:
            errors[field] = _("请填写“%(label)s”票数（没有请填 0）。") % {"label": label}
        elif not text.isdigit():
            errors[field] = _("“%(label)s”票数应为不小于 0 的整数。") % {"label": label}
        elif int(text) > MAX_COUNT:
            errors[field] = _("“%(label)s”票数不能超过 %(max)d。") % {
                "label": label,
                "max": MAX_COUNT,
            }
        else:
            counts[field] = int(text)
    if errors:
        raise ValidationError(errors)
    return counts


def _group_label(community, category):
    return _("%(community)s“%(category)s”纸质票") % {
        "community": community.name,
        "category": category.name,
    }


def _check_keying(actor, cycle, community, category):
    _check_writable(cycle)
    if not may_key(actor, community) or not community.path.startswith(cycle.county.path):
        raise PermissionDenied
    if cycle.status not in KEYING_STATUSES:
        raise ValidationError(
            _("当前状态为“%(status)s”，不能再录入纸质票计数。")
            % {"status": cycle.get_status_display()}
        )
    if not cycle.participants.filter(community=community).exists():
        raise ValidationError(
            {"community": _("社区“%(name)s”没有参加本周期考核。") % {"name": community.name}}
        )
    if category.template_id != cycle.frozen_template_id:
        raise ValidationError({"category": _("所选测评类别不属于本考核周期。")})


def _keyings(group):
    return [(t.keyed_by_id, t.counts, t.updated_at) for t in group]


@transaction.atomic
def key_tally(*, actor, cycle, community, category, counts, version=None):
    """Key (or correct) the actor's own paper counts of one community and category.

    Correcting needs the version of the actor's keying; a third person is refused while
    double entry is on and two others have keyed (SPEC §2 双人录入)."""
    cycle = _locked_cycle(cycle)
    _check_keying(actor, cycle, community, category)
    counts = checked_counts(counts)
    double_entry = settings_of(cycle).double_entry
    group = list(
        PaperTally.objects.filter(cycle=cycle, community=community, category=category)
        .select_related("keyed_by")
        .order_by("updated_at")
    )
    before = tally_state(_keyings(group), double_entry)[1]
    own = next((t for t in group if t.keyed_by_id == actor.pk), None)
    others = [t for t in group if t.keyed_by_id != actor.pk]
    if own is not None:
        if version is None:
            raise ValidationError(
                _("您已录入过%(group)s，请在本人的原录入上修改。")
                % {"group": _group_label(community, category)}
            )
        if own.version != version:
            raise StaleVersion(own)
        own.version += 1
    else:
        if double_entry and len(others) >= 2:
            raise ValidationError(
                _(
                    "%(group)s已由%(names)s两人录入，不能再录入第三份；"
                    "如需更正，请由录入人修改本人的录入。"
                )
                % {
                    "group": _group_label(community, category),
                    "names": "、".join(str(t.keyed_by) for t in others),
                }
            )
        own = PaperTally(cycle=cycle, community=community, category=category, keyed_by=actor)
        group.append(own)
    for field, value in counts.items():
        setattr(own, field, value)
    own._history_user = actor
    own.save()
    if tally_state(_keyings(group), double_entry)[1] != before:
        mark_inputs_changed(cycle, communities=[community.pk])
    return own


@transaction.atomic
def correct_tally(*, actor, tally, version, counts):
    """The keyer changes their own keying (another person's keying is never changed)."""
    if tally.keyed_by_id != actor.pk:
        raise PermissionDenied
    return key_tally(
        actor=actor,
        cycle=tally.cycle,
        community=tally.community,
        category=tally.category,
        counts=counts,
        version=version,
    )
