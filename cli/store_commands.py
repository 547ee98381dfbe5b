"""Commands for case workers and the projektleder: database, staff, citizens, cases, tasks."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar

import click

from drejebog.app.access_record import CHANGE, VIEW
from drejebog.app.admin import known_roles
from drejebog.app.settings import not_utf8
from drejebog.bootstrap import App, bootstrap
from drejebog.cli.danish import ARGUMENT_NAMES
from drejebog.engine.cpr import mask_cpr_in_text
from drejebog.engine.deadlines import COPENHAGEN
from drejebog.engine.errors import DrejebogError, DrejebogInvalid
from drejebog.engine.facts import shown_fact
from drejebog.engine.model import CITIZEN_ROLE
from drejebog.engine.names import danish_kind

F = TypeVar("F", bound=Callable[..., Any])
CLI_SOURCE = "cli"  # where an access-log row from a command comes from

MAX_ID = 2**63 - 1  # the largest row id both databases hold (a signed 64-bit integer)


class RowId(click.IntRange):
    """A message's (or another row's) id: a whole number from 1 to MAX_ID, so a larger one
    is click's Danish usage error instead of an OverflowError in the database driver."""

    name = "heltal"

    def __init__(self) -> None:
        super().__init__(1, MAX_ID)

    def _describe_range(self) -> str:
        return f"1–{MAX_ID}"


def parameter_name(param: click.Parameter) -> str:
    """How the user wrote the parameter: '--navn', or the argument's name in the usage line."""
    if isinstance(param, click.Option):
        return max(param.opts, key=len)
    name = param.name or "?"
    return ARGUMENT_NAMES.get(name, name.upper())


def undecodable_parameter(values: Mapping[str, Any]) -> str | None:
    """The Danish complaint about the first text argument or option of the running command
    that holds a byte that is not UTF-8, or None. A path (click.Path) may hold one: a file's
    name is any bytes."""
    context = click.get_current_context(silent=True)
    if context is None:
        return None
    for param in context.command.params:
        if param.name is None or isinstance(param.type, click.Path):
            continue
        value = values.get(param.name)
        for text in value if isinstance(value, tuple | list) else (value,):
            if isinstance(text, str) and (problem := not_utf8(text)):
                return f"{parameter_name(param)} {problem}"
    return None


def reports_errors(function: F) -> F:
    """Print a DrejebogError in Danish (CPR masked) and exit 1; nothing else is swallowed.

    Before the command runs, every text it was given is checked once: a byte that is not
    UTF-8 (from argv: a lone surrogate) is a Danish error naming the argument or option, and
    never reaches the database driver or an encoder."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if complaint := undecodable_parameter(kwargs):
            echo(f"fejl: {complaint}", err=True)
            sys.exit(1)
        try:
            return function(*args, **kwargs)
        except DrejebogInvalid as exc:
            for problem in exc.problems:
                echo(str(problem), err=True)
            sys.exit(1)
        except DrejebogError as exc:
            echo(f"fejl: {exc}", err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


def open_app() -> App:
    """The wired application for this command; its connections close when the command ends."""
    app = bootstrap()
    click.get_current_context().call_on_close(app.close)
    return app


def app_with_schema() -> App:
    app = open_app()
    app.require_schema()
    return app


def key_values(pairs: tuple[str, ...]) -> dict[str, str]:
    values: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise click.UsageError(f"'{pair}' skal skrives som navn=værdi")
        if key.strip() in values:
            raise click.UsageError(f"'{key.strip()}' er angivet to gange")
        values[key.strip()] = value.strip()
    return values


def actor_of(app: App, worker: str | None) -> str:
    """--as, else DREJEBOG_WORKER, else the system."""
    return app.admin.actor(worker or app.settings.worker)


def echo(message: str = "", err: bool = False) -> None:
    """Print a line with anything shaped like a CPR number masked: a case's free text (event
    data, an event id, a reason) may hold one although stored numbers are never shown whole."""
    click.echo(mask_cpr_in_text(message), err=err)


def echo_json(data: object) -> None:
    echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


# -- db, load ------------------------------------------------------------------------------


db = click.Group("db", help="Databasen.")


@db.command("upgrade", help="Opret eller opgrader databasens skema (Alembic-migreringer).")
@reports_errors
def db_upgrade() -> None:
    app = open_app()
    revision = app.upgrade_schema()
    echo(f"databasen er på revision {revision} ({app.database})")


@click.command(help="Gem drejebøger (filer eller mapper); ugyldige drejebøger gemmes aldrig.")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@reports_errors
def load(paths: tuple[str, ...]) -> None:
    app = app_with_schema()
    for result in app.admin.load_drejebog_files(paths):
        echo(f"{result.path}: {result.drejebog_id} version {result.version} {result.status}")


# -- workers and citizens ------------------------------------------------------------------


worker = click.Group("worker", help="Medarbejdere.")


@worker.command("add", help="Opret en medarbejder.")
@click.argument("handle")
@click.option("--navn", "name", required=True)
@click.option("--rolle", "role", required=True)
@click.option("--email", default="")
@click.option("--team", default="")
@click.option("--leder", "leader", default=None, help="Lederens brugernavn.")
@reports_errors
def worker_add(
    handle: str, name: str, role: str, email: str, team: str, leader: str | None
) -> None:
    app = app_with_schema()
    app.admin.add_worker(handle, name, role, email, team, leader)
    echo(f"medarbejder {handle} oprettet ({role})")


@worker.command("list", help="Vis medarbejdere.")
@click.option("--json", "as_json", is_flag=True)
@reports_errors
def worker_list(as_json: bool) -> None:
    app = app_with_schema()
    data = [
        {
            "medarbejder": r.handle,
            "navn": r.name,
            "rolle": r.role,
            "team": r.team,
            "email": r.email,
            "leder": r.leader,
        }
        for r in app.admin.workers()
    ]
    if as_json:
        echo_json(data)
        return
    for item in data:
        echo(
            f"{item['medarbejder']:<12} {item['navn']:<24} {item['rolle']:<28} "
            f"{item['team'] or '-':<12} leder: {item['leder'] or '-'}"
        )


citizen = click.Group("citizen", help="Borgere.")


@citizen.command("add", help="Opret en borger (CPR-nummeret vises kun maskeret).")
@click.argument("cpr")
@click.option("--navn", "name", required=True)
@click.option("--email", default="")
@click.option("--telefon", "phone", default="")
@reports_errors
def citizen_add(cpr: str, name: str, email: str, phone: str) -> None:
    app = app_with_schema()
    masked = app.admin.add_citizen(cpr, name, email, phone)
    echo(f"borger {name} ({masked}) oprettet")


# -- cases ---------------------------------------------------------------------------------


case = click.Group("case", help="Sager.")


@case.command("open", help="Åbn en sag for en borger på en drejebog.")
@click.argument("drejebog")
@click.option("--cpr", required=True, help="Borgerens CPR-nummer (borgeren skal være oprettet).")
@click.option("--tildel", "assign", multiple=True, help="rolle=medarbejder, fx sagsbehandler=anna")
@click.option("--as", "as_worker", default=None, help="Hvem åbner sagen (brugernavn).")
@click.option("--begrundelse", "reason", default=None, help="Hvorfor (gemmes i forløbet).")
@click.argument("facts", nargs=-1)
@reports_errors
def case_open(
    drejebog: str,
    cpr: str,
    assign: tuple[str, ...],
    as_worker: str | None,
    reason: str | None,
    facts: tuple[str, ...],
) -> None:
    app = app_with_schema()
    actor = actor_of(app, as_worker)
    opened = app.cases.open_case(
        cpr, drejebog, actor, key_values(facts), key_values(assign), reason
    )
    app.access_recorder.record(opened.case_id, actor, CHANGE, CLI_SOURCE)
    echo(f"sag {opened.case_id} åbnet i tilstanden '{opened.state}'")
    for record in opened.records:
        if record.kind == "task":
            echo(f"  opgave: {record.title} → {record.role}")


@case.command(
    "event",
    help="Registrér en hændelse på en sag. SAG er sagens nummer, HÆNDELSE hændelsens navn i "
    "drejebogen, og hændelsens data skrives som NAVN=VÆRDI, fx: drejebog case event 12 "
    "tilmeld_holdforloeb rehab_moede=2027-03-01",
)
@click.argument("case_id")
@click.argument("event")
@click.argument("data", nargs=-1)
@click.option("--id", "event_id", default=None, help="Hændelses-id (gør gentagelser harmløse).")
@click.option("--as", "as_worker", default=None, help="Hvem registrerer hændelsen.")
@click.option("--begrundelse", "reason", default=None, help="Hvorfor (gemmes i forløbet).")
@reports_errors
def case_event(
    case_id: str,
    event: str,
    data: tuple[str, ...],
    event_id: str | None,
    as_worker: str | None,
    reason: str | None,
) -> None:
    app = app_with_schema()
    actor = actor_of(app, as_worker)
    result = app.cases.apply_event(case_id, event, key_values(data), actor, event_id, reason)
    app.access_recorder.record(result.case_id, actor, CHANGE, CLI_SOURCE)
    if not result.applied:
        echo(
            f"sag {result.case_id}: hændelse {result.event_id} er allerede registreret; "
            "intet er ændret"
        )
        return
    move = (
        f"{result.from_state} → {result.to_state}"
        if result.from_state != result.to_state
        else f"forbliver i {result.to_state}"
    )
    echo(f"sag {result.case_id}: {event} registreret ({move}), id {result.event_id}")
    for record in result.records:
        if record.kind in ("task", "milestone", "deadline_started"):
            role = f" → {record.role}" if record.role else ""
            # a deadline an event started says when it is due (a task's shows in case show)
            started = record.kind == "deadline_started" and record.due_date
            due = f" (frist {record.due_date:%d.%m.%Y})" if started else ""
            echo(f"  {danish_kind(record.kind)}: {record.title}{role}{due}")


@case.command("assign", help="Tildel en medarbejder en rolle på en sag.")
@click.argument("case_id")
@click.argument("role")
@click.argument("worker_handle")
@click.option("--as", "as_worker", default=None, help="Hvem tildeler (brugernavn).")
@click.option("--begrundelse", "reason", default=None, help="Hvorfor (gemmes i forløbet).")
@reports_errors
def case_assign(
    case_id: str, role: str, worker_handle: str, as_worker: str | None, reason: str | None
) -> None:
    app = app_with_schema()
    actor = actor_of(app, as_worker)
    done = app.cases.assign(case_id, role, worker_handle, actor, reason)
    app.access_recorder.record(done.case_id, actor, CHANGE, CLI_SOURCE)
    if not done.applied:
        echo(f"sag {done.case_id}: {done.worker} er allerede {done.role}; intet er ændret")
        return
    before = f" (før: {done.previous})" if done.previous else ""
    echo(f"sag {done.case_id}: {done.worker} er nu {done.role}{before}")


@case.command("show", help="Vis en sag: tilstand, fakta, tildelte, frister og hele forløbet.")
@click.argument("case_id")
@click.option("--json", "as_json", is_flag=True)
@click.option("--as", "as_worker", default=None, help="Hvem ser sagen (brugernavn; logges).")
@reports_errors
def case_show(case_id: str, as_json: bool, as_worker: str | None) -> None:
    app = app_with_schema()
    actor = actor_of(app, as_worker)
    details = app.reports.case_details(case_id)
    app.access_recorder.record(case_id, actor, VIEW, CLI_SOURCE)
    if as_json:
        echo_json(details)
        return
    citizen_ = details["borger"]
    echo(f"Sag {details['sag']}: {citizen_['navn']} ({citizen_['cpr']})")
    book = details["drejebog"]
    echo(f"Drejebog: {book['titel']} ({book['id']}, version {book['version']})")
    echo(f"Tilstand: {details['tilstand']}" + (" (afsluttet)" if details["afsluttet"] else ""))
    facts = ", ".join(f"{k}={shown_fact(v)}" for k, v in sorted(details["fakta"].items())) or "-"
    echo(f"Fakta: {facts}")
    echo("Tildelt:")
    for item in details["tildelt"] or [{"rolle": "-", "medarbejder": "-", "navn": ""}]:
        echo(f"  {item['rolle']:<28} {item['medarbejder']} {item['navn']}".rstrip())
    echo("Åbne frister:")
    for item in details["frister"]:
        days = item["dage_tilbage"]
        left = f"{days} dage tilbage" if days >= 0 else f"{-days} dage over fristen"
        moved = f"  flyttet: {item['flyttet']}" if item.get("flyttet") else ""
        echo(f"  {item['regel']:<28} {item['frist']}  ({left}){moved}")
    for name in details["venter"]:
        echo(f"  {name:<28} venter: faktummet, den regnes fra, er ryddet (ingen ny tid endnu)")
    if not details["frister"] and not details["venter"]:
        echo("  ingen")
    echo("Kommende beskeder:")
    for item in details["kommende"]:
        roles = ", ".join(item["til"] or []) or "-"
        echo(f"  {_local(item['tidspunkt'])}  {item['regel']:<28} {item['trin']} → {roles}")
    if not details["kommende"]:
        echo("  ingen")
    echo("Tilbagevendende pligter:")
    for item in details["pligter"]:
        echo(f"  {item['pligt']:<28} {item['mangler_i_træk']} mangler i træk")
    if not details["pligter"]:
        echo("  ingen")
    echo("Opgaver:")
    for item in details["opgaver"]:
        due = f" frist {item['frist']}" if item["frist"] else ""
        echo(f"  [{item['status']}] {item['titel']} → {item['rolle']}{due}")
    echo("Forløb:")
    for item in details["forløb"]:
        echo(_history_line(item))


def _history_line(item: dict[str, Any]) -> str:
    """One row of `case show`'s timeline: when, what, from → to, who, the data, why."""
    at = _local(item["tidspunkt"])
    what = item["hændelse"] or item["type"]
    move = f"{item['fra'] or '·'} → {item['til']}" if item["til"] else ""
    assigned = item.get("tildeling")
    if assigned:
        move = f"{assigned['rolle']}: {assigned['fra'] or '·'} → {assigned['til']}"
    data = ", ".join(f"{k}={v}" for k, v in item["data"].items())
    why = f"  begrundelse: {item['begrundelse']}" if item.get("begrundelse") else ""
    return f"  {item['nr']:>3}. {at}  {what:<28} {move}  af {item['af']}  {data}{why}".rstrip()


def _local(iso: str) -> str:
    return datetime.fromisoformat(iso).astimezone(COPENHAGEN).strftime("%Y-%m-%d %H:%M")


@click.command(help="Vis åbne opgaver, med den tidligste frist først.")
@click.option("--worker", "worker_handle", default=None, help="Kun denne medarbejders opgaver.")
@click.option("--role", default=None, help="Kun opgaver til denne rolle.")
@click.option("--overdue", is_flag=True, help="Kun opgaver, hvis frist er overskredet.")
@click.option("--json", "as_json", is_flag=True)
@reports_errors
def tasks(worker_handle: str | None, role: str | None, overdue: bool, as_json: bool) -> None:
    if worker_handle and role:
        raise click.UsageError("brug enten --worker eller --role")
    app = app_with_schema()
    roles = None if role is None else [*known_roles(app.unit_of_work)[0], CITIZEN_ROLE]
    views = app.reports.open_tasks(worker_handle, role, overdue, roles)
    if as_json:
        echo_json([v.as_json() for v in views])
        return
    if not views:
        echo("ingen åbne opgaver")
    for view in views:
        if view.due_date is None:
            when = "ingen frist"
        elif view.days_left is not None and view.days_left < 0:
            when = f"{view.due_date} ({-view.days_left} dage over)"
        else:
            when = f"{view.due_date} ({view.days_left} dage tilbage)"
        echo(
            f"sag {view.case_id:<5} {when:<28} {view.role:<28} "
            f"{view.worker or '(ingen tildelt)':<16} {view.title}"
        )


@click.command(help="Flyt kørende sager til en ny version af en drejebog.")
@click.argument("drejebog")
@click.option("--to", "to_version", required=True, help="Den nye version (skal være indlæst).")
@click.option("--map", "mappings", multiple=True, help="gammel_tilstand=ny_tilstand")
@click.option("--dry-run", is_flag=True, help="Vis, hvad der ville ske, uden at ændre noget.")
@click.option("--as", "as_worker", default=None)
@click.option("--begrundelse", "reason", default=None, help="Hvorfor (gemmes i forløbet).")
@reports_errors
def migrate(
    drejebog: str,
    to_version: str,
    mappings: tuple[str, ...],
    dry_run: bool,
    as_worker: str | None,
    reason: str | None,
) -> None:
    app = app_with_schema()
    moved = app.cases.migrate(
        drejebog, to_version, actor_of(app, as_worker), key_values(mappings), dry_run, reason
    )
    verb = "ville blive flyttet" if dry_run else "flyttet"
    for item in moved:
        state = (
            item.from_state
            if item.from_state == item.to_state
            else f"{item.from_state} → {item.to_state}"
        )
        echo(
            f"sag {item.case_id}: version {item.from_version} → {item.to_version}, {state}, "
            f"{item.timers_planned} nye tidspunkter"
        )
    echo(f"{len(moved)} sag(er) {verb} til version {to_version}")
