"""Releasing cast ballots (SPEC §3.4: a ballot row can be linked to its token by nothing —
not even the database's own bookkeeping; DESIGN §4).

Casting consumes the token and stores the ballot in one transaction, so that a token
counts exactly once and no acknowledged ballot is ever lost: both rows then carry that
transaction's id (`xmin`), sit in the tables in casting order, and the ballot's row
would name its token to anyone reading the database or a copy of its files. Hence two
tables: casting writes `PooledBallot`; `release_ballots` moves each finished day of the
pool into `Ballot` in one other transaction.

After a release, of a day's ballots of one community and respondent category:
- all carry the release's transaction id, which no token row carries;
- they were inserted in the order of their content (choice, comment), so their physical
  order and positions follow what they say, not when they were cast;
- their keys are new random UUIDs;
- the pool's table has been emptied with `TRUNCATE` (a new, empty file; the old one is
  removed at commit) and the ballots still pooled written back into it: no row or
  dead row of a released ballot, nor its bytes, stays in the pool — whatever other
  transactions are running, which would keep a plain `DELETE`'s dead rows (transaction
  ids included) from any `VACUUM` for as long as they run.
What is left ties a ballot to its community, category and day — which the ballot says
itself — and no further: every token of that group and day is equally likely to be its
own.

A day is released once it is over (`GRACE` after midnight, so no cast still in flight
bears that day), by the hourly job (`surveys.tasks.release_ballots`), and a cycle's whole
pool when it stops taking ballots (开始公示): no later ballot can join that group then.
The release locks the pool for its few milliseconds (casting waits); one that cannot
get the lock within `LOCK_TIMEOUT` (a backup reading the table) is left to the next
hour. Pooled ballots count in results like released ones (`BALLOT_TABLES`): releasing
moves rows, it changes no figure.
"""

import logging
from datetime import timedelta

from django.db import OperationalError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from surveys.ballots.services import ACCEPTING_STATUSES
from surveys.models import Ballot, PooledBallot

logger = logging.getLogger(__name__)

# A cast that began just before midnight has committed well within this.
GRACE = timedelta(minutes=10)
LOCK_TIMEOUT = "2s"
# A ballot's content, in the order released ballots are written (group, day, answer).
FIELDS = ("cycle_id", "community_id", "category_id", "cast_on", "choice", "comment")


def released_before(now=None):
    """The first day whose ballots stay pooled: today, as of `GRACE` ago."""
    return timezone.localdate((now or timezone.now()) - GRACE)


def release_ballots(*, before=None, cycle=None):
    """Move pooled ballots to `Ballot` (see the module): those cast before the day
    `before` (default `released_before()`), or, with `cycle`, all of that cycle's.
    One transaction: a release cut short leaves the pool as it was. Returns how many
    moved."""
    with transaction.atomic():
        _lock_pool()
        pooled = PooledBallot.objects.order_by(*FIELDS)
        if cycle is not None:
            released = Q(cycle=cycle)
        else:
            released = Q(cast_on__lt=before or released_before())
        moving = list(pooled.filter(released).values_list(*FIELDS))
        if not moving:
            return 0
        Ballot.objects.bulk_create(_rows(Ballot, moving))
        if connection.vendor == "postgresql":
            staying = list(pooled.exclude(released).values_list(*FIELDS))
            table = connection.ops.quote_name(PooledBallot._meta.db_table)
            with connection.cursor() as cursor:
                cursor.execute(f"TRUNCATE {table}")
            PooledBallot.objects.bulk_create(_rows(PooledBallot, staying))
        else:
            PooledBallot.objects.filter(released).delete()
    return len(moving)


def _lock_pool():
    """Casting waits while the pool is released; a release that waits longer than
    `LOCK_TIMEOUT` for the lock fails and is tried again the next hour."""
    if connection.vendor != "postgresql":
        return
    table = connection.ops.quote_name(PooledBallot._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
        cursor.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
        cursor.execute("SET LOCAL lock_timeout TO DEFAULT")


def _rows(model, values):
    return [model(**dict(zip(FIELDS, row, strict=True))) for row in values]


def release_closed_cycle(cycle, _name, _actor):
    """Transition listener: a cycle that stops taking ballots releases its whole pool
    (its groups are complete; no later ballot can join them). A pool too busy to lock
    now stays as it is, for the hourly release once the day is over."""
    if cycle.status in ACCEPTING_STATUSES:
        return
    try:
        release_ballots(cycle=cycle)
    except OperationalError:
        logger.warning("Ballot pool busy; cycle %s's ballots go with the next release", cycle.pk)
