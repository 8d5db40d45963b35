"""Where a key-task assignment stands on a given day (重点工作 / 挂图作战, SPEC §2).

Pure rules: plain values in, a status out, no ORM, so the board, the 约谈 list, the
quarterly bulletin and the API all read the same answer for the same day.

- 已完成 `done`: progress reached 100 on or before the day.
- 逾期 `overdue`: the day is after the deadline and the task is not done; the community
  goes on the 约谈 list. The deadline day itself is not overdue.
- 滞后 `behind`: the last quarter that has ended before the day (ends_on < day) planned
  more than the progress reported by the day. The day a quarter ends is still inside
  it, so nobody is behind on that day; the next day they are.
  We compare the plan with the latest progress reported up to the day (not frozen at
  the quarter's end): a catch-up report made after the quarter ended lifts 滞后 at
  once, which is what a county watching the board wants to see; a report dated after
  the day does not count for that day.
- 未开始 `not_started`: nothing reported yet and nothing due yet.
- 按计划 `on_plan`: otherwise.
"""

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

COMPLETE = 100


class Status(StrEnum):
    NOT_STARTED = "not_started"
    ON_PLAN = "on_plan"
    BEHIND = "behind"
    OVERDUE = "overdue"
    DONE = "done"


class Completion(StrEnum):
    ON_TIME = "on_time"
    LATE = "late"


@dataclass(frozen=True)
class QuarterSpan:
    number: int
    starts_on: date
    ends_on: date


def progress_on(history, day):
    """The cumulative progress reported on or before `day` (0 before any report).
    `history` holds (reported_on, cumulative percent) pairs in any order."""
    return max((progress for reported_on, progress in history if reported_on <= day), default=0)


def planned_by(quarters, plans, day):
    """The plan (cumulative %) of the last quarter that ended before `day`, or None
    when no quarter has ended yet. `plans` are indexed by quarter number − 1."""
    ended = [q for q in quarters if q.ends_on < day]
    if not ended:
        return None
    last = max(ended, key=lambda q: q.ends_on)
    return plans[last.number - 1]


def is_done(completed_on, day):
    return completed_on is not None and completed_on <= day


def assignment_status(*, quarters, plans, history, completed_on, deadline, on):
    """The status of one assignment on the day `on` (rules in the module docstring)."""
    if is_done(completed_on, on):
        return Status.DONE
    if on > deadline:
        return Status.OVERDUE
    progress = progress_on(history, on)
    planned = planned_by(quarters, plans, on)
    if planned is not None and planned > progress:
        return Status.BEHIND
    if progress == 0:
        return Status.NOT_STARTED
    return Status.ON_PLAN


def completion(completed_on, deadline):
    """按期 (on or before the deadline) or 逾期 completion; None while unfinished."""
    if completed_on is None:
        return None
    return Completion.ON_TIME if completed_on <= deadline else Completion.LATE


def days_overdue(deadline, on):
    """Whole days past the deadline on the day `on` (0 up to the deadline day)."""
    return max(0, (on - deadline).days)
