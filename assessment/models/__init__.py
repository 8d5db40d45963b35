"""Models of the assessment app: the org tree and people (org.py), cycles (cycles.py),
appeals (appeals.py), evidence attachments (evidence.py)."""

from assessment.models.appeals import (
    OPEN_APPEAL_STATUSES,
    Appeal,
    AppealChange,
    AppealStatus,
)
from assessment.models.cycles import (
    LOCKED_STATUSES,
    Cycle,
    CycleStatus,
    CycleTransition,
    Participant,
    Quarter,
    RankingGroup,
    TargetEntry,
)
from assessment.models.evidence import Attachment
from assessment.models.org import (
    ALLOWED_PARENT_KINDS,
    ROLE_UNIT_KINDS,
    AuditedHistory,
    Membership,
    OrgUnit,
    OrgUnitKind,
    Secretary,
    User,
    audit_history,
    common_path,
)

__all__ = [
    "OPEN_APPEAL_STATUSES",
    "Appeal",
    "AppealChange",
    "AppealStatus",
    "Attachment",
    "LOCKED_STATUSES",
    "Cycle",
    "CycleStatus",
    "CycleTransition",
    "Participant",
    "Quarter",
    "RankingGroup",
    "TargetEntry",
    "ALLOWED_PARENT_KINDS",
    "ROLE_UNIT_KINDS",
    "AuditedHistory",
    "Membership",
    "OrgUnit",
    "OrgUnitKind",
    "Secretary",
    "User",
    "audit_history",
    "common_path",
]
