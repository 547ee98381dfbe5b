"""The ports' dataclasses (and the case view of `drejebog case show`) read from table rows,
each mapping written once for the SQL store (which passes a result row's `._mapping`) and the
in-memory store (whose rows are dicts). The keys are the column names of store/tables.py."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from drejebog.app.ports import ClaimedMessage, InboxMessage, OutboxEntry, TaskView
from drejebog.app.recipients import StaffMember
from drejebog.engine.cpr import mask_cpr_in_text
from drejebog.engine.deadlines import local_date
from drejebog.engine.names import danish_status
from drejebog.store.citizen_numbers import shown_cpr

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

# a row from either store: RowMapping's keys are typed Any
TableRow = Mapping[Any, Any]
T = TypeVar("T", bound="DataclassInstance")


def staff_member(row: TableRow) -> StaffMember:
    """A worker row as the recipients' directory and the digest see it."""
    return StaffMember(
        id=row["id"],
        handle=row["handle"],
        name=row["name"],
        email=row["email"],
        role=row["role"],
        leader_id=row["leader_id"],
        active=bool(row["active"]),
    )


def _reader(cls: type[T], **columns: str) -> Callable[[TableRow], T]:
    """A function reading a `cls` from a row, each field from the column of its name, or of
    the name given in `columns`; the field list is the dataclass's, written nowhere else."""
    pairs = tuple((f.name, columns.get(f.name, f.name)) for f in fields(cls))

    def read(row: TableRow) -> T:
        return cls(**{name: row[column] for name, column in pairs})

    read.__doc__ = f"A {cls.__name__} read from a row."
    return read


claimed_message = _reader(ClaimedMessage, text="body_text")
outbox_entry = _reader(OutboxEntry)
inbox_message = _reader(InboxMessage, text="body_text")


def task_view(row: TableRow, today: date) -> TaskView:
    """An open task as the task lists show it: a task row with its citizen's name (`citizen`)
    and its worker's handle (`worker`, None if nobody holds the role), days counted from
    `today`."""
    due: date | None = row["due_date"]
    return TaskView(
        row["id"],
        row["case_id"],
        row["citizen"],
        row["rule"],
        row["title"],
        row["role"],
        row["worker"],
        due,
        (due - today).days if due else None,
        row["optional"],
    )


@dataclass(frozen=True)
class CaseRows:
    """What `drejebog case show` reads of one case, in the order it shows them: the case row
    with its citizen's `name` and `cpr` and its version's `version` and `title`, the
    assignments (`role`, the worker's `handle` and `name`) by role, the pending timers by due
    time, the tasks by creation, the history rows by seq."""

    case: TableRow
    assignments: Iterable[TableRow]
    timers: Iterable[TableRow]
    tasks: Iterable[TableRow]
    history: Iterable[TableRow]


def case_view(rows: CaseRows, now: datetime) -> dict[str, Any]:
    """Everything `drejebog case show` prints, as JSON-safe data (CPR masked)."""
    case = rows.case
    return {
        "sag": case["id"],
        "borger": {"navn": case["name"], "cpr": shown_cpr(case["cpr"])},
        "drejebog": {"id": case["drejebog_id"], "version": case["version"], "titel": case["title"]},
        "tilstand": case["state"],
        "åbnet": case["opened_at"].isoformat(),
        "afsluttet": case["closed_at"].isoformat() if case["closed_at"] else None,
        "fakta": case["facts"],
        "tildelt": [
            {"rolle": a["role"], "medarbejder": a["handle"], "navn": a["name"]}
            for a in rows.assignments
        ],
        "frister": _deadlines(case["runtime"] or {}, local_date(now)),
        # deadlines counted from a fact an event cleared (`ryd`): no due date until it is set
        "venter": sorted(
            name
            for name, rule in (case["runtime"] or {}).get("open_rules", {}).items()
            if not rule.get("due")
        ),
        "pligter": _duties(case["runtime"] or {}),
        "kommende": [
            {
                "regel": t["rule"],
                "trin": t["step"],
                "type": t["kind"],
                "til": t["roles"],
                "tidspunkt": t["due_at"].isoformat(),
            }
            for t in rows.timers
        ],
        "opgaver": [
            {
                "opgave": t["rule"],
                "titel": t["title"],
                "rolle": t["role"],
                "status": danish_status(t["status"]),
                "frist": t["due_date"].isoformat() if t["due_date"] else None,
            }
            for t in rows.tasks
        ],
        "forløb": [_history_entry(h) for h in rows.history],
    }


def _deadlines(runtime: Mapping[str, Any], today: date) -> list[dict[str, Any]]:
    """The open rules with a due date, soonest first, with the days left from `today`."""
    open_rules = sorted(runtime.get("open_rules", {}).items(), key=lambda i: i[1]["due"] or "")
    return [
        {
            "regel": name,
            "frist": rule["due"],
            "dage_tilbage": (date.fromisoformat(rule["due"]) - today).days,
            # why the calendar moved the due date, as it said when the rule was planned
            "flyttet": rule.get("moved"),
        }
        for name, rule in open_rules
        if rule.get("due")
    ]


def _duties(runtime: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The running recurring duties: how many occurrences in a row are missing now."""
    return [
        {"pligt": name, "mangler_i_træk": int(cycle.get("in_a_row", 0))}
        for name, cycle in sorted(runtime.get("cycles", {}).items())
    ]


def _history_entry(row: TableRow) -> dict[str, Any]:
    """A history row as `case show` lists it: an assignment ('tildeling') with its role, from
    whom and to whom; any manual change with its reason (CPR-shaped numbers masked)."""
    data = row["data"] or {}
    reason = data.get("begrundelse")
    entry = {
        "nr": row["seq"],
        "tidspunkt": row["at"].isoformat(),
        "af": row["actor"],
        "type": row["kind"],
        "hændelse": row["event"],
        "fra": row["from_state"],
        "til": row["to_state"],
        "data": data.get("data", {}),
        "id": row["event_id"],
        "begrundelse": mask_cpr_in_text(reason) if reason else None,
    }
    if row["kind"] == "tildeling":
        entry["tildeling"] = {key: data.get(key) for key in ("rolle", "fra", "til")}
    return entry
