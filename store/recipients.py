"""Who receives a notification addressed to a role on a case.

- a role reaches the worker assigned to it on the case;
- `leder` reaches the leader of the worker who owns the rule (else of any worker on the case,
  else any active leder);
- a role with nobody assigned goes to that leader instead, with a note saying so: a
  notification never silently vanishes;
- `borger` reaches the citizen's e-mail, else the SMS webhook with the citizen's phone; with
  neither, nothing is sent and the case history says why.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, select

from store.tables import ASSIGNMENT, CASE, CITIZEN, WORKER


@dataclass(frozen=True)
class Recipient:
    role: str
    name: str
    worker_id: int | None = None
    handle: str = ""
    email: str = ""
    phone: str = ""
    note: str = ""  # why this person got it instead of the role's holder


@dataclass(frozen=True)
class Unreachable:
    role: str
    reason: str


def _worker(connection: Connection, worker_id: int) -> Recipient | None:
    row = connection.execute(
        select(WORKER.c.id, WORKER.c.handle, WORKER.c.name, WORKER.c.email, WORKER.c.role).where(
            WORKER.c.id == worker_id, WORKER.c.active.is_(True)
        )
    ).first()
    if row is None:
        return None
    return Recipient(row.role, row.name, row.id, row.handle, row.email)


def resolve(
    connection: Connection, case_key: int, role: str, owner_role: str
) -> Recipient | Unreachable:
    assigned = dict(
        connection.execute(
            select(ASSIGNMENT.c.role, ASSIGNMENT.c.worker_id).where(
                ASSIGNMENT.c.case_id == case_key
            )
        ).all()
    )
    if role == "borger":
        citizen = connection.execute(
            select(CITIZEN.c.name, CITIZEN.c.email, CITIZEN.c.phone)
            .join(CASE, CASE.c.citizen_id == CITIZEN.c.id)
            .where(CASE.c.id == case_key)
        ).one()
        if citizen.email or citizen.phone:
            return Recipient("borger", citizen.name, email=citizen.email, phone=citizen.phone)
        return Unreachable("borger", "borgeren har hverken e-mail eller telefonnummer registreret")
    if role in assigned and role != "leder":
        worker = _worker(connection, assigned[role])
        if worker is not None:
            return Recipient(role, worker.name, worker.worker_id, worker.handle, worker.email)
    leader = _leader(connection, assigned, owner_role)
    if role == "leder" and "leder" in assigned:
        leader = _worker(connection, assigned["leder"]) or leader
    if leader is None:
        return Unreachable(role, "ingen leder kan findes for sagen")
    note = (
        "" if role == "leder" else f"Ingen er tildelt rollen {role} på sagen; du får den som leder."
    )
    return Recipient(role, leader.name, leader.worker_id, leader.handle, leader.email, note=note)


def _leader(connection: Connection, assigned: dict[str, int], owner_role: str) -> Recipient | None:
    candidates = [assigned[owner_role]] if owner_role in assigned else []
    candidates += [w for r, w in sorted(assigned.items()) if r != owner_role]
    for worker_id in candidates:
        row = connection.execute(select(WORKER.c.leader_id).where(WORKER.c.id == worker_id)).first()
        if row is not None and row.leader_id is not None:
            leader = _worker(connection, row.leader_id)
            if leader is not None:
                return leader
    row = connection.execute(
        select(WORKER.c.id)
        .where(WORKER.c.role == "leder", WORKER.c.active.is_(True))
        .order_by(WORKER.c.id)
        .limit(1)
    ).first()
    return _worker(connection, row.id) if row is not None else None
