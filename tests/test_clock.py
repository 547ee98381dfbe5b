"""The clock port: the simulated clock only moves forward; the system clock is freezable."""

from __future__ import annotations

import ast
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from freezegun import freeze_time

from drejebog.engine.clock import Clock, SimulatedClock, SystemClock, require_aware
from drejebog.engine.deadlines import local_date

START = datetime(2027, 3, 1, 7, 0, tzinfo=UTC)
ENGINE = Path(__file__).resolve().parent.parent / "engine"


def read_twice(clock: Clock) -> tuple[datetime, datetime]:
    """Used through the protocol only: what the engine sees of a clock."""
    return clock.now(), clock.now()


def test_simulated_clock_stands_still_until_moved() -> None:
    clock = SimulatedClock(START)
    assert read_twice(clock) == (START, START)


def test_simulated_clock_reports_utc_whatever_offset_it_was_given() -> None:
    copenhagen_winter = timezone(timedelta(hours=1))
    clock = SimulatedClock(datetime(2027, 3, 1, 8, 0, tzinfo=copenhagen_winter))
    assert clock.now() == START
    assert clock.now().tzinfo is UTC


def test_advance_moves_by_a_delta() -> None:
    clock = SimulatedClock(START)
    clock.advance(timedelta(days=30, hours=2))
    assert clock.now() == datetime(2027, 3, 31, 9, 0, tzinfo=UTC)


def test_advance_to_jumps_to_an_instant_and_may_stand_still() -> None:
    clock = SimulatedClock(START)
    target = datetime(2027, 12, 24, 7, 0, tzinfo=UTC)
    clock.advance_to(target)
    clock.advance_to(target)
    assert clock.now() == target


@pytest.mark.parametrize(
    "move",
    [
        lambda c: c.advance_to(START - timedelta(microseconds=1)),
        lambda c: c.advance(timedelta(seconds=-1)),
    ],
    ids=["advance_to_the_past", "advance_by_negative_delta"],
)
def test_simulated_clock_refuses_to_go_backwards(move: Callable[[SimulatedClock], None]) -> None:
    clock = SimulatedClock(START)
    with pytest.raises(ValueError, match="baglæns"):
        move(clock)
    assert clock.now() == START


@pytest.mark.parametrize(
    "make",
    [
        lambda: SimulatedClock(datetime(2027, 3, 1, 8, 0)),
        lambda: SimulatedClock(START).advance_to(datetime(2027, 3, 2, 8, 0)),
        lambda: require_aware(datetime(2027, 3, 1)),
    ],
    ids=["naive_start", "naive_advance_to", "require_aware"],
)
def test_naive_datetimes_are_rejected(make: Callable[[], object]) -> None:
    with pytest.raises(ValueError, match="mangler tidszone"):
        make()


def test_system_clock_is_aware_utc() -> None:
    now = SystemClock().now()
    assert now.tzinfo is UTC


def test_system_clock_follows_freezegun() -> None:
    with freeze_time("2027-03-28 01:30:00") as frozen:
        clock = SystemClock()
        assert clock.now() == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)
        assert clock.now().tzinfo is UTC
        frozen.tick(timedelta(hours=22, minutes=30))
        # 00:00Z on the 29th is 02:00 summer time in Copenhagen: already the 29th locally
        assert clock.now() == datetime(2027, 3, 29, 0, 0, tzinfo=UTC)
        assert local_date(clock.now()).isoformat() == "2027-03-29"


def test_only_the_system_clock_reads_the_real_time() -> None:
    """`datetime.now()`, `date.today()`, `time.time()` etc. appear nowhere else in engine/."""
    readers = {"now", "utcnow", "today", "time", "monotonic", "perf_counter"}
    offenders = []
    for path in sorted(ENGINE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in readers
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id in {"datetime", "date", "time"}
            ):
                offenders.append(f"{path.name}:{node.lineno}")
    assert offenders == ["clock.py:" + str(_system_clock_line())]


def _system_clock_line() -> int:
    source = (ENGINE / "clock.py").read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(source, 1) if "datetime.now(UTC)" in line)
