"""The audit trail (SPEC §2 "Audit trail"): who, when, before, after.

django-simple-history writes one snapshot per create/change/delete of every audited
model (declared with `audit_history()`). This module stamps each snapshot with the org
path it belongs to, and reads the snapshots of all audited models back as one list with
readable before/after differences. Nothing here, nor anywhere else, deletes a snapshot.
"""

import zlib
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.apps import apps
from django.db import connections, models
from django.db.models import OuterRef, Q, Subquery, Value
from django.dispatch import receiver
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from simple_history.signals import pre_create_historical_record

from org.models import AuditedHistory, User
from org.scope import Role, scope_of

AUDIT_ROLES = frozenset({Role.ADMIN, Role.OBSERVER})

# Bookkeeping fields that say nothing a reader of the trail needs.
HIDDEN_FIELDS = frozenset({"id", "version", "created_at", "updated_at", "path", "depth"})

ACTION_LABELS = {"+": _("新增"), "~": _("修改"), "-": _("删除")}


@receiver(pre_create_historical_record)
def stamp_scope_path(sender, instance, history_instance, **kwargs):
    if isinstance(history_instance, AuditedHistory):
        history_instance.scope_path = instance.audit_scope_path()


def audited_history_models():
    """Historical models of every audited model, in a stable order."""
    found = [m for m in apps.get_models() if issubclass(m, AuditedHistory)]
    return sorted(found, key=lambda m: m._meta.label)


def object_type_choices():
    return [
        (m.instance_type._meta.label_lower, m.instance_type._meta.verbose_name)
        for m in audited_history_models()
    ]


def can_read_audit(user):
    return scope_of(user).has_role(*AUDIT_ROLES)


def audit_rows(user, *, actor=None, object_type=None, date_from=None, date_to=None):
    """All snapshots the user may read, newest first, as (id, date, type label) rows.

    `actor` matches the user name or full name of whoever made the change. One UNION
    over the historical tables, so counting and paging stay in the database.
    """
    scope = scope_of(user)
    actors = None
    if actor:
        actors = User.objects.filter(
            Q(username__icontains=actor) | Q(full_name__icontains=actor)
        ).values("pk")
    parts = []
    for history_model in audited_history_models():
        label = history_model.instance_type._meta.label_lower
        if object_type and object_type != label:
            continue
        qs = history_model.objects.order_by()
        if not scope.is_global:
            qs = qs.filter(scope.path_q("scope_path", AUDIT_ROLES))
        if actors is not None:
            qs = qs.filter(history_user_id__in=actors)
        # Whole days in local time, as a datetime range so the index on the date is used.
        if date_from:
            qs = qs.filter(history_date__gte=_start_of(date_from))
        if date_to:
            qs = qs.filter(history_date__lt=_start_of(date_to + timedelta(days=1)))
        parts.append(
            qs.annotate(object_type=Value(label, output_field=models.CharField())).values_list(
                "history_id", "history_date", "object_type"
            )
        )
    if not parts:
        return audited_history_models()[0].objects.none().values_list("history_id")
    union = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    # A total order, so paging never repeats or skips rows that share a timestamp.
    return union.order_by("-history_date", "-history_id", "object_type")


def _start_of(day):
    return timezone.make_aware(datetime.combine(day, time.min))


@dataclass
class Change:
    field: str
    before: str
    after: str


@dataclass
class AuditEntry:
    history_id: int
    date: datetime
    object_type: str
    type_label: str
    action: str
    action_label: str
    actor: object
    object_repr: str
    object_id: int
    reason: str = ""
    changes: list[Change] = field(default_factory=list)


def hydrate(rows):
    """Turn a page of `audit_rows` into entries with before/after differences.

    Queries: per object type on the page, one for the snapshots (each annotated with
    the id of its predecessor) and one for those predecessors; then one per related
    model named in the differences. Snapshots of one object are ordered by id, which
    is the order they were written in.
    """
    by_type = {}
    for history_id, _date, object_type in rows:
        by_type.setdefault(object_type, []).append(history_id)
    history_models = {m.instance_type._meta.label_lower: m for m in audited_history_models()}

    pairs = {}
    for object_type, ids in by_type.items():
        history_model = history_models[object_type]
        pk_name = history_model.instance_type._meta.pk.attname
        predecessor = (
            history_model.objects.filter(
                **{pk_name: OuterRef(pk_name)}, history_id__lt=OuterRef("history_id")
            )
            .order_by("-history_id")
            .values("history_id")[:1]
        )
        snapshots = list(
            history_model.objects.filter(history_id__in=ids)
            .annotate(previous_id=Subquery(predecessor))
            .select_related("history_user")
        )
        previous = history_model.objects.in_bulk(
            [s.previous_id for s in snapshots if s.previous_id is not None]
        )
        for snap in snapshots:
            pairs[(object_type, snap.history_id)] = (snap, previous.get(snap.previous_id))

    names = _RelatedNames()
    entries = []
    for history_id, _date, object_type in rows:
        snap, previous = pairs[(object_type, history_id)]
        entries.append(_entry(object_type, snap, previous, names))
    names.resolve()
    return entries


def _tracked_fields(snap):
    """The fields an entry shows: not bookkeeping (`HIDDEN_FIELDS`), nor what a model
    names as meaningless to a reader (`audit_hidden_fields`: storage paths, MIME
    types, checksums)."""
    hidden = HIDDEN_FIELDS | set(getattr(snap.instance_type, "audit_hidden_fields", ()))
    return [f for f in snap.instance_type._meta.concrete_fields if f.name not in hidden]


def _label(field):
    """A field's name in words: its verbose name, or — for a relation left without one
    (it reads "participant") — the related model's name (参评书记)."""
    label = str(field.verbose_name)
    if field.is_relation and label == field.name.replace("_", " "):
        return str(field.related_model._meta.verbose_name)
    return label


def _entry(object_type, snap, previous, names):
    meta = snap.instance_type._meta
    changes = []
    for f in _tracked_fields(snap):
        if not hasattr(snap, f.attname):
            continue
        after = getattr(snap, f.attname)
        before = getattr(previous, f.attname) if previous is not None else None
        if snap.history_type == "~" and before == after:
            continue
        if snap.history_type == "-":
            before, after = after, None
        changes.append(
            Change(
                field=_label(f),
                before=names.show(f, before) if before is not None else "",
                after=names.show(f, after) if after is not None else "",
            )
        )
    return AuditEntry(
        history_id=snap.history_id,
        date=snap.history_date,
        object_type=object_type,
        type_label=str(meta.verbose_name),
        action=snap.history_type,
        action_label=str(ACTION_LABELS[snap.history_type]),
        actor=snap.history_user,
        object_repr=_snapshot_repr(snap, names),
        object_id=getattr(snap, meta.pk.attname),
        reason=snap.history_change_reason or "",
        changes=changes,
    )


def _snapshot_repr(snap, names):
    """A model naming itself through related rows declares `audit_repr_fields`, so
    the names come from the batched lookup instead of one query per row."""
    model = snap.instance_type
    fields = getattr(model, "audit_repr_fields", None)
    if not fields:
        return str(snap.instance)
    return _Joined(
        names.show(model._meta.get_field(f), getattr(snap, model._meta.get_field(f).attname))
        for f in fields
    )


class _RelatedNames:
    """Shows field values readably; related objects are looked up in one batch each."""

    def __init__(self):
        self.wanted = {}
        self.cells = []

    def show(self, model_field, value):
        if model_field.is_relation and model_field.many_to_one:
            cell = _Deferred(value)
            self.wanted.setdefault(model_field.related_model, set()).add(value)
            self.cells.append((model_field.related_model, cell))
            return cell
        if model_field.choices:
            return str(dict(model_field.flatchoices).get(value, value))
        if isinstance(value, bool):
            return str(_("是") if value else _("否"))
        if isinstance(value, datetime):
            return date_format(timezone.localtime(value), "Y-m-d H:i:s")
        return str(value)

    def resolve(self):
        found = {}
        for model, ids in self.wanted.items():
            # A model whose name reads related rows says which (`audit_name_related`).
            related = getattr(model, "audit_name_related", ())
            rows = model._base_manager.filter(pk__in=ids).select_related(*related)
            found[model] = {o.pk: str(o) for o in rows}
        for model, cell in self.cells:
            cell.text = found[model].get(cell.value, f"#{cell.value}")


class _Joined:
    def __init__(self, parts):
        self.parts = list(parts)

    def __str__(self):
        return " · ".join(str(p) for p in self.parts)


class _Deferred:
    def __init__(self, value):
        self.value = value
        self.text = f"#{value}"

    def __str__(self):
        return self.text


APPEND_ONLY_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_history_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '审计记录只能追加，不能修改或删除（表 %）', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql
"""


def index_predecessors(using="default", **kwargs):
    """Give every historical table an index on (object id, history id), so that
    `hydrate` finds a snapshot's predecessor by a short index scan.

    Without it PostgreSQL walks the history ids backwards looking for the object's id,
    and for a snapshot with no predecessor — every score entered for the first time — it
    reads the whole table: the home page's recent changes took half a second at county
    size. Runs after each migrate (like `protect_history_tables`), so newly audited
    models are covered; IF NOT EXISTS makes the later runs free."""
    connection = connections[using]
    tables = set(connection.introspection.table_names())
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for history_model in audited_history_models():
            table = history_model._meta.db_table
            if table not in tables:
                continue
            column = history_model._meta.get_field(
                history_model.instance_type._meta.pk.attname
            ).column
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS {quote(predecessor_index(table))} "
                f"ON {quote(table)} ({quote(column)}, {quote('history_id')})"
            )


def predecessor_index(table):
    """The name of `table`'s (object id, history id) index: within PostgreSQL's 63."""
    return f"{table[:40]}_prev_{zlib.crc32(table.encode()):08x}"


def protect_history_tables(using="default", **kwargs):
    """On PostgreSQL, make every historical table refuse UPDATE and DELETE.

    Runs after each migrate, so tables of newly audited models are covered too. The
    application never updates or deletes a snapshot; this makes the database say no as
    well, whatever path (shell, script, admin) tries.
    """

    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    tables = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        cursor.execute(APPEND_ONLY_FUNCTION)
        for history_model in audited_history_models():
            table = history_model._meta.db_table
            if table not in tables:
                continue
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"DROP TRIGGER IF EXISTS audit_append_only ON {quoted}")
            cursor.execute(
                f"CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON {quoted} "
                "FOR EACH ROW EXECUTE FUNCTION audit_history_append_only()"
            )
