"""Commands around notifications: the daemon, a worker's inbox, the outbox's dead letters."""

from __future__ import annotations

import logging
import sys

import click

from drejebog.app.delivery import retry_dead, undelivered
from drejebog.app.settings import SettingsError
from drejebog.bootstrap import App
from drejebog.cli.daemon import Daemon, StopRequest, settle
from drejebog.cli.store_commands import RowId, app_with_schema, echo_json, reports_errors
from drejebog.engine.deadlines import COPENHAGEN
from drejebog.engine.errors import NotFound
from drejebog.engine.names import danish_status


@click.command(help="Kør påmindelser, eskaleringer, levering og dagens overblik.")
@click.option("--once", is_flag=True, help="Kør én sweep og stop (til cron og test).")
@click.option(
    "--wait",
    "wait_for_lock",
    is_flag=True,
    help="SQLite: vent, hvis en anden daemon kører, i stedet for at stoppe.",
)
@reports_errors
def daemon(once: bool, wait_for_lock: bool) -> None:
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    stop = StopRequest.install()  # a SIGTERM while the schema is checked is not lost
    app = app_with_schema()
    check_acting_worker(app)
    settle(app)
    runner = Daemon(app)
    if once:
        runner.tick()
        return
    runner.run(wait_for_lock, stop)


def check_acting_worker(app: App) -> None:
    """DREJEBOG_WORKER, when set, must name a known worker before the daemon starts (the
    settings check only its form: the database says who exists)."""
    try:
        app.admin.actor(app.settings.worker)
    except NotFound as exc:
        raise SettingsError(f"DREJEBOG_WORKER: {exc}") from exc


@click.command(help="Vis en medarbejders indbakke; --read ID markerer en besked som læst.")
@click.option("--worker", "handle", required=True)
@click.option("--read", "read_id", type=RowId(), default=None)
@click.option("--all", "show_all", is_flag=True, help="Også læste beskeder.")
@click.option("--json", "as_json", is_flag=True)
@reports_errors
def inbox(handle: str, read_id: int | None, show_all: bool, as_json: bool) -> None:
    app = app_with_schema()
    if read_id is not None:
        app.inbox.mark_read(handle, read_id)
        click.echo(f"besked {read_id} er markeret som læst")
        return
    rows = app.inbox.messages(handle, unread_only=not show_all)
    data = [
        {
            "id": r.id,
            "sag": r.case_id,
            "type": r.kind,
            "emne": r.subject,
            "tekst": r.text,
            "tidspunkt": r.created_at.isoformat(),
            "læst": r.read_at is not None,
        }
        for r in rows
    ]
    if as_json:
        echo_json(data)
        return
    if not data:
        click.echo("ingen ulæste beskeder")
    for item, row in zip(data, rows, strict=True):
        at = row.created_at.astimezone(COPENHAGEN).strftime("%Y-%m-%d %H:%M")
        click.echo(f"[{item['id']}] {at}  {item['emne']}")


@click.command(help="Vis udgående beskeder; --dead de opgivne; --retry genoptager dem.")
@click.option("--dead", is_flag=True, help="Kun beskeder, der er opgivet efter for mange forsøg.")
@click.option("--retry", "retry_id", type=RowId(), default=None, help="Genoptag én opgivet besked.")
@click.option("--retry-all", is_flag=True, help="Genoptag alle opgivne beskeder.")
@click.option("--json", "as_json", is_flag=True)
@reports_errors
def outbox(dead: bool, retry_id: int | None, retry_all: bool, as_json: bool) -> None:
    app = app_with_schema()
    if retry_id is not None or retry_all:
        count = retry_dead(app.outbox, app.clock.now(), retry_id)
        click.echo(f"{count} besked(er) sendes igen")
        return
    data = [
        {
            "id": r.id,
            "sag": r.case_id,
            "kanal": r.channel,
            "modtager": r.recipient,
            "emne": r.subject,
            "status": danish_status(r.status),
            "forsøg": r.attempts,
            "fejl": r.last_error,
            "næste_forsøg": r.next_attempt_at.isoformat(),
        }
        for r in undelivered(app.outbox, dead_only=dead)
    ]
    if as_json:
        echo_json(data)
        return
    if not data:
        click.echo("ingen opgivne beskeder" if dead else "ingen ventende beskeder")
    for item in data:
        click.echo(
            f"[{item['id']}] {item['status']:<7} {item['kanal']:<7} {item['modtager']:<28} "
            f"{item['forsøg']} forsøg  {item['fejl']}"
        )
