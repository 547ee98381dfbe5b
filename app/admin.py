"""Setting up the jobcenter: workers, citizens, stored drejebog versions, who acts, who holds a
role on a case. The rules (valid handles and roles, a version's content never changes) are
here; the rows are written through the `AdminStore` port (store/admin.py)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from drejebog.app.cases import (
    MAX_NAME,
    SYSTEM_ACTOR,
    Assignment,
    CaseService,
    check_handle,
    suggestion,
)
from drejebog.app.ports import AdminStore, CaseUnitOfWork, NewVersion, NewWorker, WorkerListing
from drejebog.engine.addresses import email_problem, phone_problem
from drejebog.engine.clock import Clock
from drejebog.engine.cpr import parse_cpr
from drejebog.engine.errors import DrejebogError, DrejebogInvalid, NotFound, Problem
from drejebog.engine.fields import IDENTIFIER
from drejebog.engine.loader import check_file, drejebog_files, parse_text, read_text
from drejebog.engine.model import BUILTIN_ROLES, CITIZEN_ROLE
from drejebog.engine.shown import shown_name


class AdminError(DrejebogError):
    pass


def _check_addresses(email: str = "", phone: str = "") -> None:
    """Refuse an e-mail address or phone number that a message could not be sent to
    (engine/addresses.py), before anything is stored."""
    if email and (problem := email_problem(email)):
        raise AdminError(f"ugyldig e-mailadresse '{shown_name(email)}': {problem}")
    if phone and (problem := phone_problem(phone)):
        raise AdminError(f"ugyldigt telefonnummer '{shown_name(phone)}': {problem}")


@dataclass(frozen=True)
class LoadResult:
    path: str
    drejebog_id: str
    version: str
    status: str  # "gemt" or "uændret"


def load_drejebog_files(
    store: AdminStore, paths: Sequence[str | Path], now: datetime, actor: str = SYSTEM_ACTOR
) -> list[LoadResult]:
    """Store every drejebog in `paths`, all or nothing: one invalid file stores none, and a
    version already stored with another content is refused (raise 'version' instead)."""
    files = drejebog_files(list(paths))
    problems: list[Problem] = []
    parsed = []
    for path in files:
        drejebog, found = check_file(path)
        problems.extend(found)
        if drejebog is not None and not found:
            parsed.append(NewVersion(drejebog, str(path), read_text(path), actor))
    if not files:
        problems.append(Problem(", ".join(map(str, paths)), 1, 1, "ingen drejebøger fundet"))
    if problems:
        raise DrejebogInvalid(problems)
    return store_new_versions(store, parsed, now)


def load_drejebog_text(
    store: AdminStore, text: str, source_name: str, now: datetime, actor: str
) -> LoadResult:
    """Store the drejebog in `text` (pasted or uploaded on the projektleder's page) by the
    same rules as a file: checked first (DrejebogInvalid with every problem), a changed text
    under a stored version refused."""
    drejebog, problems = parse_text(text, source_name)
    if problems or drejebog is None:
        raise DrejebogInvalid(problems or [Problem(source_name, 1, 1, "drejebogen er tom")])
    return store_new_versions(store, [NewVersion(drejebog, source_name, text, actor)], now)[0]


def store_new_versions(
    store: AdminStore, parsed: Sequence[NewVersion], now: datetime
) -> list[LoadResult]:
    """Store the checked versions not stored yet; an unchanged one is 'uændret', a changed
    text under a stored version is refused (nothing stored)."""
    known = store.content_hashes({(v.drejebog.id, v.drejebog.version) for v in parsed})
    results: list[LoadResult] = []
    new: list[NewVersion] = []
    for item in parsed:
        drejebog = item.drejebog
        stored = known.get((drejebog.id, drejebog.version))
        if stored is None:
            known[(drejebog.id, drejebog.version)] = drejebog.content_hash
            new.append(item)
            results.append(LoadResult(item.source_name, drejebog.id, drejebog.version, "gemt"))
        elif stored != drejebog.content_hash:
            message = (
                f"version {drejebog.version} af '{drejebog.id}' er allerede indlæst med "
                "et andet indhold; hæv 'version', når drejebogen ændres"
            )
            raise DrejebogInvalid([Problem(item.source_name, 1, 1, message)])
        else:
            results.append(LoadResult(item.source_name, drejebog.id, drejebog.version, "uændret"))
    if new:
        store.store_versions(new, now)
    return results


def workers(store: AdminStore) -> list[WorkerListing]:
    """Every worker, by handle."""
    return store.workers()


def actor(store: AdminStore, handle: str) -> str:
    """Who a command acts as: a known worker's handle, or the system when nobody is named."""
    if not handle:
        return SYSTEM_ACTOR
    check_handle(handle)
    if store.worker_key(handle) is None:
        raise NotFound("medarbejder", handle, " (se 'drejebog worker list')")
    return handle


STAFF_BUILTIN_ROLES = tuple(r for r in BUILTIN_ROLES if r != CITIZEN_ROLE)


def known_roles(unit_of_work: Callable[[], CaseUnitOfWork]) -> tuple[list[str], bool]:
    """The roles a worker may have: the built-in staff roles and every role declared under
    'roller' in a stored drejebog version (any version: a case may still run on an old one);
    and whether any drejebog is stored at all."""
    with unit_of_work() as uow:
        keys = uow.drejebog_version_keys()
        declared = {role for key in keys for role in uow.drejebog_version(key).roles}
    return sorted((declared | set(STAFF_BUILTIN_ROLES)) - {CITIZEN_ROLE}), bool(keys)


def check_worker_role(unit_of_work: Callable[[], CaseUnitOfWork], role: str) -> None:
    """Refuse a role no drejebog knows. A built-in role is always known (no query); with no
    drejebog stored yet only the built-in ones are, and the message says to load first."""
    if role in STAFF_BUILTIN_ROLES:
        return
    if role == CITIZEN_ROLE:
        raise AdminError(f"rollen '{CITIZEN_ROLE}' er borgerens; en medarbejder kan ikke have den")
    known, loaded = known_roles(unit_of_work)
    if role in known:
        return
    hint = (
        ""
        if loaded
        else "; ingen drejebøger er indlæst endnu, så kun de indbyggede roller kendes: kør "
        "'drejebog load workflows/' først, hvis rollen er erklæret i en drejebog"
    )
    raise AdminError(
        f"ukendt rolle '{shown_name(role)}'{suggestion(role, known)}; "
        f"kendte roller: {', '.join(known)}{hint}"
    )


class Admin:
    """The admin use cases bound to a store and a clock, as the App hands them out (adding a
    worker or a citizen is written here, the others above)."""

    def __init__(
        self, store: AdminStore, unit_of_work: Callable[[], CaseUnitOfWork], clock: Clock
    ) -> None:
        self.store = store
        self.unit_of_work = unit_of_work
        self.clock = clock

    def add_worker(
        self,
        handle: str,
        name: str,
        role: str,
        email: str = "",
        team: str = "",
        leader: str | None = None,
    ) -> int:
        """Create an active worker; returns the store's key."""
        if not IDENTIFIER.match(handle) or len(handle) > MAX_NAME:
            raise AdminError(
                f"ugyldigt brugernavn '{shown_name(handle)}': brug små bogstaver, tal og _ "
                f"(højst {MAX_NAME} tegn)"
            )
        if not IDENTIFIER.match(role) or len(role) > MAX_NAME:
            staff = ", ".join(STAFF_BUILTIN_ROLES)
            raise AdminError(f"ugyldig rolle '{shown_name(role)}': brug fx {staff}")
        check_worker_role(self.unit_of_work, role)
        _check_addresses(email)
        worker = NewWorker(
            handle=handle, name=name, role=role, email=email, team=team, leader=leader or None
        )
        key = self.store.add_worker(worker)  # NotFound for an unknown leader
        if key is None:
            raise AdminError(f"medarbejderen '{handle}' findes allerede")
        return key

    def add_citizen(self, cpr_text: str, name: str, email: str = "", phone: str = "") -> str:
        """Store a citizen; returns the masked CPR number (the only form ever shown)."""
        cpr = parse_cpr(cpr_text)
        if not name.strip():
            raise AdminError("borgeren skal have et navn")
        _check_addresses(email, phone)
        if not self.store.add_citizen(cpr.formatted, name.strip(), email, phone):
            raise AdminError(f"borgeren med CPR-nummer {cpr.masked} findes allerede")
        return cpr.masked

    def load_drejebog_files(
        self, paths: Sequence[str | Path], actor: str = SYSTEM_ACTOR
    ) -> list[LoadResult]:
        return load_drejebog_files(self.store, paths, self.clock.now(), actor)

    def load_drejebog_text(self, text: str, source_name: str, actor: str) -> LoadResult:
        return load_drejebog_text(self.store, text, source_name, self.clock.now(), actor)

    def workers(self) -> list[WorkerListing]:
        return workers(self.store)

    def actor(self, handle: str) -> str:
        return actor(self.store, handle)

    def assign(
        self,
        case_id: str,
        role: str,
        handle: str,
        actor: str = SYSTEM_ACTOR,
        reason: str | None = None,
    ) -> Assignment:
        """As `CaseService.assign`: an audited change of who holds a role on a case."""
        return CaseService(self.unit_of_work, self.clock).assign(
            case_id, role, handle, actor, reason
        )
