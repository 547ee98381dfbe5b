"""`drejebog report`: the jobcenter's måltal and deadline adherence for a period, as text,
JSON, CSV or a self-contained HTML file. A thin layer over app/kpi.py."""

from __future__ import annotations

import json
import os
import tempfile
from datetime import date, time, timedelta
from pathlib import Path

import click
from dateutil.relativedelta import relativedelta

from drejebog.app.kpi import KpiReports, ReportRequest
from drejebog.app.kpi_html import as_html
from drejebog.app.kpi_ports import GROUP_TEAM, GROUP_WORKER
from drejebog.app.kpi_render import as_csv, as_json, as_text
from drejebog.bootstrap import App
from drejebog.cli.store_commands import app_with_schema, echo, reports_errors
from drejebog.engine.clock import Clock, SimulatedClock
from drejebog.engine.deadlines import local_date, local_instant

GROUPINGS = {"team": GROUP_TEAM, "medarbejder": GROUP_WORKER}


def report_clock(app: App) -> Clock:
    """The clock the report is made by (the application's; tests put a simulated one)."""
    return app.clock


def end_of_day(day: date) -> Clock:
    """A clock standing at midnight in Copenhagen after `day`: the report as it stood then."""
    return SimulatedClock(local_instant(day + timedelta(days=1), time(0)))


def _day(_ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"'{value}' er ikke en dato; skriv den som ÅÅÅÅ-MM-DD, fx 2027-01-31", param=param
        ) from None


@click.command(
    "report",
    help="Nøgletal: drejebøgernes måltal og fristerne for sager med ankerdag i perioden "
    "(--fra/--til; standard: de seneste 12 måneder), som tekst, JSON, CSV eller HTML.",
)
@click.option("--fra", "start", callback=_day, help="Første ankerdag (ÅÅÅÅ-MM-DD).")
@click.option("--til", "end", callback=_day, help="Sidste ankerdag (ÅÅÅÅ-MM-DD); standard i dag.")
@click.option(
    "--opgjort",
    "as_of",
    callback=_day,
    help="Opgør tallene, som de stod ved udgangen af denne dag (ÅÅÅÅ-MM-DD); standard nu.",
)
@click.option("--drejebog", "drejebog_id", help="Kun denne drejebog.")
@click.option("--team", help="Kun sager, hvis medarbejder (se --rolle) er på dette team.")
@click.option("--medarbejder", "worker", help="Kun denne medarbejders sager (se --rolle).")
@click.option(
    "--rolle",
    default="sagsbehandler",
    show_default=True,
    help="Den rolle på sagen, hvis medarbejder og team sagen hører til.",
)
@click.option(
    "--efter", "grouping", type=click.Choice(sorted(GROUPINGS)), help="Del tallene op efter."
)
@click.option("--json", "as_json_flag", is_flag=True, help="Skriv JSON.")
@click.option("--csv", "as_csv_flag", is_flag=True, help="Skriv CSV (semikolon).")
@click.option(
    "--html",
    "html_file",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Skriv en selvstændig HTML-fil med grafer hertil.",
)
@reports_errors
def report(
    start: date | None,
    end: date | None,
    as_of: date | None,
    drejebog_id: str | None,
    team: str | None,
    worker: str | None,
    rolle: str,
    grouping: str | None,
    as_json_flag: bool,
    as_csv_flag: bool,
    html_file: Path | None,
) -> None:
    if sum((as_json_flag, as_csv_flag, html_file is not None)) > 1:
        raise click.UsageError("vælg højst én af --json, --csv og --html")
    app = app_with_schema()
    clock = report_clock(app) if as_of is None else end_of_day(as_of)
    end = end or local_date(clock.now())
    start = start or (end.replace(day=1) - relativedelta(months=11))
    request = ReportRequest(
        start, end, drejebog_id, team, worker, rolle, GROUPINGS.get(grouping or "", "")
    )
    result = KpiReports(app.kpi.store, clock).report(request)
    if as_json_flag:
        echo(json.dumps(as_json(result), ensure_ascii=False, indent=2))
    elif as_csv_flag:
        echo(as_csv(result).rstrip("\n"))
    elif html_file is not None:
        _write_whole(html_file, as_html(result))
        echo(f"Rapporten er skrevet til {html_file}")
    else:
        echo(as_text(result).rstrip("\n"))


def _write_whole(path: Path, text: str) -> None:
    """Write the file in one piece: a temporary file beside it, renamed over it, so a failure
    leaves nothing half-written."""
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent or Path("."), suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except OSError as exc:
        raise click.ClickException(f"kan ikke skrive {path}: {exc.strerror}") from exc
