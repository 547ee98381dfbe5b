"""`drejebog token` (the REST API's tokens, for an administrator) and `drejebog calendar` (a
worker's private calendar URL). A token and a URL are shown once, when made: only their
digests are stored."""

from __future__ import annotations

import click

from drejebog.app.api_tokens import SCOPES
from drejebog.app.calendar_feed import FEED_PATH, FEED_SUFFIX
from drejebog.app.ports import SYSTEM_ACTOR
from drejebog.bootstrap import App
from drejebog.cli.store_commands import actor_of, app_with_schema, echo, echo_json, reports_errors

SCOPE_NAMES = tuple(SCOPES)

token = click.Group(
    "token", help="API-tokens til jobcentrets andre systemer (kun administratorer)."
)


@token.command("add", help="Lav et token til en integration; det vises kun denne ene gang.")
@click.argument("name")
@click.option(
    "--adgang",
    "scopes",
    multiple=True,
    required=True,
    type=click.Choice(SCOPE_NAMES),
    help="Hvad tokenet må (gentag for flere): laes, haendelser, aabn, tildel, indbakke.",
)
@click.option("--team", "team_lead", default=None, help="Kun denne leders teams sager.")
@click.option("--alle-teams", "all_teams", is_flag=True, help="Alle teams sager.")
@click.option("--as", "as_worker", default=None, help="Administratorens brugernavn.")
@reports_errors
def token_add(
    name: str,
    scopes: tuple[str, ...],
    team_lead: str | None,
    all_teams: bool,
    as_worker: str | None,
) -> None:
    if bool(team_lead) == all_teams:
        raise click.UsageError("vælg enten --team LEDER eller --alle-teams")
    app = app_with_schema()
    made = app.api_tokens.create(name, scopes, team_lead, actor_of(app, as_worker))
    reach = f"{team_lead}s team" if team_lead else "alle teams"
    echo(f"token til {name} ({', '.join(made.stored.scopes)}; {reach}):")
    click.echo(made.token)  # not through echo(): a token is never CPR-shaped, and is needed whole
    echo("gem det nu: det vises ikke igen (kun en afledt værdi er gemt)")


@token.command("list", help="Vis alle tokens (aldrig selve tokenet).")
@click.option("--as", "as_worker", default=None, help="Administratorens brugernavn.")
@click.option("--json", "as_json", is_flag=True)
@reports_errors
def token_list(as_worker: str | None, as_json: bool) -> None:
    app = app_with_schema()
    rows = [
        {
            "navn": t.name,
            "adgang": list(t.scopes),
            "team": t.team_lead or "alle",
            "oprettet": t.created_at.isoformat(),
            "af": t.created_by,
            "tilbagekaldt": t.revoked_at.isoformat() if t.revoked_at else None,
        }
        for t in app.api_tokens.tokens(actor_of(app, as_worker))
    ]
    if as_json:
        echo_json(rows)
        return
    if not rows:
        echo("ingen tokens")
        return
    table = (
        [("navn", "adgang", "team", "oprettet", "status")]
        + [
            (
                str(r["navn"]),
                ",".join(r["adgang"]),  # type: ignore[arg-type]
                str(r["team"]),
                str(r["oprettet"])[:10],
                "tilbagekaldt" if r["tilbagekaldt"] else "gyldigt",
            )
            for r in rows
        ]
    )
    widths = [max(len(row[i]) for row in table) for i in range(5)]
    for row in table:
        echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


@token.command("revoke", help="Tilbagekald en integrations token; det virker ikke længere.")
@click.argument("name")
@click.option("--as", "as_worker", default=None, help="Administratorens brugernavn.")
@reports_errors
def token_revoke(name: str, as_worker: str | None) -> None:
    app = app_with_schema()
    app.api_tokens.revoke(name, actor_of(app, as_worker))
    echo(f"tokenet til {name} er tilbagekaldt")


calendar = click.Group("calendar", help="Din private kalender-URL med dine frister (iCalendar).")


def _worker(as_worker: str | None) -> tuple[App, str]:
    app = app_with_schema()
    handle = actor_of(app, as_worker)
    if handle == SYSTEM_ACTOR:
        raise click.UsageError("angiv medarbejderen med --as (eller DREJEBOG_WORKER)")
    return app, handle


@calendar.command(
    "url", help="Lav en ny privat kalender-URL (en tidligere holder op med at virke)."
)
@click.option("--as", "as_worker", default=None, help="Medarbejderens brugernavn.")
@click.option(
    "--adresse",
    "base_url",
    default="http://127.0.0.1:8000",
    show_default=True,
    help="Webappens adresse, som medarbejderens kalender kan nå.",
)
@reports_errors
def calendar_url(as_worker: str | None, base_url: str) -> None:
    app, handle = _worker(as_worker)
    secret = app.calendar_feeds.new_secret(handle)
    echo(f"kalender-URL til {handle} (abonnér på den i Outlook; vises kun denne ene gang):")
    click.echo(f"{base_url.rstrip('/')}{FEED_PATH}{secret}{FEED_SUFFIX}")


@calendar.command("revoke", help="Tilbagekald din kalender-URL; den virker ikke længere.")
@click.option("--as", "as_worker", default=None, help="Medarbejderens brugernavn.")
@reports_errors
def calendar_revoke(as_worker: str | None) -> None:
    app, handle = _worker(as_worker)
    app.calendar_feeds.revoke(handle)
    echo(f"kalender-URL'en til {handle} er tilbagekaldt")
