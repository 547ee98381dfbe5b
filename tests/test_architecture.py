"""The core stays pure: engine/ imports no storage, scheduler, mail, environment or CLI code."""

import ast
from pathlib import Path

ENGINE = Path(__file__).resolve().parent.parent / "engine"
FORBIDDEN = {
    "sqlmodel",
    "sqlalchemy",
    "apscheduler",
    "smtplib",
    "os",
    "store",
    "notifications",
    "cli",
    "click",
    "requests",
    "httpx",
    "socket",
    "subprocess",
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_engine_imports_nothing_from_the_outer_layers():
    offenders = {
        path.name: sorted(imported_modules(path) & FORBIDDEN) for path in ENGINE.glob("*.py")
    }
    assert {name: mods for name, mods in offenders.items() if mods} == {}


def test_engine_never_reads_the_real_clock_outside_clock_module():
    for path in ENGINE.glob("*.py"):
        if path.name == "clock.py":
            continue
        text = path.read_text(encoding="utf-8")
        assert "datetime.now(" not in text and "date.today(" not in text, path.name


def test_engine_never_uses_eval_or_unsafe_yaml():
    for path in ENGINE.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "eval(" not in text, path.name
        assert "yaml.load(" not in text and "yaml.unsafe_load" not in text, path.name
