"""The `drejebog` command: a thin layer over the engine. Output is Danish.

Start-up is kept short: the engine's modules are imported by the commands that use them, and
the database and web commands are `LazyCommand`s (cli/lazy.py), imported when they run.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

import click

from drejebog.cli import danish
from drejebog.cli.lazy import LazyCommand, LazyGroup
from drejebog.workflows import SCENARIOS_DIR, SHIPPED_DIR

if TYPE_CHECKING:
    from drejebog.engine.model import Drejebog
    from drejebog.engine.runtime import Record

# click's own usage errors and help headings in Danish, before any command is parsed
danish.install()

DIAGRAM_FORMATS = ("mermaid", "dot")  # engine.diagram.FORMATS (a test keeps them equal)

_STORE = "drejebog.cli.store_commands"
LAZY_COMMANDS = {
    "db": LazyCommand(_STORE, "db", "Databasen."),
    "load": LazyCommand(
        _STORE, "load", "Gem drejebøger (filer eller mapper); ugyldige drejebøger gemmes aldrig."
    ),
    "worker": LazyCommand(_STORE, "worker", "Medarbejdere."),
    "citizen": LazyCommand(_STORE, "citizen", "Borgere."),
    # through import_commands, which adds 'case import' to the group
    "case": LazyCommand("drejebog.cli.import_commands", "case", "Sager."),
    "tasks": LazyCommand(_STORE, "tasks", "Vis åbne opgaver, med den tidligste frist først."),
    "migrate": LazyCommand(
        _STORE, "migrate", "Flyt kørende sager til en ny version af en drejebog."
    ),
    "daemon": LazyCommand(
        "drejebog.cli.notify_commands",
        "daemon",
        "Kør påmindelser, eskaleringer, levering og dagens overblik.",
    ),
    "inbox": LazyCommand(
        "drejebog.cli.notify_commands",
        "inbox",
        "Vis en medarbejders indbakke; --read ID markerer en besked som læst.",
    ),
    "outbox": LazyCommand(
        "drejebog.cli.notify_commands",
        "outbox",
        "Vis udgående beskeder; --dead de opgivne; --retry genoptager dem.",
    ),
    "account": LazyCommand("drejebog.cli.web_commands", "account", "Konti til webappen."),
    "serve": LazyCommand(
        "drejebog.cli.web_commands",
        "serve",
        "Start webappen (sagsbehandlernes sider) med uvicorn.",
    ),
    "retention": LazyCommand(
        "drejebog.cli.retention_commands",
        "retention",
        "Anonymisér lukkede sager, hvis opbevaringsperiode (drejebogens 'opbevaring', ellers "
        "5 år) er udløbet: fritekst, hændelsesdata, begrundelser og beskedtekster slettes, og "
        "borgerens CPR-nummer, navn og kontaktoplysninger, når ingen af borgerens sager "
        "opbevares længere.",
    ),
    "access-log": LazyCommand(
        "drejebog.cli.insight_commands",
        "access_log",
        "Vis, hvem der har set eller ændret en borgers sager, hvornår og hvorfra (kun for "
        "ledere og administratorer; forespørgslen logges selv).",
    ),
    "insight": LazyCommand(
        "drejebog.cli.insight_commands",
        "insight",
        "Lav borgerens indsigtsudtræk (databeskyttelsesforordningens art.",
    ),
    "schema": LazyCommand(
        "drejebog.cli.schema_command",
        "schema",
        "Skriv drejebogssprogets JSON Schema (til editorer: forslag, hjælpetekster og røde "
        "streger). workflows/drejebog.schema.json er den samme tekst.",
    ),
    "token": LazyCommand(
        "drejebog.cli.token_commands",
        "token",
        "API-tokens til jobcentrets andre systemer (kun administratorer).",
    ),
    "calendar": LazyCommand(
        "drejebog.cli.token_commands",
        "calendar",
        "Din private kalender-URL med dine frister (iCalendar).",
    ),
    "report": LazyCommand(
        "drejebog.cli.report_commands",
        "report",
        "Nøgletal: drejebøgernes måltal og fristerne for sager med ankerdag i perioden "
        "(--fra/--til; standard: de seneste 12 måneder), som tekst, JSON, CSV eller HTML.",
    ),
}


@click.group(
    cls=LazyGroup,
    lazy=LAZY_COMMANDS,
    on_load=danish.localise,
    help="drejebog: eksekverbare drejebøger for jobcentre.",
)
@click.version_option(
    package_name="drejebog",
    message="%(prog)s, version %(version)s",
    help="Vis versionen og afslut.",
)
def main() -> None:
    pass


def summary(drejebog: Drejebog) -> str:
    # the states' rules, the whole case's (`hele_sagen`) and those events start
    areas = (*drejebog.states.values(), drejebog.whole_case, drejebog.by_events)
    deadlines = sum(len(s.deadlines) for s in areas)
    tasks = sum(len(s.tasks) for s in areas)
    recurring = sum(len(s.recurring) for s in areas)
    minimums = sum(len(s.minimums) for s in areas)
    milestones = sum(1 for e in drejebog.events.values() if e.milestone)
    return (
        f"{drejebog.title} (version {drejebog.version}): {len(drejebog.states)} tilstande, "
        f"{len(drejebog.events)} hændelser, {deadlines} frister, {tasks} opgaver, "
        f"{recurring} tilbagevendende, "
        + (f"{minimums} mindst-regler, " if minimums else "")
        + f"{milestones} milepæle"
    )


def run_check(paths: list[str]) -> int:
    from drejebog.engine.loader import check_file, drejebog_files

    missing = [p for p in paths if not Path(p).exists()]
    for path in missing:
        click.echo(f"{path}:1:1: filen eller mappen findes ikke")
    files = drejebog_files([p for p in paths if Path(p).exists()])
    if not files and not missing:
        click.echo("fejl: ingen drejebøger (*.yaml) fundet i " + ", ".join(paths))
        return 1
    failed = bool(missing)
    for file in files:
        try:
            drejebog, problems = check_file(file)
        except Exception as exc:  # one file must never stop the check of the others
            click.echo(f"{file}:1:1: filen kunne ikke tjekkes (intern fejl: {type(exc).__name__})")
            failed = True
            continue
        for problem in problems:
            click.echo(str(problem))
        if problems or drejebog is None:
            failed = True
        else:
            click.echo(f"{file}: OK – {summary(drejebog)}")
    return 1 if failed else 0


@main.command(help="Tjek drejebøger (filer eller mapper) og vis alle problemer på én gang.")
@click.argument("paths", nargs=-1, required=True)
def check(paths: tuple[str, ...]) -> None:
    sys.exit(run_check(list(paths)))


@main.command(help="Tegn en drejebog som Mermaid (standard) eller Graphviz dot.")
@click.argument("path")
@click.option(
    "--format", "fmt", type=click.Choice(DIAGRAM_FORMATS), default="mermaid", show_default=True
)
def diagram(path: str, fmt: str) -> None:
    from drejebog.engine.diagram import render
    from drejebog.engine.errors import DrejebogInvalid
    from drejebog.engine.loader import load_file

    try:
        drejebog = load_file(path)
    except DrejebogInvalid as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        sys.exit(1)
    click.echo(render(drejebog, fmt), nl=False)


def record_json(record: Record) -> dict[str, object]:
    from drejebog.engine.deadlines import COPENHAGEN

    counted: dict[str, object] = {"i_træk": record.in_a_row} if record.in_a_row else {}
    if record.kind == "appointment":  # the booked local wall time; None: cancelled
        counted["tidspunkt"] = (
            record.appointment.isoformat(timespec="minutes") if record.appointment else None
        )
    return {
        "at": record.at.astimezone(COPENHAGEN).isoformat(),
        "case": record.case_id,
        "kind": record.kind,
        "name": record.name,
        "role": record.role,
        "state": record.state,
        "title": record.title,
        "due": record.due_date.isoformat() if record.due_date else None,
        "step": record.step or None,
        **counted,
        # why the calendar moved the due date or the record's own day (None: it did not)
        "flyttet": record.moved,
    }


def record_text(record: Record) -> str:
    from drejebog.engine.deadlines import COPENHAGEN
    from drejebog.engine.names import danish_kind

    local = record.at.astimezone(COPENHAGEN)
    line = (
        f"{local:%Y-%m-%d %H:%M} {local:%z}  {record.case_id:<10} "
        f"{danish_kind(record.kind):<11} {record.name:<32}"
    )
    if record.role:
        line += f" → {record.role}"
    if record.kind == "appointment":
        when = f" {record.appointment:%d.%m.%Y kl. %H:%M}" if record.appointment else ""
        line += f"  {record.step}{when}"  # booket / flyttet / aflyst
    elif record.due_date and record.kind != "state":
        line += f"  (frist {record.due_date:%d.%m.%Y})"
    if record.kind in ("checkin", "at_least", "at_least_met"):
        line += f"  {record.step}"  # til tiden / for sent; a `mindst` rule's count: 3 af 4
    if record.in_a_row:
        line += f"  {record.in_a_row} i træk"
    if record.moved:
        line += f"  flyttet: {record.moved}"
    return line.rstrip()


def run_simulation(path: str, as_json: bool, out: list[Record] | None = None) -> int:
    from drejebog.engine.errors import DrejebogInvalid
    from drejebog.engine.scenario import load_scenario
    from drejebog.engine.simulator import simulate

    try:
        scenario = load_scenario(path)
        for record in simulate(scenario):
            if out is not None:
                out.append(record)
                continue
            click.echo(
                json.dumps(record_json(record), ensure_ascii=False)
                if as_json
                else record_text(record)
            )
    except DrejebogInvalid as exc:
        for problem in exc.problems:
            click.echo(f"fejl: {problem}", err=True)
        return 1
    return 0


@main.command(help="Kør et scenarie på et simuleret ur og vis alt, der ville ske.")
@click.argument("scenario")
@click.option("--json", "as_json", is_flag=True, help="Én JSON-linje pr. hændelse.")
def simulate_command(scenario: str, as_json: bool) -> None:
    sys.exit(run_simulation(scenario, as_json))


simulate_command.name = "simulate"


@main.command(
    help="Kør et demo-jobcenter (216 borgere over 18 måneder i en ny SQLite-fil gennem "
    "daemonens egen sweep) og fortæl historien: måltal måned for måned, frister og hvor "
    "HTML-rapporten, diagrammerne, simuleringerne og webappen er."
)
@click.option(
    "--database",
    default="drejebog-demo.db",
    show_default=True,
    help="SQLite-filen, demoen laver forfra; rapport, diagrammer og log lægges ved siden af.",
)
@click.option(
    "--borgere",
    "citizens",
    default=216,
    show_default=True,
    type=click.IntRange(1, 5000),
    help="Antal borgere (ansøgningens tal er 216).",
)
def demo(database: str, citizens: int) -> None:
    from drejebog.app.kpi_html import as_html
    from drejebog.cli.demo_story import DemoFiles, story, write_whole
    from drejebog.cli.jobcenter_demo import run_jobcenter_demo

    started = time.perf_counter()
    files = DemoFiles.beside(Path(database).resolve())
    _progress("1/4 tjekker og tegner de medfølgende drejebøger")
    write_whole(files.diagrams, _demo_diagrams())
    _progress("2/4 simulerer scenarierne")
    write_whole(files.simulation, _demo_simulations())
    _progress(f"3/4 kører jobcentret: {citizens} borgere over 18 måneder")
    outcome = run_jobcenter_demo(files.database, citizens)
    _progress("4/4 skriver rapporten")
    write_whole(files.report, as_html(outcome.report))
    _progress(f"færdig på {time.perf_counter() - started:.0f} s")
    for line in story(outcome, files):
        click.echo(line)


def _progress(phase: str) -> None:
    click.echo(f"demo: {phase}", err=True)


def _demo_diagrams() -> str:
    """The shipped drejebøger, checked (a problem stops the demo) and drawn as Mermaid."""
    from drejebog.engine.diagram import render
    from drejebog.engine.loader import check_file, drejebog_files

    parts = ["# De medfølgende drejebøger tegnet som Mermaid-diagrammer\n"]
    for path in drejebog_files([SHIPPED_DIR]):
        drejebog, problems = check_file(path)
        if problems or drejebog is None:
            for problem in problems:
                click.echo(str(problem), err=True)
            sys.exit(1)
        parts.append(f"## {drejebog.title} ({path.name})\n\n{summary(drejebog)}\n")
        parts.append(f"```mermaid\n{render(drejebog, 'mermaid').rstrip()}\n```\n")
    return "\n".join(parts)


def _demo_simulations() -> str:
    """Every shipped scenario on the simulated clock, as `drejebog simulate` shows it."""
    from drejebog.engine.loader import drejebog_files
    from drejebog.engine.names import danish_kind

    parts = []
    for path in drejebog_files([SCENARIOS_DIR]):
        records: list[Record] = []
        if run_simulation(str(path), False, records):
            sys.exit(1)
        counts = Counter(danish_kind(r.kind) for r in records)
        parts.append(f"== Simulering: {path.name} ==")
        parts += [record_text(record) for record in records]
        parts.append("I alt: " + ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items())))
        parts.append("")
    return "\n".join(parts)


danish.localise(main)
