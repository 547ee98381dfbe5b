"""What case workers and leaders look at (a case in full, the open tasks) and what the
jobcenter demo counts: read-only use cases over the `CaseReads` and `DeliveryStatistics`
ports (store/reads.py)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection
from typing import Any

from drejebog.app.cases import suggestion
from drejebog.app.ports import CaseReads, DeliveryStatistics, TaskView
from drejebog.engine.clock import Clock
from drejebog.engine.deadlines import local_date
from drejebog.engine.errors import NotFound
from drejebog.engine.shown import shown_name

SAMPLE_KINDS = ("reminder", "escalation", "checkin_missing", "digest")


class Reports:
    def __init__(self, reads: CaseReads, clock: Clock) -> None:
        self.reads = reads
        self.clock = clock

    def case_details(self, case_id: str) -> dict[str, Any]:
        """Everything `drejebog case show` prints, as of now. Raises NotFound."""
        return self.reads.case_details(case_id, self.clock.now())

    def open_tasks(
        self,
        worker: str | None = None,
        role: str | None = None,
        overdue: bool = False,
        known_roles: Collection[str] | None = None,
    ) -> list[TaskView]:
        """Open tasks (a worker's, a role's, or all; only overdue ones if asked), soonest
        deadline first, counted from today in Copenhagen. A role that is not among
        `known_roles` (when given) is NotFound, naming the known ones: a mistyped role
        would otherwise look like a role without open tasks."""
        if role is not None and known_roles is not None and role not in known_roles:
            known = sorted(known_roles)
            raise NotFound(
                "rolle",
                shown_name(role),
                f"{suggestion(role, known)}; kendte roller: {', '.join(known)}",
            )
        return self.reads.open_tasks(local_date(self.clock.now()), worker, role, overdue)


def deadlines_met(stats: DeliveryStatistics) -> dict[str, Counter[str]]:
    """Per rule, how many deadlines were met in time and how many late."""
    results: dict[str, Counter[str]] = defaultdict(Counter)
    for result in stats.event_results():
        if result["outcome"] == "opfyldt" and result["in_time"] is not None:
            results[result["rule"]]["rettidigt" if result["in_time"] else "for sent"] += 1
    return results


def summarize(stats: DeliveryStatistics, cases: int, refused: Counter[str]) -> dict[str, Any]:
    """The demo's summary: what fired by kind and role, digests, a sample of each kind,
    deadlines met and late, escalations to the leder, events the drejebog refused."""
    results = deadlines_met(stats)
    return {
        "cases": cases,
        "fired": stats.messages_by_kind_and_role(),
        "digests": stats.digest_count(),
        "samples": {kind: stats.first_message(kind) for kind in SAMPLE_KINDS},
        "deadlines": {rule: dict(counter) for rule, counter in sorted(results.items())},
        "escalated_to_leder": stats.escalations_to_leader_inbox(),
        "refused": dict(refused),
    }
