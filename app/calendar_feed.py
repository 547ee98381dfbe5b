"""A worker's private calendar feed: their open tasks' deadlines as an iCalendar (RFC 5545)
file at a secret URL, so they appear in Outlook (or any calendar that subscribes to a URL).

The URL's secret is 256 random bits, shown once when made; the store keeps its SHA-256 digest
only, one per worker. A new URL replaces the old one; revoking deletes it, and the old URL
answers 404 at once.

What the feed holds: one all-day event per open task with a due date (a deadline is a day in
Copenhagen, engine/deadlines.py; an all-day DATE value is that day wherever the calendar is),
with a UID made of the task's key, so a calendar updates the same entry when the due date
moves. The summary is the task's title and the case's number; no citizen's name and no CPR
number (a calendar is synced to phones): every text is masked besides. DTSTAMP is UTC.

Making and revoking a URL is logged (actions `calendar_url_made`, `calendar_url_revoked`) with
the worker and where it was done from (the CLI, or the web page's address); never the secret.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta

from icalendar import Calendar, Event

from drejebog.app.api_tokens import TokenError, digest
from drejebog.app.ports import CalendarFeedStore, TaskView
from drejebog.app.reports import Reports
from drejebog.engine.clock import Clock
from drejebog.engine.cpr import mask_cpr_in_text
from drejebog.engine.shown import shown_name

FEED_PATH = "/kalender/"  # + secret + FEED_SUFFIX, on the web app
FEED_SUFFIX = ".ics"
MAX_SECRET = 100
MAX_EVENTS = 2000  # tasks in one feed (soonest first)
UID_DOMAIN = "drejebog"
log = logging.getLogger(__name__)


def _event(task: TaskView, stamp: object, base_url: str) -> Event:
    assert task.due_date is not None
    event = Event()
    event.add("uid", f"opgave-{task.id}@{UID_DOMAIN}")
    event.add("dtstamp", stamp)
    event.add("dtstart", task.due_date)  # a date: an all-day event on the due day
    event.add("dtend", task.due_date + timedelta(days=1))
    event.add("summary", mask_cpr_in_text(f"Frist: {task.title} (sag {task.case_id})"))
    event.add(
        "description",
        mask_cpr_in_text(f"Opgave '{task.rule}' som {task.role} på sag {task.case_id}."),
    )
    if base_url:
        event.add("url", f"{base_url.rstrip('/')}/sag/{task.case_id}")
    event.add("transp", "TRANSPARENT")  # a deadline does not make the worker busy
    return event


class CalendarFeeds:
    def __init__(self, store: CalendarFeedStore, reports: Reports, clock: Clock) -> None:
        self._store = store
        self._reports = reports
        self._clock = clock

    def new_secret(self, handle: str, source: str = "cli") -> str:
        """A new secret for the worker's feed (any earlier one stops working). Raises
        NotFound for an unknown worker."""
        secret = secrets.token_urlsafe(32)
        self._store.set_feed(handle, digest(secret), self._clock.now())
        log.info(
            "ny kalender-URL",
            extra={"action": "calendar_url_made", "handle": handle, "source": source[:64]},
        )
        return secret

    def revoke(self, handle: str, source: str = "cli") -> None:
        if not self._store.remove_feed(handle):
            raise TokenError(f"'{shown_name(handle)}' har ingen kalender-URL")
        log.info(
            "kalender-URL tilbagekaldt",
            extra={"action": "calendar_url_revoked", "handle": handle, "source": source[:64]},
        )

    def made(self, handle: str) -> datetime | None:
        """When the worker's URL was made (None: they have none)."""
        return self._store.feed_made(handle)

    def owner(self, secret: str) -> str | None:
        if not secret or len(secret) > MAX_SECRET:
            return None
        return self._store.feed_owner(digest(secret))

    def feed(self, secret: str, base_url: str = "") -> bytes | None:
        """The worker's feed as iCalendar bytes; None for a secret that is nobody's."""
        handle = self.owner(secret)
        if handle is None:
            return None
        calendar = Calendar()
        calendar.add("prodid", "-//drejebog//frister//DA")
        calendar.add("version", "2.0")
        calendar.add("calscale", "GREGORIAN")
        calendar.add("x-wr-calname", f"Frister for {handle}")
        calendar.add("x-wr-timezone", "Europe/Copenhagen")
        stamp = self._clock.now()
        tasks = [t for t in self._reports.open_tasks(worker=handle) if t.due_date is not None]
        for task in tasks[:MAX_EVENTS]:
            calendar.add_component(_event(task, stamp, base_url))
        return bytes(calendar.to_ical())
