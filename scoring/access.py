"""What one user may do with one cycle's scoring (SPEC §1 × the cycle's settings).

Pages use `cycle_access(user, cycle)` to decide which links and controls to show; the
services check the same rules again (`scoring.services.may_enter` and friends).
"""

from dataclasses import dataclass

from assessment.models import CycleStatus, Participant, TargetEntry
from assessment.services import may_manage
from org.scope import Role, scope_of
from scoring.models import VISIBLE_TO_SECRETARY

STAFF_ROLES = (Role.ADMIN, Role.COUNTY_ASSESSOR, Role.TOWN_ASSESSOR, Role.OBSERVER)
# The whole county's results (the quota preview, the results workbook): its admins,
# assessors and county-level observers. Town staff and secretaries see only their rows.
COUNTY_STAFF = (Role.ADMIN, Role.COUNTY_ASSESSOR, Role.OBSERVER)


def reads_whole_county(user, cycle):
    return scope_of(user).covers_path(cycle.county.path, COUNTY_STAFF)


@dataclass(frozen=True)
class CycleAccess:
    cycle: object
    # The user's own participation in this cycle (as a secretary), if any.
    own_participant: Participant | None
    # County admin/assessor: settings, 组织考评, grade overrides, appeals, publication.
    manages: bool
    # May enter 目标量评 for some participants (county assessors, or town assessors when
    # the cycle lets towns enter them).
    enters_target: bool
    # Sees other participants' scores and results (staff over their scope).
    sees_others: bool

    @property
    def enters_org(self):
        return self.manages

    @property
    def uses_grid(self):
        return self.enters_target or self.enters_org or self.sees_others

    @property
    def sees_own_results(self):
        return self.own_participant is not None and self.cycle.status in VISIBLE_TO_SECRETARY

    @property
    def self_evaluates(self):
        return self.own_participant is not None and self.cycle.status != CycleStatus.DRAFT


def cycle_access(user, cycle):
    scope = scope_of(user)
    own = (
        Participant.objects.filter(cycle=cycle, secretary__user=user)
        .select_related("secretary", "community")
        .first()
    )
    county_path = cycle.county.path
    if cycle.target_entry == TargetEntry.TOWN:
        enters_target = scope.has_role(Role.TOWN_ASSESSOR) and any(
            p.startswith(county_path) for p in scope.paths({Role.TOWN_ASSESSOR})
        )
    else:
        enters_target = scope.covers_path(county_path, {Role.COUNTY_ASSESSOR})
    sees_others = scope.is_global or any(
        p.startswith(county_path) or county_path.startswith(p) for p in scope.paths(STAFF_ROLES)
    )
    return CycleAccess(
        cycle=cycle,
        own_participant=own,
        manages=may_manage(user, cycle),
        enters_target=enters_target,
        sees_others=sees_others,
    )
