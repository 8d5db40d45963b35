"""Pages of the records area: 民情直报 (`records`), the metric grid of a cycle (`metrics`)
and record checks (`spotchecks`)."""

from evidence.records.views.metrics import MetricCellView, MetricGridView, MetricImportView
from evidence.records.views.records import (
    DiaryFormView,
    DiaryListView,
    GridEventCreateView,
    GridEventDetailView,
    GridEventListView,
    GridEventMoveView,
    RecordsHomeView,
)
from evidence.records.views.spotchecks import (
    SpotCheckDeductionView,
    SpotCheckDetailView,
    SpotCheckDrawView,
    SpotCheckListView,
    SpotCheckMarkView,
)

__all__ = [
    "DiaryFormView",
    "DiaryListView",
    "GridEventCreateView",
    "GridEventDetailView",
    "GridEventListView",
    "GridEventMoveView",
    "MetricCellView",
    "MetricGridView",
    "MetricImportView",
    "RecordsHomeView",
    "SpotCheckDeductionView",
    "SpotCheckDetailView",
    "SpotCheckDrawView",
    "SpotCheckListView",
    "SpotCheckMarkView",
]
