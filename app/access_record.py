"""The access log for the CLI (and any caller without a web session): one row per view or
change of a citizen's case, with who, when, which case and citizen, and from where. The web
app writes its rows through app/access.py's CaseAccess, which also checks team scoping."""

from __future__ import annotations

from drejebog.app.ports import AccessEntry, AccessStore
from drejebog.engine.clock import Clock

VIEW = "vis"
CHANGE = "ændr"


class AccessRecorder:
    def __init__(self, store: AccessStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def record(self, case_id: str, handle: str, action: str, source: str) -> None:
        """One row for `handle` having seen (VIEW) or changed (CHANGE) the case."""
        parties = self._store.case_parties(case_id)
        self._store.log_access(
            AccessEntry(
                self._clock.now(), handle, parties.case_id, parties.citizen_id, action, source
            )
        )
