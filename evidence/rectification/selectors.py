"""Reads of the rectification lists (整改清单): a cycle's items as one user sees them,
their counts per status, and the deduction events still without an item (建议整改)."""

from dataclasses import dataclass

from django.db.models import BooleanField, Case, Count, Q, Value, When
from django.utils import timezone

from core.views import int_or_none
from evidence.models import (
    OPEN_RECTIFICATION_STATUSES,
    Event,
    EventStatus,
    RectificationItem,
    RectificationSource,
    RectificationStatus,
)
from org import audit
from org.models import OrgUnit, OrgUnitKind


@dataclass(frozen=True)
class ItemFilter:
    """The list's filters; blank values do not filter."""

    status: str = ""
    source: str = ""
    unit: int | None = None
    overdue: bool = False
    q: str = ""

    @classmethod
    def from_query(cls, query):
        unit = query.get("unit", "")
        return cls(
            status=query.get("status", "")
            if query.get("status") in RectificationStatus.values
            else "",
            source=query.get("source", "")
            if query.get("source") in RectificationSource.values
            else "",
            unit=int_or_none(unit),
            overdue=query.get("overdue") in ("1", "true", "on"),
            q=query.get("q", "").strip()[:50],
        )


NO_FILTER = ItemFilter()


def with_overdue(queryset):
    """Annotate `is_overdue`: not closed and past its deadline."""
    return queryset.annotate(
        is_overdue=Case(
            When(
                status__in=OPEN_RECTIFICATION_STATUSES,
                deadline__lt=timezone.localdate(),
                then=Value(True),
            ),
            default=Value(False),
            output_field=BooleanField(),
        )
    )


def is_overdue(item):
    """The same rule as `with_overdue`, for one item in hand."""
    return item.status in OPEN_RECTIFICATION_STATUSES and item.deadline < timezone.localdate()


def cycle_items(user, cycle, item_filter=NO_FILTER):
    """The cycle's items the user reaches (a secretary: their community's), filtered."""
    items = RectificationItem.objects.for_user(user).filter(cycle=cycle)
    if item_filter.status:
        items = items.filter(status=item_filter.status)
    if item_filter.source:
        items = items.filter(source=item_filter.source)
    if item_filter.unit is not None:
        unit = OrgUnit.objects.for_user(user).filter(pk=item_filter.unit).first()
        items = items.filter(community__path__startswith=unit.path) if unit else items.none()
    if item_filter.overdue:
        items = items.filter(
            status__in=OPEN_RECTIFICATION_STATUSES, deadline__lt=timezone.localdate()
        )
    if item_filter.q:
        items = items.filter(
            Q(community__name__icontains=item_filter.q)
            | Q(participant__secretary__name__icontains=item_filter.q)
            | Q(participant__secretary__staff_no__icontains=item_filter.q)
            | Q(problem__icontains=item_filter.q)
        )
    return with_overdue(items).select_related(
        "community", "participant__secretary", "event__event_type", "carried_from__cycle"
    )


def status_counts(user, cycle):
    """{status: n} over the cycle's items the user reaches, plus "overdue"."""
    today = timezone.localdate()
    counts = (
        RectificationItem.objects.for_user(user)
        .filter(cycle=cycle)
        .aggregate(
            **{
                status.value: Count("pk", filter=Q(status=status)) for status in RectificationStatus
            },
            overdue=Count(
                "pk", filter=Q(status__in=OPEN_RECTIFICATION_STATUSES, deadline__lt=today)
            ),
        )
    )
    return counts


def filter_units(user, cycle, selected=None):
    """The unit filter's choices: the towns of the cycle's county the user reaches, and
    the chosen unit when it is a community — never every community of a city (SPEC §6;
    the search box finds a community)."""
    return (
        OrgUnit.objects.for_user(user)
        .filter(path__startswith=cycle.county.path)
        .filter(Q(kind=OrgUnitKind.TOWN) | Q(pk=selected, kind=OrgUnitKind.COMMUNITY))
        .order_by("path")
    )


def suggested_events(user, cycle):
    """建议整改: the cycle's verified, non-exempt events of a deduction (negative points)
    or veto type that the user reaches and that have no rectification item yet."""
    return (
        Event.objects.for_user(user)
        .filter(participant__cycle=cycle, status=EventStatus.VERIFIED, exempt=False)
        .filter(Q(event_type__points__lt=0) | Q(event_type__is_veto=True))
        .filter(rectifications__isnull=True)
        .select_related("event_type", "participant__secretary", "participant__community")
        .order_by("occurred_on", "pk")
    )


def item_history(item):
    """The item's audit trail, newest first, as the audit table shows it."""

    rows = item.history.order_by("-history_date", "-history_id").values_list(
        "history_id", "history_date"
    )
    return audit.hydrate([(hid, at, "evidence.rectificationitem") for hid, at in rows])
