"""What every result page shares: the labels of the 档次 (`TIERS`), how stored numbers
read (`number`, `percent`), the cycle's grade order and tier coefficients, engine warnings
and veto reasons as the pages show them (`decorate`), and `visible_results`, the one
starting point of every read (`Result.objects.for_user`).
"""

from collections import defaultdict
from decimal import Decimal

from indicators.models import EventType
from scoring import engine
from scoring.models import Result

TIERS = engine.TierLabels()


def number(value):
    """A Decimal with at least two decimals and every further digit it has: 8.52, 42.125.
    Products of weights are shown exactly, so a reader's sum matches the page."""
    if value is None:
        return ""
    text = format(Decimal(value).normalize(), "f")
    whole, _dot, fraction = text.partition(".")
    return f"{whole}.{fraction.ljust(2, '0')}"


def percent(value):
    """A share in percent as written in settings: 20, 12.5."""
    text = format(Decimal(value).normalize(), "f")
    return f"{text}%"


def split_warning(text):
    """An engine warning "kind: detail" as (kind, detail)."""
    kind, _colon, detail = str(text).partition(":")
    return kind.strip(), detail.strip()


def grade_order(cycle):
    """The cycle's grade labels best first, 不定等次 last."""
    return [*cycle.grade_labels, engine.GradeLabels().ungraded]


def tier_coefficients(cycle):
    return {
        TIERS.top: cycle.coefficient_top,
        TIERS.middle: cycle.coefficient_middle,
        TIERS.bottom: cycle.coefficient_bottom,
    }


def event_type_names(cycle):
    if cycle.frozen_template_id is None:
        return {}
    return dict(
        EventType.objects.filter(template_id=cycle.frozen_template_id).values_list("code", "name")
    )


def describe_vetoes(reasons, names):
    """Stored veto reasons [{type, on, text}] as readable lines."""
    lines = []
    for reason in reasons:
        name = names.get(reason.get("type"), reason.get("type", ""))
        parts = [name]
        if reason.get("on"):
            parts.append(f"（{reason['on']}）")
        if reason.get("text"):
            parts.append(f"：{reason['text']}")
        lines.append("".join(parts))
    return lines


def decorate(row, names):
    """What the pages show beside a result row: warning badges, veto lines."""
    badges = defaultdict(list)
    for text in row.warnings:
        kind, detail = split_warning(text)
        if detail:
            badges[kind].append(detail)
        else:
            badges.setdefault(kind, [])
    row.warning_badges = [(kind, "；".join(details)) for kind, details in badges.items()]
    row.veto_lines = describe_vetoes(row.veto_reasons, names)
    row.coefficient_text = number(row.coefficient)
    return row


def visible_results(user, version):
    return Result.objects.for_user(user).filter(version=version)
