"""Writes of the records area (issue 6): metric values (`metrics`), 民情日记 and 网格事件
(`records`). Metric values feed `target`/`bands` leaves directly; records feed them
through the counted metrics of `evidence.records.counters`. Either way the write tells
the cycles whose results it changes (`mark_inputs_changed`) in the same transaction."""

from evidence.records.services.metrics import (
    clear_metric_value,
    entry_definition,
    import_metric_values,
    set_metric_value,
)
from evidence.records.services.records import (
    GRID_EVENT_ACTIONS,
    GRID_EVENT_MOVES,
    cycles_counting,
    grid_event_actions,
    move_grid_event,
    record_diary_entry,
    report_grid_event,
    update_diary_entry,
)

__all__ = [
    "GRID_EVENT_ACTIONS",
    "GRID_EVENT_MOVES",
    "clear_metric_value",
    "cycles_counting",
    "entry_definition",
    "grid_event_actions",
    "import_metric_values",
    "move_grid_event",
    "record_diary_entry",
    "report_grid_event",
    "set_metric_value",
    "update_diary_entry",
]
