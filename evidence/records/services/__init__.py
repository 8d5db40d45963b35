"""Writes of the records area (issue 6): metric values (`metrics`), 民情日记 and 网格事件
(`records`), record checks (`spotchecks`). Metric values feed `target`/`bands` leaves
directly; records feed them through the counted metrics of `evidence.records.counters`,
less the records a check found 不实. Either way the write tells the cycles whose
results it changes (`mark_inputs_changed`) in the same transaction."""

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
from evidence.records.services.spotchecks import (
    DEFAULT_SAMPLE,
    SampleRule,
    check_deduction_type,
    describe,
    draw_sample,
    draw_spot_check,
    mark_spot_check_item,
    report_spot_check_deduction,
    sample_size,
)

__all__ = [
    "DEFAULT_SAMPLE",
    "GRID_EVENT_ACTIONS",
    "GRID_EVENT_MOVES",
    "SampleRule",
    "check_deduction_type",
    "clear_metric_value",
    "cycles_counting",
    "describe",
    "draw_sample",
    "draw_spot_check",
    "entry_definition",
    "grid_event_actions",
    "import_metric_values",
    "mark_spot_check_item",
    "move_grid_event",
    "record_diary_entry",
    "report_grid_event",
    "report_spot_check_deduction",
    "sample_size",
    "set_metric_value",
    "update_diary_entry",
]
