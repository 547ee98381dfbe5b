"""Each shipped scenario through the real store and sweep: the same notifications straight
through and with the daemon (and all caches) restarted between every step, and the same
reminders, escalations and missing check-ins as the pure simulator prescribes."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from drejebog.app import firing
from drejebog.app.firing import Channels
from drejebog.app.replay import run_until
from drejebog.app.settings import Settings
from drejebog.bootstrap import bootstrap
from drejebog.engine.clock import SimulatedClock
from drejebog.engine.errors import ConcurrencyConflict
from drejebog.engine.scenario import load_scenario
from drejebog.engine.simulator import simulate
from drejebog.store import admin
from drejebog.store.migrate_schema import upgrade
from drejebog.store.tables import OUTBOX
from drejebog.workflows import SCENARIOS_DIR

SCENARIOS = sorted(SCENARIOS_DIR.glob("*.yaml"))
STAFF_ROLES = (
    "sagsbehandler",
    "koordinerende_sagsbehandler",
    "virksomhedskonsulent",
    "mentor",
    "forløbsmedarbejder",
    "projektleder",
)


def replay(path, database_url: str, restart: bool) -> list[tuple[object, ...]]:
    scenario = load_scenario(path)
    first = min(c.opened_at for c in scenario.cases)
    clock = SimulatedClock(first)

    def fresh():
        return bootstrap(Settings(database_url), clock)

    app = fresh()
    upgrade(app.engine)
    admin.load_drejebog_files(app.engine, [scenario.drejebog.source], first)
    admin.add_worker(app.engine, "leder", "Lea Leder", "leder")
    extra_roles = [r for r in scenario.drejebog.roles if r not in (*STAFF_ROLES, "leder", "borger")]
    for role in (*STAFF_ROLES, *extra_roles):
        admin.add_worker(app.engine, role.replace("ø", "oe"), f"{role} A", role, "", "", "leder")
    steps: list[tuple[datetime, int, object]] = []
    for index, case in enumerate(scenario.cases):
        admin.add_citizen(
            app.engine,
            f"{61 + index:02d}0190-{index:04d}",
            case.citizen_name or case.id,
            phone="+4500000000",
        )
        steps.append((case.opened_at, 0, (index, case)))
        steps.extend((event.at, 1, (index, event)) for event in case.events)
    steps.sort(key=lambda s: (s[0], s[1]))
    channels = Channels(citizen_webhook=True)
    case_ids: dict[int, str] = {}
    for at, kind, (index, item) in steps:
        run_until(app.unit_of_work, clock, at, channels, before=True)
        if kind == 0:
            assign = {r: r.replace("ø", "oe") for r in (*STAFF_ROLES, *extra_roles)}
            opened = app.cases.open_case(
                f"{61 + index:02d}0190-{index:04d}",
                scenario.drejebog.id,
                "sagsbehandler",
                item.facts,
                assign,
            )
            case_ids[index] = opened.case_id
        else:
            app.cases.apply_event(case_ids[index], item.event, item.data, "sagsbehandler")
        if restart:
            app.engine.dispose()
            app = fresh()
    run_until(app.unit_of_work, clock, scenario.end, channels)
    with app.engine.connect() as connection:
        rows = connection.execute(
            select(
                OUTBOX.c.case_id,
                OUTBOX.c.created_at,
                OUTBOX.c.kind,
                OUTBOX.c.rule,
                OUTBOX.c.role,
                OUTBOX.c.channel,
                OUTBOX.c.recipient,
                OUTBOX.c.subject,
                OUTBOX.c.body_text,
            ).order_by(OUTBOX.c.created_at, OUTBOX.c.case_id, OUTBOX.c.id)
        ).all()
    app.engine.dispose()
    return [tuple(r) for r in rows]


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_scenario_gives_the_same_notifications_straight_and_restarted(path, tmp_path):
    straight = replay(path, f"sqlite:///{tmp_path / 'straight.db'}", restart=False)
    restarted = replay(path, f"sqlite:///{tmp_path / 'restarted.db'}", restart=True)
    assert straight == restarted
    simulated = [
        (r.at, r.kind, r.name, r.role)
        for r in simulate(load_scenario(path))
        if r.kind in ("reminder", "escalation", "checkin_missing")
    ]
    on_store = [(at, kind, rule, role) for _, at, kind, rule, role, *_ in straight]
    assert sorted(on_store) == sorted(simulated)


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_firing_one_timer_at_a_time_sends_what_the_batches_send(path, tmp_path, monkeypatch):
    batched = replay(path, f"sqlite:///{tmp_path / 'batched.db'}", restart=False)

    def lose_every_race(*_args):
        raise ConcurrencyConflict("?")

    monkeypatch.setattr(firing, "fire_batch", lose_every_race)
    one_by_one = replay(path, f"sqlite:///{tmp_path / 'one_by_one.db'}", restart=False)
    assert one_by_one == batched and batched
