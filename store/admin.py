"""Setting up the jobcenter's data: workers, citizens and stored drejebog versions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError

from drejebog.engine.cpr import parse_cpr
from drejebog.engine.errors import DrejebogError, DrejebogInvalid, NotFound, Problem
from drejebog.engine.fields import IDENTIFIER
from drejebog.engine.loader import check_file, drejebog_files, read_text
from drejebog.engine.model import BUILTIN_ROLES
from drejebog.store.tables import CITIZEN, VERSION, WORKER


class AdminError(DrejebogError):
    pass


def add_worker(
    engine: Engine,
    handle: str,
    name: str,
    role: str,
    email: str = "",
    team: str = "",
    leader: str | None = None,
) -> int:
    if not IDENTIFIER.match(handle):
        raise AdminError(f"ugyldigt brugernavn '{handle}': brug små bogstaver, tal og _")
    if not IDENTIFIER.match(role) or role == "borger":
        staff = ", ".join(r for r in BUILTIN_ROLES if r != "borger")
        raise AdminError(f"ugyldig rolle '{role}': brug fx {staff}")
    if email and "@" not in email:
        raise AdminError(f"ugyldig e-mailadresse '{email}'")
    with engine.begin() as connection:
        leader_id = None
        if leader:
            row = connection.execute(select(WORKER.c.id).where(WORKER.c.handle == leader)).first()
            if row is None:
                raise NotFound("leder", leader, " (opret lederen først)")
            leader_id = row.id
        try:
            result = connection.execute(
                insert(WORKER).values(
                    handle=handle,
                    name=name,
                    email=email,
                    role=role,
                    team=team,
                    leader_id=leader_id,
                    active=True,
                )
            )
        except IntegrityError as exc:
            raise AdminError(f"medarbejderen '{handle}' findes allerede") from exc
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])


def add_citizen(engine: Engine, cpr_text: str, name: str, email: str = "", phone: str = "") -> str:
    """Store a citizen; returns the masked CPR number (the only form ever shown)."""
    cpr = parse_cpr(cpr_text)
    if not name.strip():
        raise AdminError("borgeren skal have et navn")
    with engine.begin() as connection:
        try:
            connection.execute(
                insert(CITIZEN).values(
                    cpr=cpr.formatted, name=name.strip(), email=email, phone=phone
                )
            )
        except IntegrityError as exc:
            raise AdminError(f"borgeren med CPR-nummer {cpr.masked} findes allerede") from exc
    return cpr.masked


@dataclass(frozen=True)
class LoadResult:
    path: str
    drejebog_id: str
    version: str
    status: str  # "gemt" or "uændret"


def load_drejebog_files(engine: Engine, paths: list[str | Path], now: datetime) -> list[LoadResult]:
    """Store every drejebog in `paths`, all or nothing: one invalid file stores none."""
    files = drejebog_files(paths)
    problems: list[Problem] = []
    parsed = []
    for path in files:
        drejebog, found = check_file(path)
        problems.extend(found)
        if drejebog is not None and not found:
            parsed.append((path, drejebog, read_text(path)))
    if not files:
        problems.append(Problem(", ".join(map(str, paths)), 1, 1, "ingen drejebøger fundet"))
    if problems:
        raise DrejebogInvalid(problems)
    results: list[LoadResult] = []
    with engine.begin() as connection:
        for path, drejebog, text in parsed:
            existing = connection.execute(
                select(VERSION.c.content_hash).where(
                    VERSION.c.drejebog_id == drejebog.id, VERSION.c.version == drejebog.version
                )
            ).first()
            if existing is not None:
                if existing.content_hash != drejebog.content_hash:
                    message = (
                        f"version {drejebog.version} af '{drejebog.id}' er allerede indlæst med "
                        "et andet indhold; hæv 'version', når drejebogen ændres"
                    )
                    raise DrejebogInvalid([Problem(str(path), 1, 1, message)])
                results.append(LoadResult(str(path), drejebog.id, drejebog.version, "uændret"))
                continue
            connection.execute(
                insert(VERSION).values(
                    drejebog_id=drejebog.id,
                    version=drejebog.version,
                    title=drejebog.title,
                    content_hash=drejebog.content_hash,
                    source_name=str(path),
                    source_text=text,
                    loaded_at=now,
                )
            )
            results.append(LoadResult(str(path), drejebog.id, drejebog.version, "gemt"))
    return results
