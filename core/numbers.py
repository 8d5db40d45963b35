"""Numbers as people write them."""


def plain_number(value):
    """A Decimal as people write it: 10, 2.5 (no trailing zeros, no exponent)."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text
