"""Models of the assessment app: the org tree and people (org.py), cycles (cycles.py),
appeals (appeals.py), evidence attachments (evidence.py), events and reform-risk filings
(events.py), metric values and records (records.py), key tasks (keytasks.py),
rectification lists (rectification.py)."""

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
from assessment.models.events import (
    Event,
    EventOrigin,
    EventStatus,
    FilingStatus,
    ReformFiling,
)
from assessment.models.evidence import Attachment
from assessment.models.keytasks import KeyTask, KeyTaskAssignment, ProgressReport
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
from assessment.models.records import (
    DiaryCategory,
    DiaryEntry,
    GridEvent,
    GridEventStatus,
    MetricValue,
    MetricValueSource,
)
from assessment.models.rectification import (
    OPEN_RECTIFICATION_STATUSES,
    RectificationItem,
    RectificationSource,
    RectificationStatus,
)

__all__ = [
    "OPEN_APPEAL_STATUSES",
    "Appeal",
    "AppealChange",
    "AppealStatus",
    "Attachment",
    "DiaryCategory",
    "DiaryEntry",
    "Event",
    "EventOrigin",
    "EventStatus",
    "FilingStatus",
    "GridEvent",
    "GridEventStatus",
    "KeyTask",
    "KeyTaskAssignment",
    "MetricValue",
    "MetricValueSource",
    "OPEN_RECTIFICATION_STATUSES",
    "ProgressReport",
    "RectificationItem",
    "RectificationSource",
    "RectificationStatus",
    "ReformFiling",
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
