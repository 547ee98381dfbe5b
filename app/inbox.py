"""A worker's inbox: the notifications and daily digests written to them, newest first, and
marking one read. The CLI shows it today, the web app tomorrow."""

from __future__ import annotations

from drejebog.app.ports import InboxMessage, InboxStore
from drejebog.engine.clock import Clock
from drejebog.engine.errors import NotFound


class Inbox:
    def __init__(self, store: InboxStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def _worker(self, handle: str) -> int:
        key = self.store.worker_key(handle)
        if key is None:
            raise NotFound("medarbejder", handle, " (se 'drejebog worker list')")
        return key

    def messages(self, handle: str, unread_only: bool = True) -> list[InboxMessage]:
        """The worker's messages (only the unread ones unless asked), newest first."""
        return self.store.inbox(self._worker(handle), unread_only)

    def mark_read(self, handle: str, message_id: int) -> None:
        """Mark one message of the worker's inbox read. Raises NotFound."""
        if not self.store.mark_read(self._worker(handle), message_id, self.clock.now()):
            raise NotFound("besked", str(message_id), f" i {handle}s indbakke")
