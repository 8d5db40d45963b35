"""Models of the evidence app: events and reform-risk filings (events.py), metric values,
民情日记, 网格事件 and their spot checks (records.py), key tasks (keytasks.py),
rectification lists (rectification.py) and evidence files (attachments.py)."""

from evidence.models.attachments import Attachment
from evidence.models.events import (
    Event,
    EventOrigin,
    EventStatus,
    FilingOrigin,
    FilingStatus,
    ReformFiling,
)
from evidence.models.keytasks import KeyTask, KeyTaskAssignment, ProgressReport
from evidence.models.records import (
    DiaryCategory,
    DiaryEntry,
    GridEvent,
    GridEventStatus,
    MetricValue,
    MetricValueSource,
    SpotCheck,
    SpotCheckItem,
    SpotCheckKinds,
    SpotCheckVerdict,
)
from evidence.models.rectification import (
    OPEN_RECTIFICATION_STATUSES,
    RectificationItem,
    RectificationSource,
    RectificationStatus,
)

__all__ = [
    "OPEN_RECTIFICATION_STATUSES",
    "Attachment",
    "DiaryCategory",
    "DiaryEntry",
    "Event",
    "EventOrigin",
    "EventStatus",
    "FilingOrigin",
    "FilingStatus",
    "GridEvent",
    "GridEventStatus",
    "KeyTask",
    "KeyTaskAssignment",
    "MetricValue",
    "MetricValueSource",
    "ProgressReport",
    "RectificationItem",
    "RectificationSource",
    "RectificationStatus",
    "ReformFiling",
    "SpotCheck",
    "SpotCheckItem",
    "SpotCheckKinds",
    "SpotCheckVerdict",
]
