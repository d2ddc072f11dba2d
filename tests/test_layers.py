"""The apps depend one way: chapters <- members <- meetings, referrals <- reports,
notifications (and demo, which seeds them all); config, which wires them together, sits on top.

A module may import its own app and the apps of lower layers, never one of a higher layer.
Every module of every app is read, migrations and imports inside functions included; an app
that does not exist (yet) is simply not there to read.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Lowest first. Apps of one layer do not rank above each other.
LAYERS = [
    {"chapters"},
    {"members"},
    {"meetings", "referrals"},
    {"reports", "notifications", "demo"},
    {"config"},
]
RANK = {app: rank for rank, apps in enumerate(LAYERS) for app in apps}


def imported_apps(source: str, own_app: str) -> list[tuple[int, str, str]]:
    """(line, imported module, its app) for every import of one of the layered apps."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: the module's own app
                continue
            names = [node.module or ""]
            if node.module in RANK:  # "from reports import palms" names the app itself
                names = [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            app = name.split(".")[0]
            if app in RANK and app != own_app:
                found.append((node.lineno, name, app))
    return found


def upward_imports(app: str, source: str) -> list[tuple[int, str]]:
    return [
        (line, name) for line, name, other in imported_apps(source, app)
        if RANK[other] > RANK[app]
    ]


def app_modules() -> list[tuple[str, Path]]:
    return [
        (app, path)
        for app in sorted(RANK)
        if (ROOT / app / "__init__.py").exists()
        for path in sorted((ROOT / app).rglob("*.py"))
    ]


def test_no_app_imports_a_higher_layer():
    modules = app_modules()
    assert {app for app, _ in modules} >= {"chapters", "members", "meetings", "referrals",
                                           "reports", "config"}
    wrong = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for app, path in modules
        for line, name in upward_imports(app, path.read_text(encoding="utf-8"))
    ]
    assert not wrong, "A lower layer imports a higher one:\n" + "\n".join(wrong)


@pytest.mark.parametrize(("app", "source"), [
    ("chapters", "from members.models import Member"),
    ("chapters", "def f():\n    from reports import palms\n"),
    ("members", "import meetings.services"),
    ("members", "from notifications import outbox"),
    ("referrals", "from reports.palms import palms_rows"),
    ("reports", "from config.celery import app"),
])
def test_an_upward_import_is_found(app, source):
    assert upward_imports(app, source)


@pytest.mark.parametrize(("app", "source"), [
    ("members", "from chapters.models import Chapter"),
    ("meetings", "from referrals.models import Referral"),
    ("reports", "from meetings import services\nfrom members.models import Member"),
    ("chapters", "from . import models\nimport datetime"),
])
def test_a_downward_or_sideways_import_is_allowed(app, source):
    assert not upward_imports(app, source)
