"""The case-worker CLI end to end, on both databases: the README's path, errors, masked CPR."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from freezegun import freeze_time

from drejebog.cli.main import main
from drejebog.workflows import SHIPPED_DIR
from tests.conftest import FIXTURES

CPR = "610190-1234"  # erstatningspersonnummer: day + 60


@pytest.fixture
def setup(run):
    with freeze_time("2027-03-01 08:00:00"):
        run("db", "upgrade")
        run("load", str(SHIPPED_DIR))
        run("worker", "add", "lene", "--navn", "Lene Leder", "--rolle", "leder")
        run(
            "worker",
            "add",
            "anna",
            "--navn",
            "Anna A",
            "--rolle",
            "sagsbehandler",
            "--leder",
            "lene",
        )
        run(
            "worker",
            "add",
            "karl",
            "--navn",
            "Karl K",
            "--rolle",
            "koordinerende_sagsbehandler",
            "--leder",
            "lene",
        )
        run("citizen", "add", CPR, "--navn", "Mette Madsen")
    return run


def test_readme_path_open_events_show_and_tasks(setup):
    run = setup
    with freeze_time("2027-01-04 08:00:00"):
        out = run(
            "case",
            "open",
            "ressourceforloeb",
            "--cpr",
            CPR,
            "--tildel",
            "sagsbehandler=anna",
            "--as",
            "anna",
            "ydelse=kontanthjaelp",
        )
        assert "sag 1 åbnet i tilstanden 'visiteret'" in out
    with freeze_time("2027-01-11 09:00:00"):
        event = ("case", "event", "1", "tilmeld_holdforloeb", "rehab_moede=2027-03-01")
        out = run(*event, "--as", "anna", "--id", "e1")
        assert "visiteret → holdforloeb" in out
        again = run(*event, "--as", "anna", "--id", "e1")  # the same event id once more
        assert "allerede registreret; intet er ændret" in again
    with freeze_time("2027-03-01 12:00:00"):
        run("case", "event", "1", "forberedelsesskema_udfyldt", "--as", "anna")
        run(
            "case",
            "event",
            "1",
            "rehab_moede_holdt",
            "indstilling=ressourceforloeb",
            "--as",
            "anna",
        )
        run("case", "assign", "1", "koordinerende_sagsbehandler", "karl")
    with freeze_time("2027-03-05 08:00:00"):
        show = run("case", "show", "1")
        assert "Sag 1: Mette Madsen (610190-xxxx)" in show
        assert "Tilstand: overdragelse" in show
        # 1 March + 14 dage = 15 March; on 5 March that is 10 days away
        assert "overdragelse                 2027-03-15  (10 dage tilbage)" in show
        assert "koordinerende_sagsbehandler  karl Karl K" in show
        assert "holdforloeb → overdragelse  af anna" in show
        details = json.loads(run("case", "show", "1", "--json"))
        assert details["borger"]["cpr"] == "610190-xxxx"
        assert [h["type"] for h in details["forløb"]][:2] == ["åbnet", "hændelse"]
        tasks = json.loads(run("tasks", "--worker", "karl", "--json"))
        assert [t["opgave"] for t in tasks] == ["hold_overdragelsesmoede"]
    with freeze_time("2027-03-20 08:00:00"):
        overdue = json.loads(run("tasks", "--overdue", "--json"))
        assert {t["opgave"] for t in overdue} <= {
            "hold_overdragelsesmoede",
            "virksomhedskonsulent_overdragelse",
        }


def test_case_show_says_why_the_calendar_moved_a_deadline(setup):
    # rehab 15 March + 14 dage = 29 March, 2. påskedag: the sagsbehandler's deadline moves
    # back past Easter to Wednesday 24 March (issue 11, point 10)
    run = setup
    with freeze_time("2027-01-04 08:00:00"):
        opened = ("case", "open", "ressourceforloeb", "--cpr", CPR, "--as", "anna")
        run(*opened, "--tildel", "sagsbehandler=anna", "ydelse=kontanthjaelp")
    with freeze_time("2027-01-11 09:00:00"):
        run("case", "event", "1", "tilmeld_holdforloeb", "rehab_moede=2027-03-15", "--as", "anna")
    with freeze_time("2027-03-15 12:00:00"):
        run("case", "event", "1", "forberedelsesskema_udfyldt", "--as", "anna")
        held = ("case", "event", "1", "rehab_moede_holdt", "indstilling=ressourceforloeb")
        run(*held, "--as", "anna")
    with freeze_time("2027-03-16 08:00:00"):
        show = run("case", "show", "1")
        assert (
            "overdragelse                 2027-03-24  (8 dage tilbage)"
            "  flyttet: 2. påskedag → 24.03.2027"
        ) in show
        details = json.loads(run("case", "show", "1", "--json"))
        moved = {d["regel"]: d["flyttet"] for d in details["frister"]}
        assert moved["overdragelse"] == "2. påskedag → 24.03.2027"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("case", "show", "42"), "ukendt sag '42'"),
        (("case", "event", "1", "nej"), "ukendt hændelse 'nej'"),
        (("case", "open", "findes_ikke", "--cpr", CPR), "ukendt drejebog 'findes_ikke'"),
        (
            ("case", "open", "ressourceforloeb", "--cpr", CPR, "--tildel", "mentor=x"),
            "ukendt medarbejder 'x'",
        ),
        (("case", "open", "ressourceforloeb", "--cpr", "691299-5678"), "691299-xxxx"),
        (("tasks", "--worker", "ghost"), "ukendt medarbejder 'ghost'"),
        (("citizen", "add", "310490-9999", "--navn", "X"), "310490-xxxx er ikke en gyldig dato"),
        (("citizen", "add", CPR, "--navn", "Igen"), "610190-xxxx findes allerede"),
        (("worker", "add", "anna", "--navn", "A", "--rolle", "mentor"), "'anna' findes allerede"),
        (("migrate", "ressourceforloeb", "--to", "9"), "ukendt version 'ressourceforloeb 9'"),
    ],
    ids=[
        "case",
        "event",
        "drejebog",
        "worker-in-assign",
        "citizen",
        "worker",
        "bad-cpr",
        "dup-citizen",
        "dup-worker",
        "version",
    ],
)
def test_unknown_or_bad_names_fail_clearly(setup, args, message):
    with freeze_time("2027-01-04 08:00:00"):
        if args[:2] == ("case", "event"):
            setup("case", "open", "ressourceforloeb", "--cpr", CPR)
        out = setup(*args, code=1)
    assert message in out


def test_load_refuses_an_invalid_drejebog_and_stores_nothing(run):
    with freeze_time("2027-03-01 08:00:00"):
        run("db", "upgrade")
        out = run("load", str(FIXTURES / "mini.yaml"), str(FIXTURES / "broken.yaml"), code=1)
        assert "broken.yaml:4:1:" in out
        listed = run("case", "open", "mini", "--cpr", CPR, code=1)
        assert "ukendt drejebog 'mini'" in listed


def test_commands_before_db_upgrade_say_what_to_do(run):
    out = run("tasks", code=1)
    assert "kør 'drejebog db upgrade'" in out


def test_who_acts_is_as_else_drejebog_worker_else_the_system(setup, database_url):
    run = setup
    runner = CliRunner()

    def invoke(worker: str | None, *args: str) -> tuple[int, str]:
        env = {"DATABASE_URL": database_url, "DREJEBOG_WORKER": worker}
        result = runner.invoke(main, list(args), env=env)
        return result.exit_code, result.output

    with freeze_time("2027-01-04 08:00:00"):
        opened = invoke("anna", "case", "open", "ressourceforloeb", "--cpr", CPR, "ydelse=andet")
        assert opened[0] == 0, opened[1]
        event = ("case", "event", "1", "tilmeld_holdforloeb", "rehab_moede=2027-03-01")
        code, output = invoke("nobody", *event)
        assert code == 1 and "fejl: ukendt medarbejder 'nobody'" in output
        assert invoke(None, *event)[0] == 0
        later = ("case", "event", "1", "forberedelsesskema_udfyldt", "--as", "karl")
        assert invoke("nobody", *later)[0] == 0
    history = json.loads(run("case", "show", "1", "--json"))["forløb"]
    assert [item["af"] for item in history] == ["anna", "system", "karl"]


def test_assign_is_audited_with_who_and_why_and_refuses_unknown_roles(setup, database_url):
    run = setup
    with freeze_time("2027-01-04 08:00:00"):
        run("case", "open", "ressourceforloeb", "--cpr", CPR, "--tildel", "sagsbehandler=anna")
    with freeze_time("2027-01-05 09:30:00"):
        out = run(
            "case",
            "assign",
            "1",
            "sagsbehandler",
            "karl",
            "--as",
            "lene",
            "--begrundelse",
            "Anna er på kursus",
        )
        assert "sag 1: karl er nu sagsbehandler (før: anna)" in out
        again = run("case", "assign", "1", "sagsbehandler", "karl", "--as", "lene")
        assert "karl er allerede sagsbehandler; intet er ændret" in again
        typo = run("case", "assign", "1", "sagsbehandlr", "karl", code=1)
        assert "fejl: sag 1: ukendt rolle 'sagsbehandlr'" in typo
        assert "(mente du 'sagsbehandler'?)" in typo
        assert "rollen 'borger' er borgerens" in run(
            "case", "assign", "1", "borger", "karl", code=1
        )
        huge = run("case", "assign", "1", "x" * 120_000, "karl", code=1)
        assert len(huge) < 1000
        assert "ukendt medarbejder 'nobody'" in run(
            "case", "assign", "1", "mentor", "karl", "--as", "nobody", code=1
        )
        event = ("case", "event", "1", "tilmeld_holdforloeb", "rehab_moede=2027-03-01")
        run(*event, "--as", "karl", "--begrundelse", "Borgeren ringede 010190-1234")
    show = run("case", "show", "1")
    assert "tildeling" in show
    assert "sagsbehandler: anna → karl  af lene    begrundelse: Anna er på kursus" in show
    assert "begrundelse: Borgeren ringede 010190-xxxx" in show
    history = json.loads(run("case", "show", "1", "--json"))["forløb"]
    assert [(h["type"], h["af"]) for h in history] == [
        ("åbnet", "system"),
        ("tildeling", "lene"),
        ("hændelse", "karl"),
    ]
    assert history[1]["tildeling"] == {"rolle": "sagsbehandler", "fra": "anna", "til": "karl"}
    assert history[1]["begrundelse"] == "Anna er på kursus"


def test_worker_add_accepts_only_known_roles(run):
    with freeze_time("2027-03-01 08:00:00"):
        run("db", "upgrade")
        early = run("worker", "add", "jo", "--navn", "Jo", "--rolle", "jobcafe", code=1)
        assert "ukendt rolle 'jobcafe'" in early and "kør 'drejebog load workflows/' først" in early
        run("load", str(SHIPPED_DIR))
        out = run("worker", "add", "ny", "--navn", "Ny", "--rolle", "nosuchrole", code=1)
        assert "fejl: ukendt rolle 'nosuchrole'; kendte roller: " in out
        assert "jobcafe" in out and "borger" not in out
        assert "(mente du 'mentor'?)" in run(
            "worker", "add", "ny", "--navn", "Ny", "--rolle", "mentr", code=1
        )
        assert "rollen 'borger' er borgerens" in run(
            "worker", "add", "ny", "--navn", "Ny", "--rolle", "borger", code=1
        )
        run("worker", "add", "jo", "--navn", "Jo", "--rolle", "jobcafe")
        listed = json.loads(run("worker", "list", "--json"))
    assert [w["medarbejder"] for w in listed] == ["jo"]


@pytest.mark.parametrize(
    "args",
    [
        ("case", "assign", "1", "mentor", "k" * 65),
        ("case", "assign", "1", "mentor", "karl\udcff"),
        ("case", "assign", "1", "mentor", "karl", "--as", "a" * 65),
        ("case", "assign", "1", "mentor", "karl", "--as", "anna\udcff"),
        ("case", "assign", "1", "mentor", "karl", "--begrundelse", "nul\x00tegn"),
        ("case", "assign", "99999999999999999999", "mentor", "karl"),
        ("case", "assign", "1", "mentor\udcff", "karl"),
        ("case", "event", "99999999999999999999", "afslut"),
        ("case", "event", "1", "afslut", "--begrundelse", "ikke utf-8 \udcff"),
        ("case", "show", "99999999999999999999"),
        ("case", "open", "ressourceforloeb", "--cpr", CPR, "--tildel", "mentor=" + "k" * 65),
        ("worker", "add", "h" * 65, "--navn", "H", "--rolle", "mentor"),
        ("worker", "add", "ny", "--navn", "N", "--rolle", "r" * 65),
    ],
    ids=[
        "long-worker",
        "surrogate-worker",
        "long-as",
        "surrogate-as",
        "nul-reason",
        "huge-case",
        "surrogate-role",
        "huge-case-event",
        "surrogate-reason",
        "huge-case-show",
        "long-worker-open",
        "long-handle",
        "long-role",
    ],
)
def test_hostile_names_in_assign_and_reasons_are_danish_errors_and_change_nothing(
    setup, database_url, args
):
    with freeze_time("2027-01-04 08:00:00"):
        setup("case", "open", "ressourceforloeb", "--cpr", CPR, "--tildel", "sagsbehandler=anna")
        before = setup("case", "show", "1", "--json")
        result = CliRunner().invoke(main, list(args), env={"DATABASE_URL": database_url})
        assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
        assert "fejl: " in result.output and len(result.output) < 1000
        assert setup("case", "show", "1", "--json") == before
        assert len(json.loads(setup("worker", "list", "--json"))) == 3


def test_a_cpr_number_in_free_text_is_masked_in_every_output_and_refused_as_an_id(setup):
    """Issue 10, point 9: free-text event data and a reason are shown with any CPR-shaped
    number masked (text and JSON); an event id shaped like one is refused."""
    run = setup
    typed = "0101904321"  # CPR-shaped; its serial must never be shown
    with freeze_time("2027-03-01 12:00:00"):
        run("case", "open", "ressourceforloeb", "--cpr", CPR, "--tildel", "sagsbehandler=anna")
        run("case", "event", "1", "tilmeld_holdforloeb", "rehab_moede=2027-03-01")
        run("case", "event", "1", "rehab_moede_holdt", "indstilling=ressourceforloeb")
        refused = run(
            "case", "event", "1", "foerste_aktivitet_startet", "aktivitet=x", "--id", typed, code=1
        )
        assert "ligner et CPR-nummer" in refused and "4321" not in refused
        out = run(
            "case",
            "event",
            "1",
            "foerste_aktivitet_startet",
            f"aktivitet=Praktik, ring {typed}",
            "--begrundelse",
            f"aftalt med {typed[:6]}-{typed[6:]}",
        )
        assert "4321" not in out
    for output in (run("case", "show", "1"), run("case", "show", "1", "--json")):
        assert "010190-xxxx" in output
        assert "4321" not in output
    json.loads(run("case", "show", "1", "--json"))  # still valid JSON


def test_addresses_a_message_could_not_go_to_are_refused_where_they_enter(run):
    """A CR/LF in an e-mail address once stopped every e-mail; now it never gets in."""
    with freeze_time("2027-03-01 08:00:00"):
        run("db", "upgrade")
        refused = run(
            "worker", "add", "lene", "--navn", "Lene", "--rolle", "leder",
            "--email", "lene@jobcenter.dk\r\nBcc: alle@example.org", code=1,
        )  # fmt: skip
        assert "fejl: ugyldig e-mailadresse 'lene@jobcenter.dk\\r\\nBcc:" in refused
        assert "linjeskift" in refused and "Traceback" not in refused
        assert "ugyldig e-mailadresse 'not an email'" in run(
            "citizen", "add", CPR, "--navn", "Mette", "--email", "not an email", code=1
        )
        assert "ugyldigt telefonnummer 'ring til mig'" in run(
            "citizen", "add", CPR, "--navn", "Mette", "--telefon", "ring til mig", code=1
        )
        assert json.loads(run("worker", "list", "--json")) == []  # nothing half-written
        run("worker", "add", "lene", "--navn", "Lene", "--rolle", "leder", "--email", "l@jc.dk")
        run("citizen", "add", CPR, "--navn", "Mette", "--telefon", "+45 12 34 56 78")
        assert "findes allerede" in run("citizen", "add", CPR, "--navn", "Mette", code=1)
