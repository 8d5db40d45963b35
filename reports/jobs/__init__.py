"""Jobs (SPEC §5, DESIGN §5): the `reports.models.Job` row is the one record of slow
work, Celery only carries its id.

- `running` — starting a job, running it (idempotent; one live run at a time), its
  progress, how it ends; each kind's work is a `JobKind` registered there.
- `imports` — Excel imports: the upload, its preview and the apply the user confirms.
- `recompute` — results recomputed after every change to a cycle's inputs.
- `sweeper` — the schedule's housekeeping: jobs whose worker vanished are run again or
  failed, stale results recomputed, spent files removed.
"""
