"""Cell values as SPEC §4 reads them. Each reader returns the value or raises
`BadCell` with a Chinese message that says what the cell holds and what is expected."""

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from core.numbers import plain_number

DATE_TEXT = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class BadCell(Exception):
    pass


def is_blank(value):
    return value is None or (isinstance(value, str) and not value.strip())


def shown(value):
    """The cell as the user typed it, for messages."""
    if isinstance(value, float | int | Decimal) and not isinstance(value, bool):
        return plain_number(Decimal(str(value)))
    if isinstance(value, datetime | date):
        return value.strftime("%Y-%m-%d")
    return str(value).strip()


def text(value):
    """Text as written; a number cell gives its shortest decimal text ("360400", "5.8")."""
    if is_blank(value):
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    return shown(value)


def number(value):
    """SPEC §4: a number becomes Decimal through its shortest decimal text (5.8 stays
    5.8), never Decimal(float). Text holding a plain number ("5.8") is accepted."""
    if is_blank(value):
        return None
    if isinstance(value, (bool, datetime | date)):
        raise BadCell(_("应为数字，实际是“%(value)s”") % {"value": shown(value)})
    if isinstance(value, int | float | Decimal):
        result = Decimal(str(value))
    else:
        try:
            result = Decimal(str(value).strip().replace(",", ""))
        except InvalidOperation:
            raise BadCell(_("应为数字，实际是文字“%(value)s”") % {"value": shown(value)}) from None
    if not result.is_finite():
        raise BadCell(_("应为数字，实际是“%(value)s”") % {"value": shown(value)})
    return result


def whole(value, minimum=0):
    """A whole number not below `minimum` (counts, years)."""
    result = number(value)
    if result is None:
        return None
    if result != result.to_integral_value() or result < minimum:
        raise BadCell(
            _("应为不小于 %(min)d 的整数，实际是“%(value)s”")
            % {"min": minimum, "value": shown(value)}
        )
    return int(result)


def day(value):
    """A date cell or YYYY-MM-DD text."""
    if is_blank(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raw = shown(value)
    if DATE_TEXT.match(raw):
        try:
            return date.fromisoformat(raw)
        except ValueError:
            pass
    raise BadCell(_("应为日期（如 2026-03-15），实际是“%(value)s”") % {"value": raw})


def choice(value, allowed):
    """One of the allowed words."""
    raw = text(value)
    if raw not in allowed:
        raise BadCell(
            _("“%(value)s”不是可选的值，应为：%(allowed)s")
            % {"value": raw, "allowed": "、".join(allowed)}
        )
    return raw
