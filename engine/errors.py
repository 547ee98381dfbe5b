"""Every error drejebog raises on purpose.

    DrejebogError                 root; `retryable` says whether trying again can help
    ├── DrejebogInvalid           a drejebog (or scenario) file has problems: `.problems`
    ├── NotFound                  an unknown case, worker, citizen or drejebog (version)
    ├── ConcurrencyConflict       someone else changed the case first; retrying can help
    ├── StoreError                the database failed; `retryable` tells whether to retry
    ├── CaseError                 an event or timer cannot be applied to a case
    │   ├── UnknownEvent          the drejebog has no such event
    │   ├── EventNotAllowed       the event exists, but not from the case's current state
    │   ├── GuardRejected         the event's condition is false for the case's facts
    │   ├── BadEventData          missing, unknown or malformed event data
    │   ├── EventIdReused         an event id already used for another case or event
    │   ├── MissingAnchor         a deadline counts from a date fact the case does not have
    │   └── MigrationRefused      a running case has no place in the new drejebog version
    ├── DurationError             [engine.durations] a duration that cannot be read (*)
    ├── ExpressionSyntaxError     [engine.expressions] a condition that cannot be read (*)
    ├── FactValueError            [engine.facts] a value that does not fit its fact's type (*)
    ├── InvalidCpr                [engine.cpr] not a valid CPR number; never echoes it (*)
    ├── BudgetExceeded            [engine.budget] a template or guard went over a budget
    ├── SettingsError             [app.settings] a DREJEBOG_* setting is malformed (*)
    ├── AdminError                [app.admin] a worker or citizen cannot be added as given
    ├── ImportLineError           [app.event_import] a line of an import file is no event
    ├── InsightDenied             [app.insight] only a leder or administrator may ask (*)
    ├── TokenError                [app.api_tokens] an API token or feed cannot be made as asked
    ├── ImportFailed              [cli.import_commands] an import file cannot be read
    ├── ExportNotWritten          [cli.insight_commands] an insight export's file cannot be written
    ├── ReportError               [app.kpi] a KPI report cannot be made as asked (its period)
    ├── DeliveryError             [notifications.channels] a channel failed; retryable
    │   └── Undeliverable         [notifications.channels] the message can never be sent
    └── DaemonLocked              [cli.daemon] another daemon holds the SQLite database

A class lives where its layer needs it ([module] under drejebog; none: this module): the
engine's own here or beside the code that raises it, an outer layer's in that layer, always
below DrejebogError, so the CLI, the daemon and the coming web app catch one root.
(*) also a ValueError, so code that catches ValueError around parsing still does
(InsightDenied: a PermissionError). DurationError,
ExpressionSyntaxError and FactValueError are usually translated on the way out, with the
file:line:column (DrejebogInvalid) or the case and event (BadEventData) added; they are in
the tree because a caller of the engine (the coming web app's forms, a stored fact read
back by engine/codec.py) can meet them directly. tests/test_errors.py keeps this drawing
and the classes in step.

Messages are Danish (case workers and projektledere read them) and carry the identifiers:
the case, the event, the state, and file:line:column for YAML.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One finding in a file, printed as `file:line:column: message` (line, column 1-based)."""

    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


class DrejebogError(Exception):
    retryable = False


class DrejebogInvalid(DrejebogError):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems)
        count = len(self.problems)
        noun = "problem" if count == 1 else "problemer"
        lines = "\n".join(str(p) for p in self.problems)
        super().__init__(f"{count} {noun}:\n{lines}")


class NotFound(DrejebogError):
    def __init__(self, what: str, name: str, hint: str = "") -> None:
        self.what = what
        self.name = name
        super().__init__(f"ukendt {what} '{name}'{hint}")


class ConcurrencyConflict(DrejebogError):
    """Someone else changed the cases first. `case_ids` are their ids (as data, each once,
    in number order); only the message shortens a long list ('17, 18, 19, 20, 21 og 495
    andre')."""

    retryable = True

    def __init__(self, *case_ids: object) -> None:
        self.case_ids = ordered_ids(case_ids)
        super().__init__(
            f"sag {shown(self.case_ids)}: sagen blev ændret af en anden samtidig; "
            "intet er gemt, prøv igen"
        )

    @property
    def case_id(self) -> str:
        """The case, for a conflict on one case (on several: the first of them)."""
        return self.case_ids[0] if self.case_ids else ""


_SHOWN_IDS = 5


def ordered_ids(case_ids: Iterable[object]) -> tuple[str, ...]:
    """Case ids as text, each once, in number order (shorter first, then by digits)."""
    if isinstance(case_ids, str):  # one id given as a sequence would be split into digits
        raise TypeError("case ids must be a collection of ids, not one string")
    return tuple(sorted({str(case_id) for case_id in case_ids}, key=lambda i: (len(i), i)))


def shown(case_ids: Iterable[object]) -> str:
    """Case ids for a message: '17', '17, 18' or '17, 18, 19, 20, 21 og 495 andre'."""
    ids = ordered_ids(case_ids)
    if len(ids) <= _SHOWN_IDS:
        return ", ".join(ids)
    return f"{', '.join(ids[:_SHOWN_IDS])} og {len(ids) - _SHOWN_IDS} andre"


class StoreError(DrejebogError):
    def __init__(self, message: str, retryable: bool = False) -> None:
        self.retryable = retryable
        super().__init__(message)


class CaseError(DrejebogError):
    def __init__(self, case_id: str, message: str) -> None:
        self.case_id = case_id
        super().__init__(f"sag {case_id}: {message}")


class UnknownEvent(CaseError):
    def __init__(self, case_id: str, event: str) -> None:
        self.event = event
        super().__init__(case_id, f"ukendt hændelse '{event}'")


class EventNotAllowed(CaseError):
    def __init__(self, case_id: str, event: str, state: str, allowed_from: list[str]) -> None:
        self.event = event
        self.state = state
        where = ", ".join(allowed_from) if allowed_from else "ingen tilstande"
        super().__init__(
            case_id,
            f"hændelsen '{event}' er ikke tilladt i tilstanden '{state}' (kun fra: {where})",
        )


class GuardRejected(CaseError):
    def __init__(self, case_id: str, event: str, condition: str) -> None:
        self.event = event
        self.condition = condition
        super().__init__(
            case_id, f"hændelsen '{event}' blev afvist: betingelsen '{condition}' er ikke opfyldt"
        )


class BadEventData(CaseError):
    def __init__(self, case_id: str, event: str, problem: str) -> None:
        self.event = event
        super().__init__(case_id, f"hændelsen '{event}': {problem}")


class MissingAnchor(CaseError):
    def __init__(self, case_id: str, rule: str, fact: str) -> None:
        self.rule = rule
        self.fact = fact
        super().__init__(
            case_id, f"'{rule}' regnes fra faktum '{fact}', men sagen har ingen dato i '{fact}'"
        )


class EventIdReused(CaseError):
    def __init__(self, case_id: str, event_id: str, used_for: str) -> None:
        self.event_id = event_id
        super().__init__(case_id, f"hændelses-id '{event_id}' er allerede brugt til {used_for}")


class MigrationRefused(CaseError):
    pass
