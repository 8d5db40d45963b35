"""What a checked workbook says, as plain data: the importer writes only from this."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from indicators.validation import EventTypeSpec, NodeSpec


@dataclass(frozen=True)
class UnitRow:
    code: str
    name: str
    kind: str
    parent_code: str | None


@dataclass(frozen=True)
class SecretaryRow:
    staff_no: str
    name: str
    community_code: str
    graded: bool


@dataclass(frozen=True)
class EventRow:
    staff_no: str
    type_code: str
    on: date
    description: str
    status: str
    exempt: bool


@dataclass(frozen=True)
class ScoreRow:
    staff_no: str
    leaf_code: str
    source: str
    rater: str
    value: Decimal
    note: str


@dataclass(frozen=True)
class TallyRow:
    community_code: str
    category: str
    counts: tuple[int, int, int, int]  # 满意, 基本满意, 不满意, 不了解


@dataclass
class Plan:
    """Only what the file describes: a sheet left out of a partial import stays None."""

    settings: dict | None = None  # Cycle field → value (name, year and SPEC §3 settings)
    units: list[UnitRow] | None = None
    county_code: str | None = None
    secretaries: list[SecretaryRow] | None = None
    nodes: list[NodeSpec] | None = None
    event_types: list[EventTypeSpec] | None = None
    categories: list[tuple[str, Decimal]] | None = None
    events: list[EventRow] | None = None
    metrics: list[tuple[str, str, Decimal]] | None = None  # community, 数据项, value
    scores: list[ScoreRow] | None = None
    tallies: list[TallyRow] | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass
class Context:
    """What the data sheets are checked against: the cycle as the file describes it
    (a whole import) or as the database holds it (a partial import)."""

    staff: dict  # staff no. → community code, the cycle's participants
    leaves: dict  # leaf code → NodeSpec
    parents: set  # codes of nodes with children
    event_types: set
    categories: set
    metric_keys: set
    # (header, code) the file gives in a row refused for a fault of its own, such as
    # ("工号", "S009"): other sheets do not report the code again as unknown.
    refused: frozenset = frozenset()
    # 数据项 counted from the records kept in the product (never taken from a file).
    counted_keys: frozenset = frozenset()
    # 数据项 whose unit is % (values 0–100).
    percent_keys: frozenset = frozenset()
