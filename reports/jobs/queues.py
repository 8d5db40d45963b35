"""Which Celery queue a job goes to (SPEC §6 scale, docs/performance.md "Scale-out").

`JOB_QUEUES` (setting, from the environment) chooses:

- `""` (the default): every job on Celery's default queue, for one worker machine;
- `"kind"`: a queue per group of kinds — `jobs.recompute`, `jobs.imports`,
  `jobs.reports` (bulletins, pay-band sheets, large exports), `jobs.slips`,
  `jobs.maintenance` (backups) — so slow imports never hold up recomputes and each group
  gets the workers it needs;
- `"kind:N"`: each group split further into N shards by county (`jobs.recompute.3`, a
  hash of the county's id): a county's jobs always go to the same shard, so a
  province's counties are spread over worker machines that each take some shards.

Workers sharing one queue take its jobs as they come (the fairest spread); shards pin
counties to machines.

A worker consumes the queues `job_queues` names (`manage.py job_queues` prints them for
`celery worker -Q`, whole or for one group).
"""

import zlib

from django.conf import settings

from reports.models import JobKind

GROUPS = {
    JobKind.RECOMPUTE: "recompute",
    JobKind.IMPORT_PREVIEW: "imports",
    JobKind.IMPORT_APPLY: "imports",
    JobKind.BULLETIN: "reports",
    JobKind.PAY_BANDS: "reports",
    JobKind.RESULTS_EXPORT: "reports",
    JobKind.BALLOT_SLIPS: "slips",
    JobKind.BACKUP: "maintenance",
}


def layout(value=None):
    """(by kind, shards) of a `JOB_QUEUES` value."""
    value = (settings.JOB_QUEUES if value is None else value).strip()
    if not value:
        return False, 0
    kind, colon, shards = value.partition(":")
    if kind != "kind" or (colon and not (shards.isdigit() and int(shards) >= 1)):
        raise ValueError(f'JOB_QUEUES must be "", "kind" or "kind:N", not {value!r}')
    return True, int(shards or 0)


def queue_for(kind, county_id, value=None):
    """The queue of a job of `kind` for the county (None: Celery's default queue)."""
    by_kind, shards = layout(value)
    if not by_kind:
        return None
    name = f"jobs.{GROUPS[JobKind(kind)]}"
    if shards:
        name = f"{name}.{shard_of(county_id, shards)}"
    return name


def shard_of(county_id, shards):
    """The county's shard: a hash of its id, not the id itself — ids of counties made
    together step evenly (one county's towns and communities come between them), so
    `id mod N` can put every county on the same few shards."""
    return zlib.crc32(str(county_id or 0).encode()) % shards


def job_queues(group=None, value=None):
    """Every queue jobs go to under the layout (of one group if named), for a
    worker's `-Q`; empty under the default layout."""
    by_kind, shards = layout(value)
    if not by_kind:
        return []
    groups = sorted(set(GROUPS.values())) if group is None else [group]
    if not shards:
        return [f"jobs.{g}" for g in groups]
    return [f"jobs.{g}.{n}" for g in groups for n in range(shards)]
