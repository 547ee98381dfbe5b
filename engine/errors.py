"""Every error drejebog raises on purpose.

    DrejebogError                 root; `retryable` says whether trying again can help
    ├── DrejebogInvalid           a drejebog (or scenario) file has problems: `.problems`
    └── CaseError                 an event or timer cannot be applied to a case
        ├── UnknownEvent          the drejebog has no such event
        ├── EventNotAllowed       the event exists, but not from the case's current state
        ├── GuardRejected         the event's condition is false for the case's facts
        ├── BadEventData          missing, unknown or malformed event data
        └── MissingAnchor         a deadline counts from a date fact the case does not have

Messages are Danish (case workers and projektledere read them) and carry the identifiers:
the case, the event, the state, and file:line:column for YAML.
"""

from __future__ import annotations

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
