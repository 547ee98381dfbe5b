"""Issue 10, point 8: every CLI command answers hostile input with a short Danish error, a
non-zero exit and an unchanged database, on SQLite and PostgreSQL alike.

One table of rows; each runs one command against a database with staff, a citizen, the shipped
drejebøger and one open case, and compares a dump of every table before and after. `{tmp}` in
an argument or an environment value is replaced by a directory of odd files (see `odd_files`).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from freezegun import freeze_time

from drejebog.cli.main import main
from drejebog.workflows import SHIPPED_DIR
from tests.store.backends import dump

CPR = "610190-1234"  # erstatningspersonnummer: day + 60
HUGE = "99999999999999999999"
LONG = "x" * 300

# (id, arguments, extra environment, expected exit code): 1 is our Danish error ("fejl: ..."),
# 2 a usage error click reports (its text is translated in cli/danish.py)
ROWS: list[tuple[str, tuple[str, ...], dict[str, str], int]] = [
    # citizen add
    ("citizen-cpr-invalid", ("citizen", "add", "123456-7890", "--navn", "X"), {}, 1),
    ("citizen-cpr-too-long", ("citizen", "add", "610190-12345678", "--navn", "X"), {}, 1),
    ("citizen-cpr-not-utf8", ("citizen", "add", "610190-123\udcff", "--navn", "X"), {}, 1),
    ("citizen-duplicate", ("citizen", "add", CPR, "--navn", "Igen"), {}, 1),
    ("citizen-name-not-utf8", ("citizen", "add", "720385-2345", "--navn", "M\udcff"), {}, 1),
    ("citizen-bad-email", ("citizen", "add", "720385-2345", "--navn", "B", "--email", "@"), {}, 1),
    # inbox
    ("inbox-unknown-worker", ("inbox", "--worker", "ingen"), {}, 1),
    ("inbox-worker-not-utf8", ("inbox", "--worker", "anna\udcff"), {}, 1),
    ("inbox-worker-too-long", ("inbox", "--worker", LONG), {}, 1),
    ("inbox-read-huge", ("inbox", "--worker", "anna", "--read", HUGE), {}, 2),
    ("inbox-read-unknown", ("inbox", "--worker", "anna", "--read", "424242"), {}, 1),
    ("inbox-read-negative", ("inbox", "--worker", "anna", "--read", "-1"), {}, 2),
    ("inbox-read-not-a-number", ("inbox", "--worker", "anna", "--read", "en"), {}, 2),
    # outbox
    ("outbox-retry-huge", ("outbox", "--retry", HUGE), {}, 2),
    ("outbox-retry-unknown", ("outbox", "--retry", "424242"), {}, 1),
    ("outbox-retry-not-a-number", ("outbox", "--retry", "x\udcff"), {}, 2),
    ("outbox-unknown-option", ("outbox", "--slet"), {}, 2),
    # migrate
    ("migrate-unknown-drejebog", ("migrate", "findes_ikke", "--to", "2"), {}, 1),
    ("migrate-drejebog-not-utf8", ("migrate", "ressource\udcff", "--to", "2"), {}, 1),
    ("migrate-drejebog-too-long", ("migrate", LONG, "--to", "2"), {}, 1),
    ("migrate-to-huge", ("migrate", "ressourceforloeb", "--to", HUGE), {}, 1),
    ("migrate-to-not-a-number", ("migrate", "ressourceforloeb", "--to", "to"), {}, 1),
    ("migrate-to-same", ("migrate", "ressourceforloeb", "--to", "1", "--dry-run"), {}, 1),
    ("migrate-map-malformed", ("migrate", "ressourceforloeb", "--to", "2", "--map", "x"), {}, 2),
    (
        "migrate-as-unknown",
        ("migrate", "ressourceforloeb", "--to", "2", "--as", "ingen"),
        {},
        1,
    ),
    (
        "migrate-reason-not-utf8",
        ("migrate", "ressourceforloeb", "--to", "2", "--begrundelse", "\udcff"),
        {},
        1,
    ),
    # tasks
    ("tasks-unknown-worker", ("tasks", "--worker", "ingen"), {}, 1),
    ("tasks-worker-not-utf8", ("tasks", "--worker", "anna\udcff"), {}, 1),
    ("tasks-role-not-utf8", ("tasks", "--role", "mentor\udcff"), {}, 1),
    ("tasks-role-too-long", ("tasks", "--role", LONG, "--overdue"), {}, 1),
    ("tasks-unknown-role", ("tasks", "--role", "astronaut"), {}, 1),
    # worker list / add
    ("worker-list-bad-database-scheme", ("worker", "list"), {"DATABASE_URL": "mysql://x"}, 1),
    (
        "worker-add-leader-unknown",
        ("worker", "add", "ny", "--navn", "N", "--rolle", "mentor", "--leder", "ingen"),
        {},
        1,
    ),
    (
        "worker-add-name-not-utf8",
        ("worker", "add", "ny", "--navn", "N\udcff", "--rolle", "mentor"),
        {},
        1,
    ),
    # db upgrade and the database address
    ("db-upgrade-garbage-url", ("db", "upgrade"), {"DATABASE_URL": "det er ikke en adresse"}, 1),
    (
        "db-upgrade-missing-directory",
        ("db", "upgrade"),
        {"DATABASE_URL": "sqlite:///{tmp}/findes/ikke/drejebog.db"},
        1,
    ),
    (
        "db-upgrade-nowhere",
        ("db", "upgrade"),
        {"DATABASE_URL": "postgresql://postgres@127.0.0.1:1/ingen?connect_timeout=2"},
        1,
    ),
    (
        "db-upgrade-path-under-a-file",  # unwritable, also as root: its folder is a file
        ("db", "upgrade"),
        {"DATABASE_URL": "sqlite:///{tmp}/binaer.yaml/drejebog.db"},
        1,
    ),
    (
        "worker-list-path-under-a-file",
        ("worker", "list"),
        {"DATABASE_URL": "sqlite:///{tmp}/binaer.yaml/drejebog.db"},
        1,
    ),
    (
        "db-upgrade-url-not-utf8",
        ("db", "upgrade"),
        {"DATABASE_URL": "sqlite:///{tmp}/\udcff/x.db"},
        1,
    ),
    # load / check / simulate / diagram with paths that are not drejebøger
    ("load-missing-path", ("load", "{tmp}/findes_ikke.yaml"), {}, 1),
    ("load-directory-without-yaml", ("load", "{tmp}/tom"), {}, 1),
    ("load-binary-file", ("load", "{tmp}/binaer.yaml"), {}, 1),
    ("load-latin1-file", ("load", "{tmp}/latin1.yaml"), {}, 1),
    ("load-odd-bytes-in-path", ("load", "{tmp}/\udcff.yaml"), {}, 1),
    ("check-missing-path", ("check", "{tmp}/findes_ikke.yaml"), {}, 1),
    ("check-binary-file", ("check", "{tmp}/binaer.yaml"), {}, 1),
    ("check-directory-without-yaml", ("check", "{tmp}/tom"), {}, 1),
    ("simulate-missing-path", ("simulate", "{tmp}/findes_ikke.yaml"), {}, 1),
    ("simulate-binary-file", ("simulate", "{tmp}/binaer.yaml"), {}, 1),
    ("simulate-directory", ("simulate", "{tmp}/tom"), {}, 1),
    ("diagram-missing-path", ("diagram", "{tmp}/findes_ikke.yaml"), {}, 1),
    ("diagram-latin1-file", ("diagram", "{tmp}/latin1.yaml"), {}, 1),
    ("diagram-odd-bytes-in-path", ("diagram", "{tmp}/\udcff.yaml"), {}, 1),
    # the daemon refuses bad settings before it starts (--once: a bug would run a sweep, not hang)
    ("daemon-interval-not-a-number", ("daemon", "--once"), {"DREJEBOG_SWEEP_SECONDS": "ofte"}, 1),
    ("daemon-interval-zero", ("daemon", "--once"), {"DREJEBOG_SWEEP_SECONDS": "0"}, 1),
    ("daemon-port-huge", ("daemon", "--once"), {"DREJEBOG_SMTP_PORT": HUGE}, 1),
    ("daemon-webhook-not-http", ("daemon", "--once"), {"DREJEBOG_WEBHOOK_URL": "ftp://x"}, 1),
    ("daemon-digest-time-bad", ("daemon", "--once"), {"DREJEBOG_DIGEST_TIME": "25:99"}, 1),
    ("daemon-security-unknown", ("daemon", "--once"), {"DREJEBOG_SMTP_SECURITY": "måske"}, 1),
    ("daemon-worker-unknown", ("daemon", "--once"), {"DREJEBOG_WORKER": "ingen"}, 1),
    # case event: dates out of range, huge numbers, text for a date
    (
        "event-date-9999",
        ("case", "event", "1", "tilmeld_holdforloeb", "rehab_moede=9999-12-31"),
        {},
        1,
    ),
    (
        "event-date-0001",
        ("case", "event", "1", "tilmeld_holdforloeb", "rehab_moede=0001-01-01"),
        {},
        1,
    ),
    (
        "event-date-not-a-date",
        ("case", "event", "1", "tilmeld_holdforloeb", "rehab_moede=" + HUGE),
        {},
        1,
    ),
    (
        "event-date-not-utf8",
        ("case", "event", "1", "tilmeld_holdforloeb", "rehab_moede=\udcff"),
        {},
        1,
    ),
    (
        "event-number-huge",
        ("case", "event", "1", "loentimer_startet", "loentimer_pr_uge=1e400"),
        {},
        1,
    ),
    (
        "event-number-huge-int",
        ("case", "event", "1", "loentimer_startet", "loentimer_pr_uge=" + "9" * 400),
        {},
        1,
    ),
    ("event-unknown-field", ("case", "event", "1", "tilmeld_holdforloeb", "ukendt=1"), {}, 1),
    ("event-id-too-long", ("case", "event", "1", "hjemmemoede_holdt", "--id", LONG), {}, 1),
    ("event-data-malformed", ("case", "event", "1", "tilmeld_holdforloeb", "rehab_moede"), {}, 2),
    ("event-unknown-event", ("case", "event", "1", "findes\udcff"), {}, 1),
    # case open: CPR and --tildel
    ("open-cpr-invalid", ("case", "open", "ressourceforloeb", "--cpr", "123456-7890"), {}, 1),
    ("open-cpr-too-long", ("case", "open", "ressourceforloeb", "--cpr", CPR + "0" * 50), {}, 1),
    ("open-cpr-not-utf8", ("case", "open", "ressourceforloeb", "--cpr", "610190-12\udcff4"), {}, 1),
    ("open-cpr-unknown", ("case", "open", "ressourceforloeb", "--cpr", "720385-2345"), {}, 1),
    (
        "open-tildel-no-equals",
        ("case", "open", "ressourceforloeb", "--cpr", CPR, "--tildel", "anna"),
        {},
        2,
    ),
    (
        "open-tildel-empty-role",
        ("case", "open", "ressourceforloeb", "--cpr", CPR, "--tildel", "=anna"),
        {},
        2,
    ),
    (
        "open-tildel-unknown-role",
        ("case", "open", "ressourceforloeb", "--cpr", CPR, "--tildel", "astronaut=anna"),
        {},
        1,
    ),
    (
        "open-tildel-role-twice",
        (
            "case",
            "open",
            "ressourceforloeb",
            "--cpr",
            CPR,
            "--tildel",
            "sagsbehandler=anna",
            "--tildel",
            "sagsbehandler=karl",
        ),
        {},
        2,
    ),
    ("open-unknown-drejebog", ("case", "open", "findes_ikke", "--cpr", CPR), {}, 1),
    (
        "open-fact-date-9999",
        ("case", "open", "ressourceforloeb", "--cpr", CPR, "opstartsmoede=9999-12-31"),
        {},
        1,
    ),
    ("show-negative-id", ("case", "show", "-5"), {}, 2),
    ("show-id-not-utf8", ("case", "show", "1\udcff"), {}, 1),
]


# rows that expose a bug not fixed yet (each a strict xfail: it fails loudly once fixed)
KNOWN_BUGS: dict[str, str] = {}

# what the Danish answer must say, for rows where the reason matters (the option, the limit)
SAYS = {
    "citizen-name-not-utf8": "fejl: --navn indeholder byten 0xFF (tegn 2), som ikke er UTF-8",
    "inbox-worker-not-utf8": "fejl: --worker indeholder byten 0xFF (tegn 5)",
    "migrate-drejebog-not-utf8": "fejl: DREJEBOG indeholder byten 0xFF",
    "tasks-role-not-utf8": "fejl: --role indeholder byten 0xFF",
    "worker-add-name-not-utf8": "fejl: --navn indeholder byten 0xFF",
    "db-upgrade-url-not-utf8": "fejl: DATABASE_URL indeholder byten 0xFF",
    "inbox-read-huge": "er uden for intervallet 1–9223372036854775807",
    "inbox-read-negative": "'--read': -1 er uden for intervallet",
    "outbox-retry-huge": "er uden for intervallet 1–9223372036854775807",
    "migrate-to-same": "kører allerede version 1; intet er flyttet",
    "tasks-unknown-role": "fejl: ukendt rolle 'astronaut'; kendte roller: ",
    "tasks-role-too-long": "fejl: ukendt rolle 'xxxx",
    "db-upgrade-missing-directory": "/findes/ikke findes ikke (opret den",
    "db-upgrade-nowhere": "kan ikke nås: serveren svarer ikke",
    "db-upgrade-path-under-a-file": "binaer.yaml er en fil, ikke en mappe",
    "worker-list-path-under-a-file": "binaer.yaml er en fil, ikke en mappe",
    "load-missing-path": "findes_ikke.yaml:1:1: filen kan ikke læses: den findes ikke",
    "simulate-missing-path": "findes_ikke.yaml:1:1: filen kan ikke læses: den findes ikke",
    "diagram-missing-path": "findes_ikke.yaml:1:1: filen kan ikke læses: den findes ikke",
    "load-binary-file": "binaer.yaml:3:115: filen er ikke UTF-8-tekst: byten 0x80",
    "load-latin1-file": "latin1.yaml:1:8: filen er ikke UTF-8-tekst: byten 0xF8",
    "diagram-latin1-file": "latin1.yaml:1:8: filen er ikke UTF-8-tekst: byten 0xF8",
    "check-directory-without-yaml": "fejl: ingen drejebøger (*.yaml) fundet i ",
    "daemon-port-huge": "fejl: DREJEBOG_SMTP_PORT skal være et helt tal fra 1 til 65535",
    "daemon-worker-unknown": "fejl: DREJEBOG_WORKER: ukendt medarbejder 'ingen'",
}


@pytest.fixture
def seeded(run, database_url: str, tmp_path: Path) -> tuple[str, Path]:
    """Staff, a citizen, the shipped drejebøger and case 1; the odd files in `tmp_path`."""
    with freeze_time("2027-01-04 08:00:00"):
        run("db", "upgrade")
        run("load", str(SHIPPED_DIR))
        run("worker", "add", "lene", "--navn", "Lene Leder", "--rolle", "leder")
        run("worker", "add", "anna", "--navn", "Anna A", "--rolle", "sagsbehandler")
        run("worker", "add", "karl", "--navn", "Karl K", "--rolle", "mentor")
        run("citizen", "add", CPR, "--navn", "Mette Madsen")
        run("case", "open", "ressourceforloeb", "--cpr", CPR, "--tildel", "sagsbehandler=anna")
    (tmp_path / "tom").mkdir()
    (tmp_path / "binaer.yaml").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "latin1.yaml").write_bytes("navn: rødgrød\nversion: 1\n".encode("latin-1"))
    (tmp_path / "\udcff.yaml").write_text("navn: [\n")  # a file name with the byte 0xff
    return database_url, tmp_path


@pytest.mark.parametrize(
    ("args", "environment", "code", "says"),
    [
        pytest.param(
            args,
            env,
            code,
            SAYS.get(name, ""),
            id=name,
            marks=[pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[name])]
            if name in KNOWN_BUGS
            else [],
        )
        for name, args, env, code in ROWS
    ],
)
def test_hostile_input_is_a_danish_error_and_changes_nothing(
    seeded: tuple[str, Path],
    args: tuple[str, ...],
    environment: dict[str, str],
    code: int,
    says: str,
) -> None:
    database_url, tmp = seeded
    env = {"DATABASE_URL": database_url}
    env.update({key: value.replace("{tmp}", str(tmp)) for key, value in environment.items()})
    before = dump(database_url)
    with freeze_time("2027-01-05 08:00:00"):
        result = CliRunner().invoke(main, [arg.replace("{tmp}", str(tmp)) for arg in args], env=env)
    output = result.output
    assert result.exit_code == code, output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in output and len(output) < 1000, output
    if code == 1:  # our error, or a drejebog file's problems as path:line:column: text
        assert output.startswith("fejl: ") or re.search(r":\d+:\d+: ", output), output
        assert not re.search(r"error|no such|invalid", output, re.IGNORECASE), output
    assert says in output
    assert dump(database_url) == before
