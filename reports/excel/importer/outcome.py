"""What an import did, or would do (a preview)."""

from dataclasses import dataclass, field


@dataclass
class SheetChanges:
    created: int = 0
    changed: int = 0
    unchanged: int = 0
    deleted: int = 0

    def as_dict(self):
        return {
            "created": self.created,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "deleted": self.deleted,
        }


@dataclass
class ImportOutcome:
    cycle_id: int | None
    changes: dict[str, SheetChanges] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    applied: bool = True  # False: a preview, rolled back

    @property
    def changed_anything(self):
        return any(c.created or c.changed or c.deleted for c in self.changes.values())

    def as_dict(self):
        return {
            "cycle_id": self.cycle_id,
            "changes": {sheet: c.as_dict() for sheet, c in self.changes.items()},
            "warnings": list(self.warnings),
            "applied": self.applied,
        }
