"""Who reads which bulletin, and in which reading (SPEC §2 Bulletin):

- the county's admins, county assessors and county-level observers: every version,
  drafts included (`reads_drafts`);
- every staff member within the county (town assessors and observers too): issued ones,
  in full;
- the cycle's secretaries: issued ones, in their reading (`content.for_secretary`: the
  county's figures and the ranking, of the remarks about communities only their own);
- anyone else: nothing (404).
"""

from assessment.models import Participant
from org.scope import Role, scope_of
from reports.bulletins import content
from reports.models import Bulletin, BulletinState

DRAFT_READERS = frozenset({Role.ADMIN, Role.COUNTY_ASSESSOR, Role.OBSERVER})
STAFF = frozenset({Role.ADMIN, Role.COUNTY_ASSESSOR, Role.TOWN_ASSESSOR, Role.OBSERVER})


def reads_drafts(user, cycle):
    return scope_of(user).covers_path(cycle.county.path, DRAFT_READERS)


def _staff_within(user, cycle):
    scope = scope_of(user)
    county = cycle.county.path
    return scope.is_global or any(
        path.startswith(county) or county.startswith(path) for path in scope.paths(STAFF)
    )


def own_participation(user, cycle):
    return (
        Participant.objects.filter(cycle=cycle, secretary__user=user)
        .select_related("community")
        .first()
    )


def may_open_list(user, cycle):
    """The cycle's list of bulletins: its staff and its secretaries (404 for others)."""
    return (
        reads_drafts(user, cycle)
        or _staff_within(user, cycle)
        or own_participation(user, cycle) is not None
    )


def visible_bulletins(user, cycle):
    """The cycle's versions the user may open, newest quarter and version first, without
    their snapshots (a list names them; `reading` opens one)."""
    bulletins = (
        Bulletin.objects.filter(cycle=cycle)
        .select_related("issued_by", "generated_by")
        .defer("content", "requirements")
    )
    if reads_drafts(user, cycle):
        return bulletins
    if may_open_list(user, cycle):
        return bulletins.filter(state=BulletinState.ISSUED)
    return bulletins.none()


def reading(user, bulletin):
    """The snapshot as this user reads it, or None if they may not."""
    cycle = bulletin.cycle
    if reads_drafts(user, cycle):
        return bulletin.content
    if not bulletin.is_issued:
        return None
    if _staff_within(user, cycle):
        return bulletin.content
    participant = own_participation(user, cycle)
    if participant is not None:
        return content.for_secretary(bulletin.content, participant.community.code)
    return None


def latest_issued(user, cycle):
    """The newest issued bulletin of the cycle the user reads (the dashboard's card)."""
    return visible_bulletins(user, cycle).filter(state=BulletinState.ISSUED).first()
