"""`drejebog demo`'s database part: one citizen's ressourceforløb in a fresh SQLite file,
through the same service, store and queries the case workers' commands use."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from cli.bootstrap import bootstrap
from engine.clock import SimulatedClock
from engine.deadlines import COPENHAGEN
from store import admin
from store.migrate_schema import upgrade
from store.queries import case_details, open_tasks
from store.settings import Settings
from workflows import SHIPPED_DIR

DEMO_CPR = "610190-0001"  # an erstatningspersonnummer (day + 60): never a real person

# (local time, event, data, who): Mette's path from visitation to the ressourceforløb
PATH = [
    ("2027-01-11 10:00", "tilmeld_holdforloeb", {"rehab_moede": "2027-03-01"}, "anna"),
    ("2027-02-10 13:00", "hjemmemoede_holdt", {}, "anna"),
    ("2027-02-17 11:00", "forberedelsesskema_udfyldt", {}, "anna"),
    (
        "2027-03-01 13:00",
        "rehab_moede_holdt",
        {"indstilling": "ressourceforloeb", "virksomhedsrettet_fra": "2027-05-01"},
        "anna",
    ),
    ("2027-03-11 10:00", "overdragelse_holdt", {"opstartsmoede": "2027-03-22"}, "karl"),
    ("2027-03-22 09:30", "opstartsmoede_holdt", {}, "karl"),
    ("2027-04-07 10:00", "tilbagemelding", {}, "karl"),
    ("2027-05-10 09:00", "virksomhedspraktik_startet", {"aktivitet": "Praktik i Brugsen"}, "vera"),
]


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=COPENHAGEN).astimezone(UTC)


def run_case_demo(path: Path) -> None:
    path.unlink(missing_ok=True)
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    clock = SimulatedClock(local("2027-01-04 09:00"))
    app = bootstrap(Settings(f"sqlite:///{path}"), clock)
    try:
        upgrade(app.engine)
        admin.load_drejebog_files(app.engine, [SHIPPED_DIR], clock.now())
        admin.add_worker(app.engine, "lene", "Lene Leder", "leder", "lene@jobcenter.dk")
        for handle, name, role in (
            ("anna", "Anna Sagsbehandler", "sagsbehandler"),
            ("karl", "Karl Koordinator", "koordinerende_sagsbehandler"),
            ("vera", "Vera Virksomhedskonsulent", "virksomhedskonsulent"),
            ("mona", "Mona Mentor", "mentor"),
        ):
            admin.add_worker(app.engine, handle, name, role, f"{handle}@jobcenter.dk", "", "lene")
        admin.add_citizen(app.engine, DEMO_CPR, "Mette Madsen")
        opened = app.cases.open_case(
            DEMO_CPR,
            "ressourceforloeb",
            "anna",
            {"ydelse": "kontanthjaelp"},
            {
                "sagsbehandler": "anna",
                "koordinerende_sagsbehandler": "karl",
                "virksomhedskonsulent": "vera",
                "mentor": "mona",
            },
        )
        click.echo(f"sag {opened.case_id} åbnet for Mette Madsen ({DEMO_CPR[:6]}-xxxx)")
        for at, event, data, who in PATH:
            clock.advance_to(local(at))
            result = app.cases.apply_event(opened.case_id, event, data, who)
            click.echo(f"  {at}  {event:<28} {result.from_state} → {result.to_state}  af {who}")
        clock.advance_to(local("2027-05-20 09:00"))
        with app.engine.connect() as connection:
            details = case_details(connection, opened.case_id, clock.now())
            tasks = open_tasks(connection, clock.now().astimezone(COPENHAGEN).date())
        click.echo(f"tilstand 20. maj 2027: {details['tilstand']}")
        for deadline in details["frister"]:
            click.echo(
                f"  åben frist {deadline['regel']}: {deadline['frist']} "
                f"({deadline['dage_tilbage']} dage tilbage)"
            )
        click.echo(
            f"  {len(tasks)} åbne opgaver, {len(details['kommende'])} kommende "
            f"påmindelser og eskaleringer, {len(details['forløb'])} rækker i forløbet"
        )
        click.echo(
            f"databasen ligger i {path}; se sagen med: "
            f"DATABASE_URL=sqlite:///{path} drejebog case show {opened.case_id}"
        )
    finally:
        app.engine.dispose()
