"""Time to a milestone when some cases have not reached it yet: the Kaplan-Meier estimate.

A case that has reached the milestone after t days is an event at t. A case that has not
(still open, or closed without it) is censored at the days it has been watched: it tells us
only that its time is longer than that. Leaving censored cases out, or counting them as if
the milestone happened when we stopped watching, both make the time look shorter than it is.

The estimate: walk the times in order; at each time with d events among the r cases still
watched, the share still without the milestone is multiplied by (1 - d/r); cases censored at
a time are still watched at that time (events first, the usual convention). The median is the
first time at which that share is 0.5 or less; when it never gets there (fewer than half have
reached the milestone, counting the censored fairly), there is no median yet: None.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable


def kaplan_meier_median(times: Iterable[tuple[int, bool, int]]) -> int | None:
    """The median of (time, reached?, how many cases) rows; None while it is not reached."""
    events: dict[int, int] = defaultdict(int)
    leaving: dict[int, int] = defaultdict(int)
    for time, observed, count in times:
        if observed:
            events[time] += count
        leaving[time] += count
    at_risk = sum(leaving.values())
    surviving = 1.0
    for time in sorted(leaving):
        if events[time] and at_risk:
            surviving *= 1 - events[time] / at_risk
            if surviving <= 0.5:
                return time
        at_risk -= leaving[time]
    return None
