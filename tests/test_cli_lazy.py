"""`drejebog --help` and the engine's commands start without the database and web layers
(issue 12, point 7); the lazy table's help lines are the commands' own."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest

from drejebog.cli.main import DIAGRAM_FORMATS, LAZY_COMMANDS, main
from drejebog.engine.diagram import FORMATS

HEAVY = ("sqlalchemy", "alembic", "fastapi", "uvicorn", "argon2", "jinja2", "transitions")


def imported_by(code: str) -> set[str]:
    """Top-level packages a fresh interpreter has imported after running `code`."""
    result = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys\nprint(' '.join(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        check=True,
    )
    return {name.split(".")[0] for name in result.stdout.split()}


def test_help_imports_neither_the_database_nor_the_web_nor_the_engine() -> None:
    loaded = imported_by(
        "from click.testing import CliRunner\n"
        "from drejebog.cli.main import main\n"
        "r = CliRunner().invoke(main, ['--help'])\n"
        "assert r.exit_code == 0 and 'report' in r.output, r.output"
    )
    assert not loaded & set(HEAVY), loaded & set(HEAVY)


def test_check_imports_the_engine_but_not_the_database() -> None:
    loaded = imported_by(
        "from click.testing import CliRunner\n"
        "from drejebog.cli.main import main\n"
        "from drejebog.workflows import SHIPPED_DIR\n"
        "r = CliRunner().invoke(main, ['check', str(SHIPPED_DIR)])\n"
        "assert r.exit_code == 0, r.output"
    )
    assert "jinja2" in loaded
    assert not loaded & {"sqlalchemy", "alembic", "fastapi", "uvicorn"}


@pytest.mark.parametrize("name", sorted(LAZY_COMMANDS))
@pytest.mark.parametrize("width", [30, 45, 60, 200])
def test_the_lazy_tables_help_line_is_the_commands_own(name: str, width: int) -> None:
    command = main.get_command(click.Context(main), name)
    assert command is not None
    table = click.Command(None, help=LAZY_COMMANDS[name].short_help).get_short_help_str(width)
    assert table == command.get_short_help_str(width)


def test_the_diagram_formats_are_the_engines() -> None:
    assert DIAGRAM_FORMATS == FORMATS
