"""`drejebog case import FILE.jsonl`: events from another system, checked as if typed."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from drejebog.app.event_import import MAX_BATCH, EventImport, ImportSummary, read_events
from drejebog.cli.store_commands import actor_of, app_with_schema, case, echo, reports_errors
from drejebog.engine.errors import DrejebogError

SHOWN_REFUSALS = 20  # refused lines printed; the rest are counted


class ImportFailed(DrejebogError):
    """An import file cannot be read, or the database stopped the import."""


@case.command(
    "import",
    help=(
        "Indlæs hændelser fra et andet system: en JSON Lines-fil med ét objekt pr. linje, "
        'fx {"id": "fag-123", "sag": "17", "hændelse": "moede_holdt", "data": {...}}. '
        "Hver hændelse kontrolleres som en indtastet; 'id' er påkrævet og gør en ny "
        "indlæsning af samme fil harmløs. En afvist linje nævnes med sit nummer, og resten "
        "indlæses."
    ),
)
@click.argument("path", metavar="FIL", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--as", "as_worker", default=None, help="Hvem indlæser (brugernavn).")
@click.option(
    "--portion",
    "batch_size",
    type=click.IntRange(1, MAX_BATCH),
    default=1000,
    show_default=True,
    help="Hændelser pr. transaktion.",
)
@reports_errors
def case_import(path: Path, as_worker: str | None, batch_size: int) -> None:
    app = app_with_schema()
    actor = actor_of(app, as_worker)
    try:
        handle = path.open("rb")
        size = path.stat().st_size
    except OSError as exc:
        raise ImportFailed(f"filen {path} kan ikke læses ({_reason(exc)})") from None
    importer = EventImport(app.cases, app.unit_of_work, app.clock)
    summary = ImportSummary()
    with handle, click.progressbar(length=size, label="Indlæser hændelser", file=sys.stderr) as bar:
        try:
            importer.run(read_events(handle, summary, bar.update), actor, summary, batch_size)
        except DrejebogError as exc:
            _report(summary)
            raise ImportFailed(
                f"indlæsningen stoppede: {exc}. Det indlæste er gemt; kør kommandoen igen "
                "for resten (hændelser med samme id indlæses ikke to gange)"
            ) from None
        except OSError as exc:
            _report(summary)
            raise ImportFailed(f"filen {path} kan ikke læses ({_reason(exc)})") from None
    _report(summary)
    if summary.refused:
        sys.exit(1)


def _reason(exc: OSError) -> str:
    import errno

    return {
        errno.ENOENT: "den findes ikke",
        errno.EACCES: "adgang nægtet",
        errno.EISDIR: "det er en mappe",
    }.get(exc.errno or 0, f"fejlkode {exc.errno}")


def _events(count: int) -> str:
    return f"{count} hændelse" if count == 1 else f"{count} hændelser"


def _report(summary: ImportSummary) -> None:
    echo(
        f"{_events(summary.applied)} indlæst, {summary.already} var allerede registreret, "
        f"{summary.refused} afvist"
    )
    for message in summary.refusals[:SHOWN_REFUSALS]:
        echo(f"  afvist: {message}", err=True)
    if summary.refused > SHOWN_REFUSALS:
        echo(f"  ... og {summary.refused - SHOWN_REFUSALS} afviste linjer mere", err=True)
