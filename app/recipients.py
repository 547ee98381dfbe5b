"""Who receives a notification addressed to a role on a case.

- a role reaches the worker assigned to it on the case;
- `leder` reaches the leader of the worker who owns the rule (else of any worker on the case,
  else any active leder);
- a role with nobody assigned goes to that leader instead, with a note saying so: a
  notification never silently vanishes;
- `borger` reaches the citizen's e-mail, else the SMS webhook with the citizen's phone; with
  neither, nothing is sent and the case history says why.

A `Directory` holds what the rules need for a batch of cases, as plain data the store fills
in a few queries (`FiringUnitOfWork.directory`: the assignments, the workers and their
leaders, the citizens' contact details); resolving is then pure and costs no query per
notification.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, kw_only=True)
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
        return Recipient(
            role=role,
            name=self.name,
            worker_id=self.id,
            handle=self.handle,
            email=self.email,
            note=note,
        )


@dataclass(frozen=True, kw_only=True)
class CitizenContact:
    name: str
    email: str
    phone: str


@dataclass
class Directory:
    """Who can be reached on a batch of cases (filled by the store)."""

    assigned: dict[int, dict[str, int]] = field(default_factory=dict)  # case → role → worker
    staff: dict[int, StaffMember] = field(default_factory=dict)
    citizens: dict[int, CitizenContact] = field(default_factory=dict)
    fallback_leader: StaffMember | None = None  # the first active leder, for cases with none

    def _active(self, worker_id: int | None) -> StaffMember | None:
        member = self.staff.get(worker_id) if worker_id is not None else None
        return member if member is not None and member.active else None

    def resolve(self, case_key: int, role: str, owner_role: str) -> Recipient | Unreachable:
        assigned = self.assigned.get(case_key, {})
        if role == "borger":
            citizen = self.citizens.get(case_key)
            if citizen is not None and (citizen.email or citizen.phone):
                return Recipient(
                    role="borger", name=citizen.name, email=citizen.email, phone=citizen.phone
                )
            return Unreachable(
                role="borger",
                reason="borgeren har hverken e-mail eller telefonnummer registreret",
            )
        if role in assigned and role != "leder":
            worker = self._active(assigned[role])
            if worker is not None:
                return worker.as_recipient(role)
        leader = self._leader(assigned, owner_role)
        if role == "leder" and "leder" in assigned:
            leader = self._active(assigned["leder"]) or leader
        if leader is None:
            return Unreachable(role=role, reason="ingen leder kan findes for sagen")
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
