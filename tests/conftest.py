from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from drejebog.engine.deadlines import COPENHAGEN
from drejebog.engine.loader import load_file
from drejebog.engine.model import Drejebog
from drejebog.engine.runtime import Record
from drejebog.engine.scenario import Scenario, ScriptedCase, ScriptedEvent
from drejebog.engine.simulator import simulate
from drejebog.engine.yamlnodes import Mark

FIXTURES = Path(__file__).resolve().parent / "fixtures"


# The test CPR numbers' serial as it would stand in text, not inside a random hex id (an event
# id such as "4c0d12a8f1234de2..." holds "1234" about once in 2,000 runs) nor in a UUID's
# group; the whole number written without its dash ("6101901234") still counts
_TEST_SERIAL = re.compile(r"(?<![0-9A-Za-z])(?:\d{6}-?)?1234(?![0-9A-Za-z-])")


def shows_cpr_serial(text: str) -> bool:
    """Whether `text` shows the test CPR number ANNA_CPR's serial (1234) as such.

    >>> [shows_cpr_serial(t) for t in ("610190-1234", "6101901234", "xxxx-1234.", "ab1234cd")]
    [True, True, True, False]
    """
    return _TEST_SERIAL.search(text) is not None


def local(text: str) -> datetime:
    """'2027-03-01 10:00' Copenhagen wall time as an aware UTC instant."""
    return datetime.fromisoformat(text).replace(tzinfo=COPENHAGEN).astimezone(UTC)


def run_case(
    drejebog: Drejebog,
    opened: str,
    events: list[tuple[str, str, dict[str, object]]],
    end: str,
    facts: dict[str, object] | None = None,
) -> list[Record]:
    """Simulate one case ('sag') through `events` (local time, event, data) up to `end`."""
    scripted = tuple(
        ScriptedEvent(local(at), name, data, Mark(index + 1, 1))
        for index, (at, name, data) in enumerate(events)
    )
    case = ScriptedCase("sag", "Test Testesen", local(opened), facts or {}, scripted, Mark(1, 1))
    return list(simulate(Scenario("test.yaml", drejebog, local(end), (case,))))


def brief(records: list[Record]) -> list[tuple[str, str, str, str | None]]:
    """(local time, kind, name, role) for compact assertions."""
    return [
        (f"{r.at.astimezone(COPENHAGEN):%Y-%m-%d %H:%M}", r.kind, r.name, r.role) for r in records
    ]


@pytest.fixture(scope="session")
def mini() -> Drejebog:
    return load_file(FIXTURES / "mini.yaml")
