"""Login rate limiting: after `attempts` failed logins for one worker from one address within
`pause`, that pair is refused until `pause` has passed since the last failure. Counted on the
injected clock, in this process (each `serve` process keeps its own count)."""

from __future__ import annotations

from datetime import datetime, timedelta

from drejebog.engine.clock import Clock

MAX_KEYS = 10_000  # a flood of made-up names cannot grow the table without bound


class LoginLimiter:
    def __init__(self, clock: Clock, attempts: int, pause: timedelta) -> None:
        self._clock = clock
        self._attempts = attempts
        self._pause = pause
        self._failures: dict[tuple[str, str], list[datetime]] = {}

    def _recent(self, key: tuple[str, str]) -> list[datetime]:
        since = self._clock.now() - self._pause
        recent = [at for at in self._failures.get(key, []) if at > since]
        if recent:
            self._failures[key] = recent
        else:
            self._failures.pop(key, None)
        return recent

    def blocked_for(self, handle: str, address: str) -> timedelta | None:
        """How long the pair must wait before trying again (None: it may try now)."""
        recent = self._recent((handle, address))
        if len(recent) < self._attempts:
            return None
        return recent[-1] + self._pause - self._clock.now()

    def failed(self, handle: str, address: str) -> None:
        key = (handle, address)
        if key not in self._failures and len(self._failures) >= MAX_KEYS:
            self._failures.pop(next(iter(self._failures)))  # the oldest pair
        self._failures.setdefault(key, []).append(self._clock.now())

    def succeeded(self, handle: str, address: str) -> None:
        self._failures.pop((handle, address), None)
