"""Who has looked at a citizen's case, and the citizen's own insight request (GDPR art. 15).

Only a leder (the worker's role) or an administrator (the web account's role) may ask. Asking
is itself a view of the citizen's cases: one access-log row per case, with the source naming
the request, is written before the answer is returned.
"""

from __future__ import annotations

from dataclasses import dataclass

from drejebog.app.ports import AccessEntry, InsightStore
from drejebog.engine.clock import Clock
from drejebog.engine.cpr import mask_cpr_in_text, parse_cpr
from drejebog.engine.errors import DrejebogError, NotFound

READER_WORKER_ROLES = frozenset({"leder"})
READER_ACCOUNT_ROLES = frozenset({"leder", "administrator"})


class InsightDenied(DrejebogError, PermissionError):
    """The acting worker may not read a citizen's access log or export."""


@dataclass(frozen=True)
class AccessLogAnswer:
    citizen: str  # the masked CPR number
    entries: list[AccessEntry]


def _masked_everywhere(value: object) -> object:
    """Free text in an export (event data, reasons, message texts) with CPR-shaped numbers
    masked: the full number is shown nowhere outside its own table."""
    if isinstance(value, str):
        return mask_cpr_in_text(value)
    if isinstance(value, dict):
        return {key: _masked_everywhere(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_masked_everywhere(item) for item in value]
    return value


class Insight:
    def __init__(self, store: InsightStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def _citizen(self, cpr_text: str, reader: str) -> tuple[int, str]:
        worker_role, account_role = self._store.reader_roles(reader)
        if worker_role not in READER_WORKER_ROLES and account_role not in READER_ACCOUNT_ROLES:
            raise InsightDenied(
                f"'{reader}' må ikke se adgangsloggen eller lave en indsigtsudtræk; "
                "det må en leder eller en administrator"
            )
        cpr = parse_cpr(cpr_text)
        key = self._store.citizen_key(cpr.formatted)
        if key is None:
            raise NotFound("borger", cpr.masked)
        return key, cpr.masked

    def _log(self, citizen_key: int, reader: str, source: str) -> None:
        now = self._clock.now()
        for case_key in self._store.case_keys(citizen_key):
            self._store.log_access(AccessEntry(now, reader, case_key, citizen_key, "vis", source))

    def access_log(self, cpr_text: str, reader: str) -> AccessLogAnswer:
        """Every view and change of the citizen's cases: who, when, which case, from where
        (read before this request's own rows are written)."""
        key, masked = self._citizen(cpr_text, reader)
        entries = self._store.access_entries(key)
        self._log(key, reader, "cli: adgangslog")
        return AccessLogAnswer(masked, entries)

    def export(self, cpr_text: str, reader: str) -> dict[str, object]:
        """The citizen's insight export: everything stored about them and who has seen it."""
        key, masked = self._citizen(cpr_text, reader)
        data = self._store.citizen_data(key)
        entries = self._store.access_entries(key)
        self._log(key, reader, "cli: indsigt")
        stored = _masked_everywhere(data)
        assert isinstance(stored, dict)
        return {
            "udtrukket": self._clock.now().isoformat(),
            "udtrukket_af": reader,
            "borger": masked,
            **stored,
            "adgangslog": [
                {
                    "tidspunkt": entry.at.isoformat(),
                    "medarbejder": entry.handle,
                    "sag": entry.case_id,
                    "handling": entry.action,
                    "fra": entry.source,
                }
                for entry in entries
            ],
        }
