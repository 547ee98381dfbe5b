"""The stored drejebøger and their versions, with how many running cases each version has:
what the REST API lists (the projektleder's pages show the same)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from drejebog.app.ports import CaseUnitOfWork
from drejebog.engine.errors import NotFound
from drejebog.engine.model import Drejebog


@dataclass(frozen=True)
class VersionInfo:
    drejebog_id: str
    version: str
    title: str
    states: tuple[str, ...]
    events: tuple[str, ...]
    running_cases: int

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.drejebog_id,
            "version": self.version,
            "titel": self.title,
            "tilstande": list(self.states),
            "hændelser": list(self.events),
            "kørende_sager": self.running_cases,
        }


def _info(drejebog: Drejebog, running: int) -> VersionInfo:
    return VersionInfo(
        drejebog.id,
        drejebog.version,
        drejebog.title,
        tuple(drejebog.states),
        tuple(drejebog.events),
        running,
    )


def drejebog_versions(
    unit_of_work: Callable[[], CaseUnitOfWork], drejebog_id: str | None = None
) -> list[VersionInfo]:
    """Every stored version (of one drejebog, if named), by drejebog and version as stored.
    An unknown drejebog id is NotFound."""
    with unit_of_work() as uow:
        versions = [(key, uow.drejebog_version(key)) for key in uow.drejebog_version_keys()]
        wanted = [(k, d) for k, d in versions if drejebog_id is None or d.id == drejebog_id]
        running: Counter[int] = Counter()
        for book in sorted({d.id for _, d in wanted}):
            running.update(key for _, key, _ in uow.running_cases(book))
    if drejebog_id is not None and not wanted:
        raise NotFound("drejebog", drejebog_id)
    wanted.sort(key=lambda item: (item[1].id, item[0]))
    return [_info(drejebog, running[key]) for key, drejebog in wanted]
