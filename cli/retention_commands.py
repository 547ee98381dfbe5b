"""`drejebog retention`: anonymise closed cases whose drejebog's `opbevaring` has passed."""

from __future__ import annotations

import click

from drejebog.app.retention import MAX_BATCH, RetentionReport
from drejebog.cli.store_commands import app_with_schema, echo, echo_json, reports_errors
from drejebog.engine.deadlines import local_date

SHOWN = 50  # cases listed by name; the rest are counted


@click.command(
    help=(
        "Anonymisér lukkede sager, hvis opbevaringsperiode (drejebogens 'opbevaring', "
        "ellers 5 år) er udløbet: fritekst, hændelsesdata, begrundelser og beskedtekster "
        "slettes, og borgerens CPR-nummer, navn og kontaktoplysninger, når ingen af borgerens "
        "sager opbevares længere. Tal til måltallene bevares. Dæmonen gør det selv hver dag."
    )
)
@click.option("--dry-run", is_flag=True, help="Vis kun, hvad der ville blive anonymiseret.")
@click.option(
    "--portion",
    "batch",
    type=click.IntRange(1, MAX_BATCH),
    default=500,
    show_default=True,
    help="Sager pr. transaktion.",
)
@click.option("--json", "as_json", is_flag=True)
@reports_errors
def retention(dry_run: bool, batch: int, as_json: bool) -> None:
    app = app_with_schema()
    report = app.retention.run(batch=batch, dry_run=dry_run)
    if as_json:
        echo_json(_as_json(report, dry_run))
        return
    verb = "anonymiseres" if dry_run else "anonymiseret"
    for case in report.due[:SHOWN]:
        closed = f"{local_date(case.closed_at):%d.%m.%Y}"
        who = f"borger {case.citizen}"
        echo(f"sag {case.case_id} ({case.drejebog_id}, lukket {closed}, {who}) {verb}")
    if len(report.due) > SHOWN:
        echo(f"... og {len(report.due) - SHOWN} sager mere")
    if dry_run:
        echo(f"{len(report.due)} sager ville blive anonymiseret (prøvekørsel: intet er ændret)")
        return
    removed = report.removed
    echo(
        f"{removed.cases} sager anonymiseret: {removed.facts} fritekstfakta, "
        f"{removed.history_rows} forløbsrækker, {removed.messages} beskeder og "
        f"{removed.citizens} borgere"
    )


def _as_json(report: RetentionReport, dry_run: bool) -> dict[str, object]:
    return {
        "prøvekørsel": dry_run,
        "sager": [
            {
                "sag": case.case_id,
                "drejebog": case.drejebog_id,
                "lukket": case.closed_at.isoformat(),
                "borger": case.citizen,
            }
            for case in report.due
        ],
        "fjernet": {
            "sager": report.removed.cases,
            "fritekstfakta": report.removed.facts,
            "forløbsrækker": report.removed.history_rows,
            "beskeder": report.removed.messages,
            "borgere": report.removed.citizens,
        },
    }
