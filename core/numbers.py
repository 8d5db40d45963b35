"""Numbers as people write them."""

from decimal import ROUND_HALF_UP, Decimal


def plain_number(value):
    """A Decimal as people write it: 10, 2.5 (no trailing zeros, no exponent)."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def money(value):
    """An amount of money as people read it: 66,000.00 元 (two decimals, thousands
    separated, rounded half up); "" for None."""
    if value is None or value == "":
        return ""
    amount = Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{amount:,.2f} 元"
