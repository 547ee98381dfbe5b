"""Retention: a closed case's personal data is removed once the drejebog's `opbevaring`
(default five years) has passed since the case closed.

What goes: facts of type `tekst` (free text), the history rows' event data, reasons and
message receipts (who was told what), event ids (they may be another system's references),
the subject and text of every message of the case and a citizen's e-mail address or phone
number on them, and, once none of the citizen's cases is kept any longer, the citizen's CPR
number, name, e-mail and phone. What stays, for the KPIs and the audit: the case row (its
drejebog, version, state, dates and its date, choice, yes/no and number facts), every history
row's kind, time, actor, event and states with the engine's records and rule results
(milestones and deadline outcomes), tasks and timers (rule names, dates, outcomes) and the
access log. One history row `anonymiseret` per case says when and under which period.

The daemon runs it in batches; `drejebog retention --dry-run` lists what would go.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time

from drejebog.app.ports import SYSTEM_ACTOR, DueCase, Removed, RetentionStore
from drejebog.engine.calendar import WorkingCalendar
from drejebog.engine.clock import Clock
from drejebog.engine.deadlines import local_date, local_instant, subtract_duration
from drejebog.engine.model import Drejebog, FactType

MAX_BATCH = 5_000
MAX_LISTED = 100_000  # cases a dry run lists per drejebog version
_CALENDAR = WorkingCalendar()


@dataclass
class RetentionReport:
    due: list[DueCase] = field(default_factory=list)  # with dry_run: what would go
    removed: Removed = field(default_factory=Removed)


def closed_before(drejebog: Drejebog, now: datetime) -> datetime:
    """Cases closed before this instant are due: closed on a local date D, a case's data is
    kept through D + opbevaring and goes from the day after (Europe/Copenhagen)."""
    last_kept_day = subtract_duration(local_date(now), drejebog.retention, _CALENDAR)
    return local_instant(last_kept_day, time(0, 0))


def kept_facts(drejebog: Drejebog) -> frozenset[str]:
    return frozenset(f.id for f in drejebog.facts.values() if f.type is not FactType.TEXT)


class Retention:
    def __init__(self, store: RetentionStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def run(
        self, batch: int = 500, dry_run: bool = False, limit: int | None = None
    ) -> RetentionReport:
        """Anonymise every due case (at most `limit`), `batch` cases per transaction; with
        `dry_run` only list them."""
        if not 1 <= batch <= MAX_BATCH:
            raise ValueError(f"en portion skal være 1-{MAX_BATCH} sager, ikke {batch}")
        now = self._clock.now()
        report = RetentionReport()
        for version_key in self._store.versions_with_kept_closed_cases():
            drejebog = self._store.drejebog_version(version_key)
            cutoff = closed_before(drejebog, now)
            keep = kept_facts(drejebog)
            if dry_run:  # nothing changes: one page per version, as many as may be shown
                room = MAX_LISTED if limit is None else limit - len(report.due)
                report.due.extend(self._store.due_cases(version_key, cutoff, room))
                continue
            while limit is None or len(report.due) < limit:
                room = batch if limit is None else min(batch, limit - len(report.due))
                due = self._store.due_cases(version_key, cutoff, room)
                if not due:
                    break
                report.due.extend(due)
                self._anonymise(due, keep, drejebog, now, report.removed)
        return report

    def _anonymise(
        self,
        due: list[DueCase],
        keep: frozenset[str],
        drejebog: Drejebog,
        now: datetime,
        removed: Removed,
    ) -> None:
        note: dict[str, object] = {"opbevaring": str(drejebog.retention)}
        done = self._store.anonymise(
            {case.case_id: keep for case in due},
            now,
            SYSTEM_ACTOR,
            {case.case_id: {**note, "lukket": case.closed_at.isoformat()} for case in due},
        )
        removed.cases += done.cases
        removed.facts += done.facts
        removed.history_rows += done.history_rows
        removed.messages += done.messages
        removed.citizens += done.citizens
