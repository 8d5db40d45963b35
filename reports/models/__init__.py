"""The reports app's records: jobs (the record of slow work), quarterly bulletins and
their 文号 counters, the 专项奖励 lines of pay-band sheets."""

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
    output_path,
    upload_path,
)
from reports.models.paybands import (
    PAY_SHEET_READERS,
    RewardKind,
    RewardStatus,
    SpecialReward,
    SpecialRewardQuerySet,
)

__all__ = [
    "FINISHED_STATES",
    "IMPORT_KINDS",
    "PAY_SHEET_READERS",
    "Bulletin",
    "BulletinState",
    "DocumentCounter",
    "Job",
    "JobKind",
    "JobQuerySet",
    "JobState",
    "RewardKind",
    "RewardStatus",
    "SpecialReward",
    "SpecialRewardQuerySet",
    "output_path",
    "upload_path",
]
