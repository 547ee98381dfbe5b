"""A case snapshot as JSON-safe data and back: what the store keeps in the case row."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from drejebog.engine.facts import convert_fact
from drejebog.engine.model import Drejebog
from drejebog.engine.runtime import CaseSnapshot, Cycle, OpenRule


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _parse_day(value: Any) -> date | None:
    return date.fromisoformat(value) if value else None


def facts_to_json(facts: dict[str, object] | Any) -> dict[str, object]:
    return {
        name: value.isoformat() if isinstance(value, date) else value
        for name, value in facts.items()
        if value is not None
    }


def facts_from_json(drejebog: Drejebog, data: dict[str, Any]) -> dict[str, object]:
    facts: dict[str, object] = {name: None for name in drejebog.facts}
    for name, value in data.items():
        fact = drejebog.facts.get(name)
        # a fact the (new) drejebog version no longer declares is kept as it was stored
        facts[name] = convert_fact(fact, value) if fact is not None else value
    for counter in drejebog.counting:  # a counting fact is 0 until its first event
        if facts.get(counter) is None:
            facts[counter] = 0
    return facts


def runtime_to_json(case: CaseSnapshot) -> dict[str, object]:
    def rule(r: OpenRule) -> dict[str, object]:
        data: dict[str, object] = {
            "occurrence": r.occurrence,
            "anchor": _day(r.anchor),
            "due": _day(r.due_date),
        }
        # why the calendar moved the due date (`case show`); written only when it did
        if r.moved:
            data["moved"] = r.moved
        if r.count_from:  # a `mindst` rule's counter when it started; written when not 0
            data["count_from"] = r.count_from
        return data

    return {
        "plan_seq": case.plan_seq,
        "open_rules": {name: rule(r) for name, r in case.open_rules.items()},
        "open_tasks": {name: rule(r) for name, r in case.open_tasks.items()},
        "cycles": {name: _cycle_to_json(c) for name, c in case.cycles.items()},
    }


_CYCLE_COUNTS = ("settled", "missed", "resolved", "in_a_row")
"""What a cycle remembers of its occurrences (engine/runtime.py `Cycle`); written only when
not 0, so a cycle that never had one reads and writes as before."""


def _cycle_to_json(cycle: Cycle) -> dict[str, object]:
    data: dict[str, object] = {"occurrence": cycle.occurrence, "anchor": cycle.anchor.isoformat()}
    for name in _CYCLE_COUNTS:
        if getattr(cycle, name):
            data[name] = getattr(cycle, name)
    return data


def _cycle_from_json(name: str, data: dict[str, Any]) -> Cycle:
    counts = {count: int(data.get(count, 0)) for count in _CYCLE_COUNTS}
    return Cycle(name, data["occurrence"], date.fromisoformat(data["anchor"]), **counts)


def snapshot_from_json(
    drejebog: Drejebog,
    case_id: str,
    state: str,
    facts: dict[str, Any],
    runtime: dict[str, Any],
    entered_at: datetime,
    citizen_name: str = "",
) -> CaseSnapshot:
    def rules(data: dict[str, Any]) -> dict[str, OpenRule]:
        return {
            name: OpenRule(
                name,
                r["occurrence"],
                _parse_day(r["anchor"]),
                _parse_day(r["due"]),
                r.get("moved"),
                int(r.get("count_from", 0)),
            )
            for name, r in data.items()
        }

    return CaseSnapshot(
        id=case_id,
        state=state,
        facts=facts_from_json(drejebog, facts),
        entered_at=entered_at,
        plan_seq=int(runtime.get("plan_seq", 0)),
        open_rules=rules(runtime.get("open_rules", {})),
        open_tasks=rules(runtime.get("open_tasks", {})),
        cycles={name: _cycle_from_json(name, c) for name, c in runtime.get("cycles", {}).items()},
        citizen_name=citizen_name,
    )
