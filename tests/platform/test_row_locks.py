"""Row locks lock what they are about (DESIGN §4 concurrency): PostgreSQL's `FOR UPDATE`
over a query that joins other tables — `select_related` — locks their rows too, unless
it names its own table (`select_for_update(of=("self",))`). Locking a cycle with its
county locked the county's row as well: every other save of any cycle of that county,
and every insert of a row pointing to the county (a job, a cycle), waited for it."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ("core", "org", "indicators", "assessment", "scoring", "evidence", "surveys", "reports")


def _chain(node):
    """The method names called along an attribute chain `a.b(...).c(...)`, outermost last."""
    names = []
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        names.append((node.func.attr, node))
        node = node.func.value
    return names


def locks_spanning_joins():
    found = []
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                calls = dict(_chain(node))
                lock = calls.get("select_for_update")
                if lock is None or "select_related" not in calls:
                    continue
                if not any(keyword.arg == "of" for keyword in lock.keywords):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return sorted(set(found))


def test_no_row_lock_takes_the_rows_of_the_tables_it_joins():
    assert locks_spanning_joins() == []
