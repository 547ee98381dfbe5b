"""`drejebog access-log --cpr` and `drejebog insight --cpr`: who has seen a citizen's cases,
and the citizen's own insight export. Only for a leder or an administrator (app/insight.py)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import click

from drejebog.cli.store_commands import actor_of, app_with_schema, echo, echo_json, reports_errors
from drejebog.engine.deadlines import COPENHAGEN
from drejebog.engine.errors import DrejebogError


class ExportNotWritten(DrejebogError):
    """The insight export's file cannot be written (nothing half-written is left)."""


@click.command(
    "access-log",
    help=(
        "Vis, hvem der har set eller ændret en borgers sager, hvornår og hvorfra "
        "(kun for ledere og administratorer; forespørgslen logges selv)."
    ),
)
@click.option("--cpr", required=True, help="Borgerens CPR-nummer.")
@click.option("--as", "as_worker", default=None, help="Hvem spørger (brugernavn).")
@click.option("--json", "as_json", is_flag=True)
@reports_errors
def access_log(cpr: str, as_worker: str | None, as_json: bool) -> None:
    app = app_with_schema()
    answer = app.insight.access_log(cpr, actor_of(app, as_worker))
    rows = [
        (
            f"{entry.at.astimezone(COPENHAGEN):%d.%m.%Y %H:%M}",
            entry.handle,
            str(entry.case_id),
            entry.action,
            entry.source,
        )
        for entry in answer.entries
    ]
    if as_json:
        keys = ("tidspunkt", "medarbejder", "sag", "handling", "fra")
        echo_json(
            {"borger": answer.citizen, "adgange": [dict(zip(keys, r, strict=True)) for r in rows]}
        )
        return
    echo(f"Adgangslog for borger {answer.citizen}: {len(rows)} adgange")
    header = ("tidspunkt", "medarbejder", "sag", "handling", "fra")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


@click.command(
    help=(
        "Lav borgerens indsigtsudtræk (databeskyttelsesforordningens art. 15) som en JSON-fil: "
        "stamdata, sager, forløb, opgaver, beskeder og adgangslog. CPR-numre er maskerede. "
        "Kun for ledere og administratorer; udtrækket logges."
    )
)
@click.option("--cpr", required=True, help="Borgerens CPR-nummer.")
@click.option("--as", "as_worker", default=None, help="Hvem laver udtrækket (brugernavn).")
@click.option(
    "--til",
    "target",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Filen, udtrækket skrives til (må ikke findes i forvejen).",
)
@reports_errors
def insight(cpr: str, as_worker: str | None, target: Path) -> None:
    app = app_with_schema()
    if target.exists():
        raise ExportNotWritten(f"filen {target} findes allerede; vælg et andet navn")
    export = app.insight.export(cpr, actor_of(app, as_worker))
    _write_whole(target, json.dumps(export, ensure_ascii=False, indent=2, default=str))
    cases = export.get("sager")
    count = len(cases) if isinstance(cases, list) else 0
    echo(f"indsigtsudtræk for borger {export['borger']} skrevet til {target} ({count} sager)")


def _write_whole(target: Path, text: str) -> None:
    """All of it or nothing: written beside the target, then renamed into place."""
    try:
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".indsigt-")
    except OSError as exc:
        raise ExportNotWritten(f"mappen {target.parent} kan ikke skrives i ({exc.errno})") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, target)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise ExportNotWritten(f"filen {target} kan ikke skrives ({exc.errno})") from None
