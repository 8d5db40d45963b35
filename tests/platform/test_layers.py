"""The house in layers (DESIGN §2): each app imports only the apps below it.

The order here is the one in docs/architecture.md. An import upwards, or an app that is
not in the list, fails with the file and line that does it, whether the import is at
the top of the module or tucked inside a function.
"""

import ast
import re
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]

# Bottom first. Apps on one line sit beside each other and do not import each other.
LAYERS = [
    {"core"},
    {"org"},
    {"indicators"},
    {"assessment"},
    {"scoring"},
    {"evidence", "surveys"},
    {"reports"},
    {"demo"},
    {"config"},
]
LEVEL = {app: level for level, apps in enumerate(LAYERS) for app in apps}
NOT_APPS = {"tests", "bench", "docs", "locale", "static", "templates"}


def project_apps():
    return sorted(
        p.name
        for p in PROJECT.iterdir()
        if (p / "__init__.py").exists() and p.name not in NOT_APPS and not p.name.startswith(".")
    )


def imports_of(app):
    """(file:line, imported app) for every import of another project app, migrations
    left out (they record history, not structure)."""
    for path in sorted((PROJECT / app).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                modules = [node.module]
            elif isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            else:
                continue
            for module in modules:
                target = module.split(".")[0]
                if target in LEVEL and target != app:
                    yield f"{path.relative_to(PROJECT)}:{node.lineno}", target


def test_every_app_has_a_layer():
    assert set(project_apps()) == set(LEVEL)


def test_apps_import_only_the_layers_below_them():
    upwards = [
        f"{where} imports {target} ({app} is not above it)"
        for app in project_apps()
        for where, target in imports_of(app)
        if LEVEL[target] >= LEVEL[app]
    ]
    assert upwards == []


TEMPLATE_REFERENCE = re.compile(r"""{%\s*(?:include|extends)\s+["']([a-z_]+)/""")
TEMPLATE_LOAD = re.compile(r"{%\s*load\s+([^%]+?)\s*%}")


def tag_libraries():
    """Template tag library name → the app that defines it."""
    return {
        path.stem: path.parts[-3]
        for path in PROJECT.glob("*/templatetags/*.py")
        if path.stem != "__init__" and path.parts[-3] in LEVEL
    }


def test_templates_include_and_load_only_from_their_layer_and_below():
    """A page of a lower app shows what higher apps add through `{% panels %}` slots they
    fill (core.panels), never by naming their templates or loading their tags."""
    libraries = tag_libraries()
    upwards = []
    for path in sorted((PROJECT / "templates").rglob("*.html")):
        app = path.relative_to(PROJECT / "templates").parts[0]
        if app not in LEVEL:
            continue
        text = path.read_text(encoding="utf-8")
        used = [(m, "template") for m in TEMPLATE_REFERENCE.findall(text)]
        for names in TEMPLATE_LOAD.findall(text):
            used += [(libraries[n], f"tags {n}") for n in names.split() if n in libraries]
        upwards += [
            f"{path.relative_to(PROJECT)}: {what} of {target}"
            for target, what in used
            if target in LEVEL and LEVEL[target] > LEVEL[app]
        ]
    assert upwards == []
