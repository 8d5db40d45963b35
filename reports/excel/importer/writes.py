"""Create-or-update by key, counting what changed, with the audit trail kept.

Rows are compared field by field (Decimals by value: 6 equals 6.00), so importing the
same file again saves nothing and writes no audit record. Large sheets are written in
bulk; their audit records are bulk-written too, stamped with the org path each row
belongs to (what `org.audit.stamp_scope_path` does for single saves)."""

from collections import defaultdict

from django.db import connection
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from core.bulk import copy_rows, reserve_ids
from reports.excel.importer.outcome import SheetChanges


def differences(obj, values):
    return {f: v for f, v in values.items() if getattr(obj, f) != v}


def save_one(obj, actor, changes, values=None):
    """Save `obj` (new) or apply `values` to it (existing); count the outcome."""
    if obj.pk is None:
        obj._history_user = actor
        obj.save()
        changes.created += 1
        return obj
    diff = differences(obj, values or {})
    if not diff:
        changes.unchanged += 1
        return obj
    for field, value in diff.items():
        setattr(obj, field, value)
    if hasattr(obj, "version"):
        obj.version += 1
    obj._history_user = actor
    obj.save()
    changes.changed += 1
    return obj


class Batch:
    """Rows of one model to create or update in bulk. `put` returns the object that
    will hold the values; `flush` writes them all."""

    def __init__(self, model, actor, changes: SheetChanges, touch=()):
        self.model = model
        self.actor = actor
        self.changes = changes
        self.touch = touch  # auto_now fields a bulk update must set itself
        self.new = defaultdict(list)
        self.dirty = defaultdict(list)
        self.fields = set()

    def put(self, existing, values, path):
        if existing is None:
            obj = self.model(**values)
            self.new[path].append(obj)
            self.changes.created += 1
            return obj
        diff = differences(existing, values)
        if not diff:
            self.changes.unchanged += 1
            return existing
        for field, value in diff.items():
            setattr(existing, field, value)
        now = timezone.now()
        for field in self.touch:
            setattr(existing, field, now)
        existing.version += 1
        self.fields |= {*diff, *self.touch, "version"}
        self.dirty[path].append(existing)
        self.changes.changed += 1
        return existing

    def flush(self):
        if connection.vendor == "postgresql":
            copy_with_history(self.model, self.new, self.actor)
        else:
            for path, objs in self.new.items():
                bulk_create_with_history(
                    objs,
                    self.model,
                    batch_size=500,
                    default_user=self.actor,
                    custom_historical_attrs={"scope_path": path},
                )
        for path, objs in self.dirty.items():
            bulk_update_with_history(
                objs,
                self.model,
                sorted(self.fields),
                batch_size=500,
                default_user=self.actor,
                custom_historical_attrs={"scope_path": path},
            )
        self.new.clear()
        self.dirty.clear()


def copy_with_history(model, by_path, actor):
    """New rows ({org path: [unsaved objects]}) and their audit rows (+, by `actor`, the
    row's path as `scope_path`) in two COPYs: as `bulk_create_with_history` per path
    would write them, without building an INSERT per path and batch — a county's
    230,000 score entries were most of its import. Ids are reserved first, so the
    objects come back saved."""
    objs = [obj for group in by_path.values() for obj in group]
    if not objs:
        return
    fields = model._meta.concrete_fields
    for obj, pk in zip(objs, reserve_ids(model, len(objs)), strict=True):
        obj.pk = pk
        for field in fields:
            field.pre_save(obj, True)  # auto_now / auto_now_add stamps, as a save sets
        obj._state.adding = False
    copy_rows(
        model,
        [field.column for field in fields],
        ([getattr(obj, field.attname) for field in fields] for obj in objs),
    )
    history = model.history.model
    tracked = history.tracked_fields
    stamp = (timezone.now(), "", "+", actor.pk if actor else None)
    copy_rows(
        history,
        [
            *(field.column for field in tracked),
            "history_date",
            "history_change_reason",
            "history_type",
            "history_user_id",
            "scope_path",
        ],
        (
            [*(getattr(obj, field.attname) for field in tracked), *stamp, path]
            for path, group in by_path.items()
            for obj in group
        ),
    )
