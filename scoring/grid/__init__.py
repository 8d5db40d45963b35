"""The assessors' score grid (评分表, issue 5): participants × the leaves of one dimension,
for one source of the 三评 (SPEC §3.2: 目标量评 or 组织考评), with completeness counters,
each rater's own values and the hints around them (self-evaluation, other raters,
computed values of automatic leaves).

`load_grid` reads everything one page shows in a fixed number of queries, however many
participants there are (DESIGN §7; pinned in tests/scoring/test_grid.py). The rules stay
in `scoring.services`: this package reads, parses what a cell posts, and says why a grid
is read-only.

Completeness (issue 5): a cell counts once it has a value. A rater of the source sees
their own progress — every rater scores every participant and the engine averages them
(SPEC §3.2); someone who does not enter the source sees whether anyone has. Only
`rating` leaves count: automatic leaves are computed (目标) or optionally overridden
(组织), so they are never missing.

The package has three modules: `status` (who may enter a source, and why the grid is
read-only), `cells` (a column and a cell: what they show, and reading what a cell posts)
and `loading` (`load_grid`: one page of rows and its counters). The public names are
re-exported here, so callers keep `from scoring import grid` and `grid.load_grid`.
"""

from scoring.grid.cells import (
    COMPUTED,
    LEVEL,
    NUMBER,
    OVERRIDE,
    Cell,
    Column,
    current_note,
    has_own_entry,
    level_text,
    parse_level,
    parse_value,
    plain,
    shown_value,
)
from scoring.grid.loading import (
    GRID_SOURCES,
    ROWS_PER_PAGE,
    DimensionTab,
    Grid,
    Progress,
    Row,
    grid_towns,
    load_grid,
)
from scoring.grid.status import (
    ENTERING_ROLES,
    EntryStatus,
    default_source,
    entry_status,
)

__all__ = [
    "COMPUTED",
    "Cell",
    "Column",
    "DimensionTab",
    "ENTERING_ROLES",
    "EntryStatus",
    "GRID_SOURCES",
    "Grid",
    "LEVEL",
    "NUMBER",
    "OVERRIDE",
    "Progress",
    "ROWS_PER_PAGE",
    "Row",
    "current_note",
    "default_source",
    "entry_status",
    "grid_towns",
    "has_own_entry",
    "level_text",
    "load_grid",
    "parse_level",
    "parse_value",
    "plain",
    "shown_value",
]
