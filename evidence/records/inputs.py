"""Entered and imported metric values as scoring inputs (SPEC §2 Metric, §3.1 target /
bands). Counted metrics come in through `scoring.counters` (see
`evidence.records.counters`)."""

from evidence.models import MetricValue
from scoring import engine
from scoring.inputs import InputContribution, register_input_source


@register_input_source
def metric_values(cycle, cutoff, only=None):
    """One query (with `only`: of its communities). Ordered by save time, so should a
    community ever hold two rows of one key, the engine (which keeps the last) uses the
    latest saved."""
    rows = MetricValue.objects.filter(cycle=cycle)
    if only is not None:
        rows = rows.filter(community_id__in=only.communities)
    rows = rows.order_by("updated_at", "pk").values_list("community__code", "key", "value")
    return InputContribution(
        metrics=tuple(engine.Metric(community, key, value) for community, key, value in rows)
    )
