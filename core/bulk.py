"""Bulk writes (DESIGN §3, SPEC §6): rows go in with PostgreSQL's COPY — a city's result
version is tens of thousands of rows, which Django's INSERT building spends seconds on —
and with `bulk_create` on SQLite (the demo). Rows are plain tuples in a stated column
order; no model instance is built on PostgreSQL, no signal sent, nothing audited: for
derived or freshly made rows only, written inside the caller's transaction."""

import io
import json
from decimal import Decimal

from django.db import connection

BATCH = 5000
quote = connection.ops.quote_name


def reserve_ids(model, count):
    """`count` fresh primary keys for `model`, so rows referring to each other can be
    copied in one go. PostgreSQL: from the table's own sequence; SQLite (writes there
    are serialised): after the highest id."""
    if count == 0:
        return []
    table, pk = model._meta.db_table, model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, pk, count],
            )
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(f'SELECT COALESCE(MAX("{pk}"), 0) FROM "{table}"')
        start = cursor.fetchone()[0] + 1
    return list(range(start, start + count))


def copy_rows(model, columns, rows, line=None):
    """Insert `rows` (tuples of values in `columns` order, column names as in the
    table; JSON fields as Python lists/dicts) into `model`'s table.

    `line`, for a hot table whose values are all numbers and booleans: a function
    writing one row as a COPY text line (tab-separated, "\\N" for NULL, ending in a
    newline), quicker than converting every value by its type."""
    if connection.vendor != "postgresql":
        names = [model._meta.get_field(_field_name(model, column)).attname for column in columns]
        model.objects.bulk_create(
            (model(**dict(zip(names, row, strict=True))) for row in rows), batch_size=BATCH
        )
        return
    if line is None:
        text = "".join("\t".join(map(_copy_text, row)) + "\n" for row in rows)
    else:
        text = "".join(map(line, rows))
    buffer = io.StringIO(text)
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(
            f"COPY {quote(model._meta.db_table)} ({', '.join(map(quote, columns))}) FROM STDIN",
            buffer,
        )


def _field_name(model, column):
    for field in model._meta.concrete_fields:
        if field.column == column:
            return field.name
    raise ValueError(f"{model.__name__} has no column {column}")


# What COPY's text format escapes inside a value.
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value):
    """One value in COPY's text format (the common kinds first: this runs per cell)."""
    kind = type(value)
    if kind is Decimal or kind is int:
        return str(value)
    if value is None:
        return "\\N"
    if kind is bool:
        return "t" if value else "f"
    if kind is list or kind is dict:
        value = json.dumps(value, ensure_ascii=False)
    return str(value).translate(_ESCAPES)
