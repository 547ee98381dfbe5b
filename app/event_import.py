"""Import events from another system: a JSON Lines file, one event per line.

Each event is checked exactly as one typed with `drejebog case event` (CaseService.apply_within:
the same refusals, the same history row, the same task messages), but a batch of events shares
one transaction, which is what makes an import fast. A refused event is reported with its line
number and the rest of the batch lands: every refusal (an unknown case, event or id reused, a
state or guard that does not allow it, bad data) is raised by `apply_within` before it writes
anything, and what can fail after a write (a lost race, the database) fails the whole batch.
No savepoint is needed for that, and none is paid for (a fifth of an event's time).
An event id is required and makes the import idempotent: importing the same file twice changes
nothing the second time. A lost race with another writer (the daemon firing a timer on a case
in the batch) rolls the batch back and runs it again; events applied before are then recognised
by their id.

A line is at most MAX_LINE bytes and holds one JSON object:

    {"id": "fagsystem-123", "sag": "17", "hændelse": "moede_holdt",
     "data": {"rehab_moede": "2027-03-01"}, "begrundelse": "fra fagsystemet"}

`data` maps fact names to scalars (text, number, ja/nej as true/false, null); nothing nested.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from drejebog.app.cases import CaseService, check_event_id, checked_reason
from drejebog.app.ports import CaseUnitOfWork
from drejebog.engine.clock import Clock
from drejebog.engine.errors import ConcurrencyConflict, DrejebogError, StoreError

MAX_LINE = 64 * 1024  # bytes of one line; an event is a few hundred
MAX_BATCH = 10_000  # events in one transaction
MAX_REFUSALS_KEPT = 100  # refusals kept for the report; the rest are only counted
MAX_BATCH_ATTEMPTS = 5  # a batch that keeps losing races is given up, not spun on
FIELDS = {"id", "sag", "hændelse", "data", "begrundelse"}


class ImportLineError(DrejebogError):
    """A line of an import file that is not an event: its number and what is wrong."""

    def __init__(self, line: int, message: str) -> None:
        self.line = line
        super().__init__(f"linje {line}: {message}")


@dataclass(frozen=True)
class ImportedEvent:
    line: int
    event_id: str
    case_id: str
    event: str
    data: dict[str, object]
    reason: str | None


@dataclass
class ImportSummary:
    applied: int = 0
    already: int = 0  # the event id was applied before (an earlier import, or this one twice)
    refused: int = 0
    refusals: list[str] = field(default_factory=list)  # 'linje N: ...', the first ones

    def refuse(self, message: str) -> None:
        self.refused += 1
        if len(self.refusals) < MAX_REFUSALS_KEPT:
            self.refusals.append(message)


def _text(line: int, name: str, value: object, required: bool = True) -> str | None:
    if value is None and not required:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and name == "sag":
        value = str(value)
    if not isinstance(value, str) or (required and not value.strip()):
        raise ImportLineError(line, f"'{name}' skal være en tekst, der ikke er tom")
    _check_storable(line, name, value)
    return value


def _check_storable(line: int, name: str, value: str) -> None:
    """Text a database can keep: JSON's \\ud800 escapes give halves of characters that UTF-8
    cannot encode, and PostgreSQL refuses the character NUL."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ImportLineError(
            line, f"'{name}' indeholder et ugyldigt tegn (en halv surrogat)"
        ) from None
    if "\x00" in value:
        raise ImportLineError(line, f"'{name}' indeholder tegnet NUL")


def _data(line: int, value: object) -> dict[str, object]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ImportLineError(line, "'data' skal være et objekt med navn: værdi")
    data: dict[str, object] = {}
    for name, item in value.items():
        _check_storable(line, "data", name)
        if isinstance(item, dict | list):
            raise ImportLineError(
                line, f"data '{name}' skal være en enkelt værdi, ikke {_kind(item)}"
            )
        if isinstance(item, float) and not math.isfinite(item):
            raise ImportLineError(line, f"data '{name}' er ikke et endeligt tal")
        if isinstance(item, str):
            _check_storable(line, f"data '{name}'", item)
        data[name] = item
    return data


def _kind(item: object) -> str:
    return "en liste" if isinstance(item, list) else "et objekt"


def parse_line(number: int, raw: bytes) -> ImportedEvent | None:
    """One line as an event; None for a blank line; ImportLineError for anything else."""
    if len(raw) > MAX_LINE:
        raise ImportLineError(number, f"linjen er {len(raw)} bytes; højst {MAX_LINE} er tilladt")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ImportLineError(
            number, f"linjen er ikke UTF-8-tekst (byte {exc.start + 1} kan ikke læses)"
        ) from None
    if not text.strip():
        return None
    try:
        parsed = json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        raise ImportLineError(number, "linjen er indlejret for dybt") from None
    except ValueError as exc:
        position = getattr(exc, "colno", None)
        where = f" (kolonne {position})" if position else ""
        raise ImportLineError(number, f"linjen er ikke gyldig JSON{where}") from None
    if not isinstance(parsed, dict):
        raise ImportLineError(number, 'linjen skal være et JSON-objekt: {"id": ..., ...}')
    unknown = sorted(set(parsed) - FIELDS)
    if unknown:
        raise ImportLineError(
            number,
            f"ukendte felter {', '.join(unknown)} (kendte: {', '.join(sorted(FIELDS))})",
        )
    event_id = _text(number, "id", parsed.get("id"))
    case_id = _text(number, "sag", parsed.get("sag"))
    event = _text(number, "hændelse", parsed.get("hændelse"))
    reason = _text(number, "begrundelse", parsed.get("begrundelse"), required=False)
    assert event_id is not None and case_id is not None and event is not None
    data = _data(number, parsed.get("data"))
    return ImportedEvent(number, event_id, case_id, event, data, reason)


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} er ikke et tal i JSON")


def read_events(
    lines: Iterable[bytes], summary: ImportSummary, progress: Callable[[int], None]
) -> Iterator[ImportedEvent]:
    """The file's events in order; a line that is not an event is refused in `summary` and
    skipped. `progress` is told the bytes read."""
    for number, raw in enumerate(lines, start=1):
        progress(len(raw))
        try:
            imported = parse_line(number, raw.rstrip(b"\r\n"))
        except ImportLineError as exc:
            summary.refuse(str(exc))
            continue
        if imported is not None:
            yield imported


class EventImport:
    def __init__(
        self,
        cases: CaseService,
        unit_of_work: Callable[[], CaseUnitOfWork],
        clock: Clock,
    ) -> None:
        self._cases = cases
        self._unit_of_work = unit_of_work
        self._clock = clock

    def run(
        self,
        events: Iterable[ImportedEvent],
        actor: str,
        summary: ImportSummary,
        batch_size: int = 1000,
    ) -> ImportSummary:
        if not 1 <= batch_size <= MAX_BATCH:
            raise StoreError(f"en portion skal være 1-{MAX_BATCH} hændelser, ikke {batch_size}")
        batch: list[ImportedEvent] = []
        for imported in events:
            batch.append(imported)
            if len(batch) == batch_size:
                self._run_batch(batch, actor, summary)
                batch = []
        if batch:
            self._run_batch(batch, actor, summary)
        return summary

    def _run_batch(self, batch: list[ImportedEvent], actor: str, summary: ImportSummary) -> None:
        for attempt in range(1, MAX_BATCH_ATTEMPTS + 1):
            outcome = ImportSummary()
            try:
                self._apply_batch(batch, actor, outcome)
            except ConcurrencyConflict:
                if attempt == MAX_BATCH_ATTEMPTS:
                    raise
                continue
            summary.applied += outcome.applied
            summary.already += outcome.already
            for message in outcome.refusals:
                summary.refuse(message)
            summary.refused += outcome.refused - len(outcome.refusals)
            return

    def _apply_batch(self, batch: list[ImportedEvent], actor: str, outcome: ImportSummary) -> None:
        now = self._clock.now()  # the batch's transaction: one instant for all its events
        with self._unit_of_work() as uow:
            for imported in batch:
                try:
                    reason = checked_reason(imported.case_id, imported.reason)
                    check_event_id(imported.case_id, imported.event_id)
                    result = self._cases.apply_within(
                        uow,
                        imported.case_id,
                        imported.event,
                        imported.data,
                        actor,
                        imported.event_id,
                        True,
                        reason,
                        now,
                    )
                except (ConcurrencyConflict, StoreError):
                    raise  # the batch as a whole: retried, or the import stops
                except DrejebogError as exc:
                    outcome.refuse(f"linje {imported.line}: {exc}")
                    continue
                if result.applied:
                    outcome.applied += 1
                else:
                    outcome.already += 1
            uow.commit()
