"""Bulk loading with PostgreSQL's COPY: the big tables of the synthetic world (score
entries, events, ballots, …) go in as text, several hundred thousand rows a second,
where building model instances for `bulk_create` would take most of the run."""

import io
import json
from datetime import date, datetime

from django.db import connection

CHUNK = 100_000
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def text(value):
    """One value in COPY's text format."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return value.translate(_ESCAPES)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False).translate(_ESCAPES)
    return str(value)


def copy_lines(model, fields, lines):
    """COPY preformatted lines (tab-separated, newline-terminated) into `model`'s table,
    `fields` naming its columns in order. Returns how many rows went in."""
    columns = ", ".join(model._meta.get_field(name).column for name in fields)
    sql = f"COPY {model._meta.db_table} ({columns}) FROM STDIN"
    total = 0
    buffer, count = io.StringIO(), 0
    with connection.cursor() as cursor:
        for line in lines:
            buffer.write(line)
            count += 1
            if count == CHUNK:
                buffer.seek(0)
                cursor.cursor.copy_expert(sql, buffer)
                total += count
                buffer, count = io.StringIO(), 0
        if count:
            buffer.seek(0)
            cursor.cursor.copy_expert(sql, buffer)
            total += count
    return total


def copy_rows(model, fields, rows):
    """COPY rows of Python values (tuples in the order of `fields`)."""
    return copy_lines(model, fields, ("\t".join(map(text, row)) + "\n" for row in rows))
