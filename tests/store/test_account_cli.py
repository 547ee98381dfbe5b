"""`drejebog account add`: a worker's login to the web app, the password read from standard
input or a prompt (never an argument), refusals in Danish; and `serve`'s Danish help."""

from __future__ import annotations

from click.testing import CliRunner

from drejebog.app.settings import Settings
from drejebog.bootstrap import bootstrap
from drejebog.cli.main import main


def invoke(database_url: str, *args: str, stdin: str = "", code: int = 0) -> str:
    result = CliRunner().invoke(main, list(args), input=stdin, env={"DATABASE_URL": database_url})
    output = result.output + (result.stderr if result.stderr_bytes else "")
    assert result.exit_code == code, output
    return output


def test_account_add_stores_an_argon2_hash_that_logs_in(database_url, run):
    run("db", "upgrade")
    run("worker", "add", "anna", "--navn", "Anna", "--rolle", "sagsbehandler")
    password = "korrekt hest batteri"
    out = invoke(
        database_url,
        "account",
        "add",
        "anna",
        "--rolle",
        "sagsbehandler",
        "--password-stdin",
        stdin=password + "\n",
    )
    assert "konto oprettet til anna (sagsbehandler)" in out
    app = bootstrap(Settings(database_url))
    try:
        stored = app.access_store.account("anna")
        assert stored is not None and stored.password_hash.startswith("$argon2id$")
        assert password not in stored.password_hash
        assert app.accounts.authenticate("anna", password) == stored
        assert app.accounts.authenticate("anna", "forkert adgangskode") is None
    finally:
        app.close()
    again = invoke(
        database_url,
        "account",
        "add",
        "anna",
        "--rolle",
        "leder",
        "--password-stdin",
        stdin=password + "\n",
        code=1,
    )
    assert "medarbejderen 'anna' har allerede en konto" in again


def test_account_add_prompts_twice_and_refuses_in_danish(database_url, run):
    run("db", "upgrade")
    run("worker", "add", "anna", "--navn", "Anna", "--rolle", "sagsbehandler")
    prompted = invoke(
        database_url,
        "account",
        "add",
        "anna",
        "--rolle",
        "leder",
        stdin="en lang adgangskode\nen lang adgangskode\n",
    )
    assert "Adgangskode" in prompted and "Gentag adgangskoden" in prompted
    assert "konto oprettet til anna (leder)" in prompted
    short = invoke(
        database_url,
        "account",
        "add",
        "anna",
        "--rolle",
        "leder",
        "--password-stdin",
        stdin="kort\n",
        code=1,
    )
    assert "adgangskoden skal være mindst 12 tegn lang" in short
    unknown = invoke(
        database_url,
        "account",
        "add",
        "nobody",
        "--rolle",
        "leder",
        "--password-stdin",
        stdin="en lang adgangskode\n",
        code=1,
    )
    assert "ukendt medarbejder 'nobody'" in unknown
    role = invoke(database_url, "account", "add", "anna", "--rolle", "chef", code=2)
    assert "sagsbehandler" in role and "administrator" in role


def test_serve_has_danish_help(database_url):
    out = invoke(database_url, "serve", "--help")
    assert "Start webappen" in out and "Porten, der lyttes på." in out
