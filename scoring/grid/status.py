"""Who may enter a source of the grid, and why it is read-only: `entry_status` (the SPEC §1
roles × the §3.2 entry windows, as the grid shows them; `enter_score` checks them again),
the sentence for a user who does not rate the source, and `default_source`, the source a
user lands on.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from assessment.models import CycleStatus
from org.scope import Role, scope_of
from scoring.access import STAFF_ROLES, cycle_access
from scoring.models import Source
from scoring.services import WINDOWS

ENTERING_ROLES = (Role.ADMIN, Role.COUNTY_ASSESSOR, Role.TOWN_ASSESSOR)


@dataclass(frozen=True)
class EntryStatus:
    """What the user may do with one source of one cycle in the grid."""

    # Enters this source in this cycle: the cells are their own values.
    rater: bool
    # ... and may do so now (window open, cycle not locked).
    editable: bool
    # Why the grid is read-only ("" when editable).
    reason: str
    # Shows the other raters' count and mean (county staff, and whoever only reads).
    show_others: bool


def entry_status(user, cycle, source, access=None):
    """SPEC §1 × §3.2 windows, as the grid shows them; `enter_score` checks them again."""
    access = access or cycle_access(user, cycle)
    rater = access.enters_org if source == Source.ORG else access.enters_target
    scope = scope_of(user)
    show_others = not rater or scope.covers_path(cycle.county.path, STAFF_ROLES)
    if cycle.is_locked:
        reason = _("考核周期“%(name)s”%(status)s，评分表只读；如需更正请走复核程序。") % {
            "name": cycle.name,
            "status": cycle.get_status_display(),
        }
    elif not rater:
        reason = _not_a_rater(scope, cycle, source)
    elif cycle.status not in WINDOWS[source]:
        windows = "、".join(str(s.label) for s in CycleStatus if s in WINDOWS[source])
        reason = _("当前状态为“%(status)s”，%(source)s在“%(windows)s”阶段录入，现在只能查看。") % {
            "status": cycle.get_status_display(),
            "source": Source(source).label,
            "windows": windows,
        }
    else:
        reason = ""
    return EntryStatus(
        rater=rater, editable=rater and not reason, reason=reason, show_others=show_others
    )


def _not_a_rater(scope, cycle, source):
    if not scope.has_role(*ENTERING_ROLES):
        return _("您的角色只能查看评分表，不能录入分数。")
    if source == Source.ORG:
        return _("组织考评由县级考核员和管理员录入，您只能查看。")
    if cycle.target_entry == "town":
        return _("本周期目标量评由镇街考核员录入本镇街书记的分数，您只能查看。")
    return _("本周期目标量评由县级考核员直接评分（提级考核），您只能查看。")


def default_source(cycle, access):
    """The source the user may enter now: 组织考评 while 评分中, else 目标量评."""
    if access.enters_org and cycle.status == CycleStatus.SCORING:
        return Source.ORG
    if access.enters_target and cycle.status in WINDOWS[Source.TARGET]:
        return Source.TARGET
    if access.enters_org and not access.enters_target:
        return Source.ORG
    return Source.TARGET
