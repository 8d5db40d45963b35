"""The reports app's records: jobs (the record of slow work), quarterly bulletins and
their 文号 counters, pay-band sheets."""

from reports.models.bulletins import (
    Bulletin,
    BulletinState,
    DocumentCounter,
)
from reports.models.jobs import (
    FINISHED_STATES,
    IMPORT_KINDS,
    Job,
    JobKind,
    JobQuerySet,
    JobState,
    upload_path,
)

__all__ = [
    "FINISHED_STATES",
    "IMPORT_KINDS",
    "Bulletin",
    "BulletinState",
    "DocumentCounter",
    "Job",
    "JobKind",
    "JobQuerySet",
    "JobState",
    "upload_path",
]
