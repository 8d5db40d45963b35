"""待办 (DESIGN §2): the home page's list of what each person has to do next.

The home page (the org app) asks `todos(user)`; each higher app registers in its
`AppConfig.ready` a source that returns the user's lines from its own records — the
scoring app: self-evaluations, missing scores, appeals; evidence: events 待核实, filings
待审批, key tasks behind; surveys: paper counts not agreeing; reports: jobs. Core knows
nothing of them.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Todo:
    """One line of the card: what, how many (None: a state, not a count), where to go,
    and a word more (a return reason, a date). `tone` colours the count ("danger" for
    something late or refused); `big`: also a big button on a phone."""

    label: str
    url: str
    count: int | None = None
    detail: str = ""
    tone: str = "primary"
    big: bool = False


_SOURCES = []


def register_todo_source(source, order=100):
    """`source(user) -> [Todo]`; lines are shown in the sources' order."""
    if all(existing is not source for _order, existing in _SOURCES):
        _SOURCES.append((order, source))
        _SOURCES.sort(key=lambda item: item[0])
    return source


def todos(user):
    return [line for _order, source in _SOURCES for line in source(user)]
