"""The package arrows: dependencies point inward, and the core stays pure.

    cli ──► web ─────┐
    cli ─────────────┤
    bootstrap ───────┼──► app ──► notifications ──► engine
    store ───────────┘     └──────────────────────► engine

- `engine/` is the pure core: no database, template engine, scheduler, mail, environment or CLI.
- `notifications/` holds templates and channels; it knows the engine's model, nothing else.
- `app/` holds the use cases, written against the ports in `app/ports.py`; it never imports
  the store (so every use case runs on the in-memory unit of work too) nor the CLI.
- `store/` holds repositories and SQL; it implements the app's ports: of `app/` it imports
  only app/ports.py, app/kpi_ports.py and the data types of app/recipients.py and
  app/settings.py, no use case.
- `web/` is the web app: like the CLI, it calls use cases through the composition root's
  `App` (never SQL); nothing imports it but the CLI (`drejebog serve`).
- `cli/` is thin: it parses arguments and calls use cases; only `drejebog/bootstrap.py`, the
  composition root, knows every part and wires them together (every part but the CLI, which
  calls it: no cycle).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ENGINE = ROOT / "engine"

# what each part may import of the project (itself always)
ALLOWED: dict[str, set[str]] = {
    "engine": set(),
    "workflows": set(),
    "notifications": {"engine"},
    "app": {"engine", "notifications"},
    "store": {"engine", "app"},
    "cli": {"engine", "app", "workflows", "bootstrap", "web"},
    "web": {"engine", "app", "bootstrap"},
    "bootstrap": {"engine", "app", "store", "notifications", "workflows"},
}
# of the app, the store implements the ports and uses their data types, never a use case
STORE_MAY_IMPORT_OF_APP = {
    "drejebog.app.ports",
    "drejebog.app.kpi_ports",  # the KPI report's port and row types (store/kpi_queries.py)
    "drejebog.app.recipients",
    "drejebog.app.settings",
}
# top-level names the old layout installed: nothing may import them any more
OLD_TOP_LEVEL = {"engine", "store", "notifications", "cli", "workflows", "app"}
FORBIDDEN_IN_ENGINE = {
    "sqlmodel",
    "sqlalchemy",
    "alembic",
    "apscheduler",
    "smtplib",
    "os",
    "click",
    "requests",
    "httpx",
    "socket",
    "subprocess",
}


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, as written (absolute names)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            assert node.level == 0, f"{path}: relative import"
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def project_part(module: str) -> str | None:
    """The part of the project a module name belongs to ('engine', 'bootstrap', ...)."""
    parts = module.split(".")
    if parts[0] != "drejebog" or len(parts) < 2:
        return None
    return parts[1] if parts[1] in ALLOWED else None


def source_files(part: str) -> list[Path]:
    if part == "bootstrap":
        return [ROOT / "drejebog" / "bootstrap.py"]
    return sorted(path for path in (ROOT / part).rglob("*.py") if "migrations" not in path.parts)


def test_the_store_imports_only_the_apps_ports_and_data_modules() -> None:
    offenders: dict[str, list[str]] = {}
    for path in source_files("store"):
        modules = {
            ".".join(name.split(".")[:3])
            for name in imported_modules(path)
            if name.startswith("drejebog.app.")  # 'from drejebog.app import x' gives app.x too
        }
        if modules - STORE_MAY_IMPORT_OF_APP:
            offenders[str(path.relative_to(ROOT))] = sorted(modules - STORE_MAY_IMPORT_OF_APP)
    assert offenders == {}


@pytest.mark.parametrize("part", sorted(ALLOWED))
def test_every_arrow_points_inward(part: str) -> None:
    offenders: dict[str, list[str]] = {}
    for path in source_files(part):
        reached = {project_part(name) for name in imported_modules(path)} - {None, part}
        name = str(path.relative_to(ROOT))
        wrong = sorted(str(p) for p in reached - ALLOWED[part])
        if wrong:
            offenders[name] = wrong
    assert offenders == {}


def test_nothing_imports_the_old_top_level_names() -> None:
    offenders = {}
    for path in sorted(ROOT.rglob("*.py")):
        if ".venv" in path.parts or path.is_relative_to(ROOT / "drejebog"):
            continue
        old = {name for name in imported_modules(path) if name.split(".")[0] in OLD_TOP_LEVEL}
        if old:
            offenders[str(path.relative_to(ROOT))] = sorted(old)
    assert offenders == {}


def test_engine_imports_nothing_from_the_outer_layers() -> None:
    offenders = {}
    for path in ENGINE.glob("*.py"):
        reached = {name.split(".")[0] for name in imported_modules(path)}
        if reached & FORBIDDEN_IN_ENGINE:
            offenders[path.name] = sorted(reached & FORBIDDEN_IN_ENGINE)
    assert offenders == {}


def test_engine_never_reads_the_real_clock_outside_clock_module() -> None:
    for path in ENGINE.glob("*.py"):
        if path.name == "clock.py":
            continue
        text = path.read_text(encoding="utf-8")
        assert "datetime.now(" not in text and "date.today(" not in text, path.name


def test_engine_never_uses_eval_or_unsafe_yaml() -> None:
    for path in ENGINE.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "eval(" not in text, path.name
        assert "yaml.load(" not in text and "yaml.unsafe_load" not in text, path.name


def test_the_checker_sees_a_wrong_arrow(tmp_path: Path) -> None:
    """The test above would pass vacuously if it read no import: it does read them."""
    sample = tmp_path / "sample.py"
    sample.write_text("from drejebog.store.tables import CASE\nimport drejebog.cli.main\n")
    parts = {project_part(name) for name in imported_modules(sample)} - {None}
    assert parts == {"store", "cli"}
