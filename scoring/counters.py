"""Counted metrics (数据项, source 按记录统计): numbers per community worked out from the
records the product keeps, fed to `target`/`bands` leaves (SPEC §2 Metric).

Each counter is registered under the metric key a template uses; `counted_metrics` (an
input source of `scoring.inputs`) runs the counters of the counted metric definitions in
the cycle's frozen template, each in one query.
"""

from datetime import date
from decimal import Decimal

from django.db.models import Q

from indicators.models import MetricDefinition
from org.models import CommunityWorker, Secretary
from scoring import engine
from scoring.inputs import InputContribution, register_input_source

COUNTERS = {}


def counter(key):
    """Register `fn(cycle, cutoff) -> {community code: Decimal}` for metric `key`."""

    def register(fn):
        COUNTERS[key] = fn
        return fn

    return register


@counter("cert_rate")
def certified_share(cycle, cutoff):
    """社工持证率 (%): of the community's staff in post during the cycle's year (up to the
    cut-off), the share holding a 社工证 obtained by then. The staff is the community's
    社区工作者 roster; a community with nobody on its roster for that time counts its
    secretaries instead (the only staff the product knew of before the roster)."""
    start, until = date(cycle.year, 1, 1), cutoff or date(cycle.year, 12, 31)
    county = cycle.county.path
    roster = (
        CommunityWorker.objects.filter(community__path__startswith=county)
        .in_post(start, until)
        .values_list("community__code", "has_certificate", "certificate_date")
    )
    secretaries = (
        Secretary.objects.filter(community__path__startswith=county, tenure_start__lte=until)
        .filter(Q(tenure_end__isnull=True) | Q(tenure_end__gte=start))
        .values_list("community__code", "has_social_work_certificate", "certificate_date")
    )
    staffed = _shares(roster, until)
    return {**_shares(secretaries, until), **staffed}


def _shares(rows, until):
    totals, certified = {}, {}
    for community, has_certificate, obtained in rows:
        totals[community] = totals.get(community, 0) + 1
        if has_certificate and (obtained is None or obtained <= until):
            certified[community] = certified.get(community, 0) + 1
    return {
        community: Decimal(certified.get(community, 0) * 100) / Decimal(total)
        for community, total in totals.items()
    }


@register_input_source
def counted_metrics(cycle, cutoff, only=None):
    """Each counter counts the whole county in one query; with `only`, the values of
    its communities are kept."""
    keys = MetricDefinition.objects.filter(
        template_id=cycle.frozen_template_id,
        source=MetricDefinition.Source.COUNTED,
        key__in=list(COUNTERS),
    ).values_list("key", flat=True)
    metrics = []
    for key in keys:
        for community, value in COUNTERS[key](cycle, cutoff).items():
            if only is None or community in only.community_codes:
                metrics.append(engine.Metric(community, key, value))
    return InputContribution(metrics=tuple(metrics))
