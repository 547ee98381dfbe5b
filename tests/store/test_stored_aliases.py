"""A drejebog version stored when YAML aliases were still allowed keeps running (issue 10,
point 8): the store's text is parsed with its aliases expanded, within a cap, on SQLite and
PostgreSQL; a billion-laughs text in the store is a Danish error at its line:column, not a
hang. A file given to `check` or `load` still has its aliases refused
(tests/test_hostile_yaml.py)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from drejebog.app.ports import NewVersion
from drejebog.app.settings import Settings
from drejebog.bootstrap import App, bootstrap
from drejebog.cli.main import main
from drejebog.engine.errors import DrejebogInvalid
from drejebog.engine.loader import load_text
from drejebog.store.migrate_schema import stamp_head
from tests.conftest import FIXTURES, local
from tests.store.backends import SqlBackend, dump
from tests.store.conftest import ANNA_CPR
from tests.store.test_firing import fire, open_rehab
from tests.test_hostile_yaml import LAUGHS, with_aliases

MINI = (FIXTURES / "mini.yaml").read_text(encoding="utf-8")


def plant(app: App, text: str, parsed_from: str | None = None) -> None:
    """Store `text` as a version directly, as an earlier release did (no check refuses its
    aliases); `parsed_from`: the drejebog the row describes, when `text` cannot be parsed."""
    drejebog = load_text(parsed_from or text, "mini.yaml", stored=True)
    app.admin.store.store_versions([NewVersion(drejebog, "mini.yaml", text)], app.clock.now())


def test_a_stored_version_with_aliases_still_runs_events_and_fires(staffed, database_url, clock):
    plant(staffed, with_aliases(MINI).replace("version: 1", "version: 2", 1))
    fresh = bootstrap(Settings(database_url), clock)  # an empty cache: parsed from the store
    try:
        backend = SqlBackend(fresh)
        case_id = open_rehab(backend)  # opens on the newest version and holds the rehab meeting
        details = fresh.reports.case_details(case_id)
        assert (details["drejebog"]["version"], details["tilstand"]) == ("2", "rehab")
        clock.advance_to(local("2027-03-12 08:00"))  # 3 dage before the deadline of 15 March
        assert fire(backend).fired == 1
        (message,) = backend.rows("outbox")
        # the reminder's recipient is written `til: *ejer` (ejer: &ejer sagsbehandler)
        assert (message["kind"], message["role"], message["recipient"]) == (
            "reminder",
            "sagsbehandler",
            "anna_s",
        )
    finally:
        fresh.engine.dispose()


def test_a_stored_billion_laughs_is_a_danish_error_at_its_place(staffed, database_url, clock):
    version_3 = MINI.replace("version: 1", "version: 3", 1)
    plant(staffed, LAUGHS + version_3, parsed_from=version_3)
    fresh = bootstrap(Settings(database_url), clock)
    try:
        with pytest.raises(DrejebogInvalid, match=r"aliaserne udfolder sig til mere end 100\.000"):
            fresh.cases.open_case(ANNA_CPR, "mini", "anna_s")
    finally:
        fresh.engine.dispose()
    stamp_head(staffed.engine)  # the tables were made by create_all: the CLI wants a revision
    before = dump(database_url)
    result = CliRunner().invoke(
        main, ["case", "open", "mini", "--cpr", ANNA_CPR], env={"DATABASE_URL": database_url}
    )
    assert result.exit_code == 1, result.output
    assert "mini.yaml:6:8: aliaserne udfolder sig til mere end 100.000 knuder" in result.output
    assert "Traceback" not in result.output
    assert dump(database_url) == before
