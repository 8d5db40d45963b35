"""Models of scoring: score entries, self-evaluations, critical incidents, grade
overrides and result versions (scores.py); appeals and their score corrections
(appeals.py)."""

from scoring.models.appeals import OPEN_APPEAL_STATUSES, Appeal, AppealChange, AppealStatus
from scoring.models.scores import (
    VISIBLE_TO_SECRETARY,
    CriticalIncident,
    GradeOverride,
    LeafResult,
    Result,
    ResultSheet,
    ResultVersion,
    ScoreEntry,
    SelfEvaluation,
    SelfEvaluationStatus,
    Source,
)

__all__ = [
    "OPEN_APPEAL_STATUSES",
    "VISIBLE_TO_SECRETARY",
    "Appeal",
    "AppealChange",
    "AppealStatus",
    "CriticalIncident",
    "GradeOverride",
    "LeafResult",
    "Result",
    "ResultSheet",
    "ResultVersion",
    "ScoreEntry",
    "SelfEvaluation",
    "SelfEvaluationStatus",
    "Source",
]
