"""Reads for the template editor: the tree as table rows with sums and problems."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count

from indicators.forms import bands_text
from indicators.services import check_template


@dataclass
class Row:
    node: object
    depth: int
    is_leaf: bool
    is_dimension: bool
    child_total: Decimal | None
    bands_text: str
    n_bars: int
    problems: list = field(default_factory=list)

    @property
    def sum_ok(self):
        return self.child_total is None or self.child_total == self.node.points

    @property
    def in_range(self):
        node = self.node
        if node.range_min is None or node.range_max is None:
            return True
        return node.range_min <= node.points <= node.range_max


@dataclass
class EditorState:
    rows: list
    report: object
    total: Decimal

    @property
    def total_ok(self):
        return self.total == Decimal(100)


def editor_state(template):
    """Rows in reading order with each parent's child total and each node's problems.

    Queries: nodes (with anchor counts), then the validation's own (anchors, metrics,
    event types)."""
    nodes = list(template.nodes.annotate(n_bars=Count("bars_levels")).order_by("sort_key"))
    report = check_template(template)
    children = {}
    for node in nodes:
        children.setdefault(node.parent_id, []).append(node)
    rows = []
    for node in nodes:
        kids = children.get(node.pk, [])
        rows.append(
            Row(
                node=node,
                depth=node.sort_key.count("."),
                is_leaf=not kids,
                is_dimension=node.parent_id is None,
                child_total=sum((k.points for k in kids), Decimal(0)) if kids else None,
                bands_text=bands_text(node.bands),
                n_bars=node.n_bars,
                problems=[p.message for p in report.for_subject(node.code)],
            )
        )
    total = sum((n.points for n in children.get(None, [])), Decimal(0))
    return EditorState(rows=rows, report=report, total=total)
