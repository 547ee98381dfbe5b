"""The one place that reads the real time. Everything else receives `now` from its caller.

`Clock` is the port; `SystemClock` is production's (and the only `datetime.now` in the engine),
`SimulatedClock` the simulator's and the tests': it moves only when told to, and only forward.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


def require_aware(instant: datetime, what: str = "tidspunktet") -> datetime:
    """`instant` in UTC; ValueError (naming `what`) for a naive datetime."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(
            f"{what} mangler tidszone (naivt datetime): {instant.isoformat()}; angiv fx tzinfo=UTC"
        )
    return instant.astimezone(UTC)


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, aware, in UTC."""
        ...


class SystemClock:
    """The real time. freezegun reaches it, so tests may freeze it too."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class SimulatedClock:
    """A clock that only moves when told to, and never backwards."""

    def __init__(self, start: datetime) -> None:
        self._now = require_aware(start, "starttidspunktet")

    def __repr__(self) -> str:
        return f"SimulatedClock({self._now.isoformat()})"

    def now(self) -> datetime:
        return self._now

    def advance_to(self, instant: datetime) -> None:
        """Jump to `instant` (aware); standing still is allowed, going back is a ValueError."""
        instant = require_aware(instant)
        if instant < self._now:
            raise ValueError(
                f"uret kan ikke gå baglæns: {instant.isoformat()} er før {self._now.isoformat()}"
            )
        self._now = instant

    def advance(self, delta: timedelta) -> None:
        """Move forward by `delta`; a negative delta is a ValueError."""
        self.advance_to(self._now + delta)
