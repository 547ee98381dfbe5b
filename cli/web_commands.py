"""`drejebog serve` (the web app, run by uvicorn) and `drejebog account` (its logins)."""

from __future__ import annotations

import logging
import sys

import click

from drejebog.app.accounts import ACCOUNT_ROLES
from drejebog.cli.store_commands import app_with_schema, echo, reports_errors

account = click.Group("account", help="Konti til webappen.")


@account.command("add", help="Giv en medarbejder en konto til webappen.")
@click.argument("handle")
@click.option(
    "--rolle",
    "role",
    required=True,
    type=click.Choice(ACCOUNT_ROLES),
    help="Kontoens rolle i webappen.",
)
@click.option(
    "--password-stdin",
    "from_stdin",
    is_flag=True,
    help="Læs adgangskoden fra standardinput (første linje) i stedet for at spørge.",
)
@reports_errors
def account_add(handle: str, role: str, from_stdin: bool) -> None:
    app = app_with_schema()
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt(
            "Adgangskode", hide_input=True, confirmation_prompt="Gentag adgangskoden"
        )
    app.accounts.add(handle, role, password)
    echo(f"konto oprettet til {handle} ({role})")


@click.command(help="Start webappen (sagsbehandlernes sider) med uvicorn.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Adressen, der lyttes på.")
@click.option("--port", default=8000, show_default=True, type=int, help="Porten, der lyttes på.")
@reports_errors
def serve(host: str, port: int) -> None:
    import uvicorn

    from drejebog.web.app import create_app
    from drejebog.web.settings import WebSettings

    # the app's own log lines (a login through the identity provider, one refused, a calendar
    # URL made or revoked) at INFO on stderr, as the daemon's; never the HTTP client's, whose
    # lines would hold the provider's one-time codes
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("httpx2").setLevel(logging.WARNING)
    app = app_with_schema()
    settings = WebSettings.from_environment()
    if not settings.secure_cookie:
        echo("advarsel: sessionscookien sendes også uden HTTPS (DREJEBOG_SECURE_COOKIE=0)")
    echo(f"webappen kører på http://{host}:{port}/ ({app.database}); stop med Ctrl+C")
    uvicorn.run(create_app(app, settings), host=host, port=port, log_level="warning")
