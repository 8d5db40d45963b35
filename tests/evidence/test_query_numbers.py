"""A page's filter reads a number from the address only when it is one: "²" passes
`str.isdigit()` but is no number `int()` reads, and answered 500 (DESIGN §4: bad input
gets a clear answer, never an error page)."""

import pytest

from evidence.keytasks.selectors import AssignmentFilter
from evidence.rectification.selectors import ItemFilter


@pytest.mark.parametrize("typed", ["²", "x", "", "1.5"])
def test_a_unit_or_town_that_is_no_number_filters_nothing(typed):
    assert ItemFilter.from_query({"unit": typed}).unit is None
    assert AssignmentFilter.from_query({"town": typed}).town is None


def test_a_unit_or_town_given_as_a_number_filters_by_it():
    assert ItemFilter.from_query({"unit": "12"}).unit == 12
    assert AssignmentFilter.from_query({"town": "7"}).town == 7
