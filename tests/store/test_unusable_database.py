"""A database that cannot be used at all is one Danish error, from any command, never a
driver's traceback (store/db.py's handle_error hook, store/driver_errors.py): a read-only
SQLite file, a PostgreSQL database that does not exist. (A missing folder, a folder that is a
file and a server that does not answer are rows of test_cli_hostile_inputs.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import make_url

from drejebog.cli.main import main
from tests.store.conftest import ANNA_CPR, POSTGRES_URL


def drejebog(*args: str, url: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), env={"DATABASE_URL": url})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output and "sqlalche.me" not in result.output
    return result.exit_code, result.output


@pytest.mark.parametrize(
    "command",
    [
        ("worker", "add", "bo", "--navn", "Bo", "--rolle", "leder"),
        ("citizen", "add", ANNA_CPR, "--navn", "Anna"),
    ],
    ids=["worker-add", "citizen-add"],
)
def test_a_write_to_a_read_only_sqlite_file_is_a_danish_error(tmp_path: Path, command):
    database = tmp_path / "drejebog.db"
    assert drejebog("db", "upgrade", url=f"sqlite:///{database}")[0] == 0
    before = database.read_bytes()
    # read-only as SQLite opens it: chmod cannot make a file read-only for root
    code, output = drejebog(*command, url=f"sqlite:///file:{database}?mode=ro&uri=true")
    assert code == 1
    assert (
        output
        == "fejl: SQLite-databasen er skrivebeskyttet: filen (eller dens mappe) må ikke ændres\n"
    )
    assert ANNA_CPR[-4:] not in output
    assert database.read_bytes() == before


def test_a_postgresql_database_that_does_not_exist_is_named(postgres_ok):
    if not postgres_ok:
        pytest.skip("PostgreSQL kører ikke her")
    url = make_url(POSTGRES_URL).set(database="findes_ikke_her").render_as_string(False)
    code, output = drejebog("db", "upgrade", url=url)
    assert code == 1
    assert output.startswith("fejl: databasen postgresql+psycopg://")
    assert "/findes_ikke_her findes ikke på serveren: opret den først" in output
