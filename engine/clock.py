"""The one place that reads the real time. Everything else receives `now` from its caller."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


def require_aware(instant: datetime, what: str = "tidspunktet") -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{what} mangler tidszone (naivt datetime): {instant.isoformat()}")
    return instant.astimezone(UTC)


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class SimulatedClock:
    """A clock that only moves when told to: the simulator's and the tests' time."""

    def __init__(self, start: datetime) -> None:
        self._now = require_aware(start, "starttidspunktet")

    def now(self) -> datetime:
        return self._now

    def advance_to(self, instant: datetime) -> None:
        instant = require_aware(instant)
        if instant < self._now:
            raise ValueError(
                f"uret kan ikke gå baglæns: {instant.isoformat()} er før {self._now.isoformat()}"
            )
        self._now = instant

    def advance(self, delta: timedelta) -> None:
        self.advance_to(self._now + delta)
