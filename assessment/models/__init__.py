"""Models of the assessment app: the org tree and people (org.py), cycles (cycles.py)."""

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
