"""Key-task status rules on a given day (SPEC §2 重点工作: behind plan → 滞后, overdue →
约谈), at quarter and deadline boundaries. Pure: no database."""

from datetime import date

import pytest

from evidence.keytasks.status import (
    Completion,
    QuarterSpan,
    Status,
    assignment_status,
    completion,
    days_overdue,
    planned_by,
    progress_on,
)

QUARTERS = [
    QuarterSpan(1, date(2026, 1, 1), date(2026, 3, 31)),
    QuarterSpan(2, date(2026, 4, 1), date(2026, 6, 30)),
    QuarterSpan(3, date(2026, 7, 1), date(2026, 9, 30)),
    QuarterSpan(4, date(2026, 10, 1), date(2026, 12, 31)),
]
PLANS = (25, 50, 75, 100)
DEADLINE = date(2026, 11, 30)


def status(on, history=(), completed_on=None, plans=PLANS, deadline=DEADLINE):
    return assignment_status(
        quarters=QUARTERS,
        plans=plans,
        history=list(history),
        completed_on=completed_on,
        deadline=deadline,
        on=on,
    )


def test_nothing_reported_and_nothing_due_yet_is_not_started():
    assert status(date(2026, 2, 1)) == Status.NOT_STARTED


def test_progress_within_the_first_quarter_is_on_plan():
    assert status(date(2026, 2, 1), [(date(2026, 1, 20), 10)]) == Status.ON_PLAN


def test_the_day_a_quarter_ends_is_not_yet_behind():
    assert status(date(2026, 3, 31), [(date(2026, 3, 1), 10)]) == Status.ON_PLAN


def test_the_day_after_a_quarter_ends_short_of_its_plan_is_behind():
    assert status(date(2026, 4, 1), [(date(2026, 3, 1), 10)]) == Status.BEHIND


def test_nothing_reported_by_the_end_of_a_planned_quarter_is_behind():
    assert status(date(2026, 4, 1)) == Status.BEHIND


def test_meeting_the_plan_exactly_is_on_plan():
    assert status(date(2026, 4, 1), [(date(2026, 3, 31), 25)]) == Status.ON_PLAN


def test_a_catch_up_report_after_the_quarter_lifts_behind():
    history = [(date(2026, 3, 1), 10), (date(2026, 4, 15), 30)]
    assert status(date(2026, 4, 14), history) == Status.BEHIND
    assert status(date(2026, 4, 15), history) == Status.ON_PLAN


def test_a_report_dated_after_the_day_does_not_count_for_that_day():
    history = [(date(2026, 5, 1), 60)]
    assert status(date(2026, 4, 30), history) == Status.BEHIND


def test_the_plan_compared_is_the_last_ended_quarters():
    history = [(date(2026, 6, 30), 50)]
    assert status(date(2026, 7, 1), history) == Status.ON_PLAN
    assert status(date(2026, 10, 1), history) == Status.BEHIND


def test_a_zero_plan_quarter_is_never_behind():
    assert status(date(2026, 4, 1), plans=(0, 40, 80, 100)) == Status.NOT_STARTED


def test_the_deadline_day_is_not_overdue():
    assert status(DEADLINE, [(date(2026, 10, 1), 80)]) == Status.ON_PLAN


def test_the_day_after_the_deadline_unfinished_is_overdue():
    assert status(date(2026, 12, 1), [(date(2026, 10, 1), 80)]) == Status.OVERDUE


def test_overdue_outranks_behind():
    assert status(date(2026, 12, 1)) == Status.OVERDUE


def test_completed_is_done_from_the_day_of_completion():
    history = [(date(2026, 5, 10), 100)]
    assert status(date(2026, 5, 9), history, completed_on=date(2026, 5, 10)) == Status.BEHIND
    assert status(date(2026, 5, 10), history, completed_on=date(2026, 5, 10)) == Status.DONE


def test_completed_late_is_done_after_completion_and_overdue_before():
    history = [(date(2026, 12, 10), 100)]
    done = date(2026, 12, 10)
    assert status(date(2026, 12, 9), history, completed_on=done) == Status.OVERDUE
    assert status(date(2026, 12, 10), history, completed_on=done) == Status.DONE


@pytest.mark.parametrize(
    ("completed_on", "expected"),
    [
        (None, None),
        (date(2026, 11, 29), Completion.ON_TIME),
        (DEADLINE, Completion.ON_TIME),
        (date(2026, 12, 1), Completion.LATE),
    ],
)
def test_completion_on_the_deadline_is_on_time_and_after_it_late(completed_on, expected):
    assert completion(completed_on, DEADLINE) == expected


def test_days_overdue_counts_from_the_day_after_the_deadline():
    assert days_overdue(DEADLINE, DEADLINE) == 0
    assert days_overdue(DEADLINE, date(2026, 12, 1)) == 1
    assert days_overdue(DEADLINE, date(2026, 12, 31)) == 31


def test_progress_on_a_day_is_the_latest_cumulative_figure_reported_by_then():
    history = [(date(2026, 5, 1), 40), (date(2026, 2, 1), 10)]
    assert progress_on(history, date(2026, 1, 31)) == 0
    assert progress_on(history, date(2026, 2, 1)) == 10
    assert progress_on(history, date(2026, 6, 1)) == 40


def test_no_quarter_ended_means_no_plan_due():
    assert planned_by(QUARTERS, PLANS, date(2026, 3, 31)) is None
    assert planned_by(QUARTERS, PLANS, date(2026, 4, 1)) == 25


def test_quarters_of_uneven_dates_are_honoured():
    shifted = [
        QuarterSpan(1, date(2026, 1, 1), date(2026, 3, 25)),
        *QUARTERS[1:],
    ]
    on = date(2026, 3, 26)
    assert planned_by(shifted, PLANS, on) == 25
    assert planned_by(QUARTERS, PLANS, on) is None
