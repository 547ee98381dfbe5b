"""The Danish names of the kinds of things that happen to a case, as people see them.

One table: the CLI's timeline, the case history, the demo's summary and `TimerKind.danish`
all name a kind from here, so a kind is never called two things. The keys are the words the
engine records and the store keeps (`Record.kind`, `TimerKind.value`, the outbox's `kind`).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

KIND_NAMES: Mapping[str, str] = MappingProxyType(
    {
        "state": "tilstand",  # the case entered a state
        "task": "opgave",
        "milestone": "milepæl",
        "reminder": "påmindelse",
        "escalation": "eskalering",
        "checkin_missing": "mangler",  # a recurring check-in did not come
        "misses_in_a_row": "mangler i træk",  # a duty missed N times in a row
        "checkin": "tilbagemelding",  # a report-back on a fixed duty: til tiden / for sent
        "miss_resolved": "mangel løst",  # a miss resolved without a report-back
        "appointment": "aftale",  # a `tidspunkt` booked, moved or cancelled (`ryd`)
        "deadline_started": "ny frist",  # an event started a deadline (`frister` on it)
        "at_least": "for få",  # a `mindst` rule's period ended with too few events
        "at_least_met": "antal nået",  # ... with enough events (no message)
        "digest": "dagens overblik",  # the daily overview (an outbox kind, not a record)
    }
)


def danish_kind(kind: str) -> str:
    """The Danish name of a kind; an unknown kind is shown as it is."""
    return KIND_NAMES.get(kind, kind)


STATUS_NAMES = {
    # a task
    "open": "åben",
    "done": "udført",
    "lapsed": "bortfaldet",
    # a message in the outbox
    "pending": "venter",
    "sent": "sendt",
    "dead": "opgivet",
    # a timer
    "fired": "fyret",
    "cancelled": "annulleret",
}
"""What the store's status codes are called where people read them (CLI, reports, exports)."""


def danish_status(status: str) -> str:
    """The Danish name of a stored status; an unknown one is shown as it is."""
    return STATUS_NAMES.get(status, status)
