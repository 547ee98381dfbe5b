"""Who receives a notification addressed to a role on a case.

- a role reaches the worker assigned to it on the case;
- `leder` reaches the leader of the worker who owns the rule (else of any worker on the case,
  else any active leder);
- a role with nobody assigned goes to that leader instead, with a note saying so: a
  notification never silently vanishes;
- `borger` reaches the citizen's e-mail, else the SMS webhook with the citizen's phone; with
  neither, nothing is sent and the case history says why.

A `Directory` holds what the rules need for a batch of cases, read in a few queries (the
assignments, the workers and their leaders, the citizens' contact details); resolving is then
pure and costs no query per notification.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from sqlalchemy import Connection, bindparam, select

from drejebog.store.tables import ASSIGNMENT, CASE, CITIZEN, WORKER


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


@dataclass(frozen=True)
class StaffMember:
    id: int
    handle: str
    name: str
    email: str
    role: str
    leader_id: int | None
    active: bool

    def as_recipient(self, role: str, note: str = "") -> Recipient:
        return Recipient(role, self.name, self.id, self.handle, self.email, note=note)


@dataclass(frozen=True)
class CitizenContact:
    name: str
    email: str
    phone: str


_ASSIGNMENTS = select(ASSIGNMENT.c.case_id, ASSIGNMENT.c.role, ASSIGNMENT.c.worker_id).where(
    ASSIGNMENT.c.case_id.in_(bindparam("keys", expanding=True))
)
_STAFF = select(
    WORKER.c.id,
    WORKER.c.handle,
    WORKER.c.name,
    WORKER.c.email,
    WORKER.c.role,
    WORKER.c.leader_id,
    WORKER.c.active,
).where(WORKER.c.id.in_(bindparam("ids", expanding=True)))
_FIRST_LEADER = (
    select(WORKER.c.id)
    .where(WORKER.c.role == "leder", WORKER.c.active.is_(True))
    .order_by(WORKER.c.id)
    .limit(1)
)
_CITIZENS = (
    select(CASE.c.id, CITIZEN.c.name, CITIZEN.c.email, CITIZEN.c.phone)
    .join(CITIZEN, CITIZEN.c.id == CASE.c.citizen_id)
    .where(CASE.c.id.in_(bindparam("keys", expanding=True)))
)


@dataclass
class Directory:
    assigned: dict[int, dict[str, int]] = field(default_factory=dict)  # case → role → worker
    staff: dict[int, StaffMember] = field(default_factory=dict)
    citizens: dict[int, CitizenContact] = field(default_factory=dict)
    fallback_leader: StaffMember | None = None  # the first active leder, for cases with none

    @classmethod
    def load(cls, connection: Connection, case_keys: Collection[int]) -> Directory:
        keys = sorted(set(case_keys))
        directory = cls()
        for case_key, role, worker_id in connection.execute(_ASSIGNMENTS, {"keys": keys}):
            directory.assigned.setdefault(case_key, {})[role] = worker_id
        wanted = {w for roles in directory.assigned.values() for w in roles.values()}
        first_leader = connection.execute(_FIRST_LEADER).scalar()
        if first_leader is not None:
            wanted.add(first_leader)
        # the assigned workers and the first leder, then the leaders of those workers
        directory._load_staff(connection, wanted)
        directory._load_staff(
            connection,
            {s.leader_id for s in directory.staff.values() if s.leader_id is not None},
        )
        if first_leader is not None:
            directory.fallback_leader = directory.staff.get(first_leader)
        for case_key, name, email, phone in connection.execute(_CITIZENS, {"keys": keys}):
            directory.citizens[case_key] = CitizenContact(name, email, phone)
        return directory

    def _load_staff(self, connection: Connection, ids: set[int]) -> None:
        missing = sorted(ids - self.staff.keys())
        if not missing:
            return
        for row in connection.execute(_STAFF, {"ids": missing}):
            self.staff[row.id] = StaffMember(
                row.id, row.handle, row.name, row.email, row.role, row.leader_id, bool(row.active)
            )

    def _active(self, worker_id: int | None) -> StaffMember | None:
        member = self.staff.get(worker_id) if worker_id is not None else None
        return member if member is not None and member.active else None

    def resolve(self, case_key: int, role: str, owner_role: str) -> Recipient | Unreachable:
        assigned = self.assigned.get(case_key, {})
        if role == "borger":
            citizen = self.citizens.get(case_key)
            if citizen is not None and (citizen.email or citizen.phone):
                return Recipient("borger", citizen.name, email=citizen.email, phone=citizen.phone)
            return Unreachable(
                "borger", "borgeren har hverken e-mail eller telefonnummer registreret"
            )
        if role in assigned and role != "leder":
            worker = self._active(assigned[role])
            if worker is not None:
                return worker.as_recipient(role)
        leader = self._leader(assigned, owner_role)
        if role == "leder" and "leder" in assigned:
            leader = self._active(assigned["leder"]) or leader
        if leader is None:
            return Unreachable(role, "ingen leder kan findes for sagen")
        note = (
            ""
            if role == "leder"
            else f"Ingen er tildelt rollen {role} på sagen; du får den som leder."
        )
        return leader.as_recipient(role, note)

    def _leader(self, assigned: dict[str, int], owner_role: str) -> StaffMember | None:
        candidates = [assigned[owner_role]] if owner_role in assigned else []
        candidates += [w for r, w in sorted(assigned.items()) if r != owner_role]
        for worker_id in candidates:
            member = self.staff.get(worker_id)
            if member is not None and member.leader_id is not None:
                leader = self._active(member.leader_id)
                if leader is not None:
                    return leader
        return self.fallback_leader


def resolve(
    connection: Connection, case_key: int, role: str, owner_role: str
) -> Recipient | Unreachable:
    """One recipient, read from the database (the batched path uses a `Directory`)."""
    return Directory.load(connection, [case_key]).resolve(case_key, role, owner_role)
