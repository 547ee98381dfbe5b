"""A task's message (`skabelon` or `emne` + `tekst` on a task) is written to the outbox when
the task is created, in the event's own transaction, exactly once, to the task's role by the
recipient rules of reminders: on every store back-end (issue 10, point 1)."""

from __future__ import annotations

from pathlib import Path

from drejebog.app.cases import CaseService
from drejebog.app.notices import Channels
from tests.store.backends import Backend
from tests.store.conftest import ANNA_CPR
from tests.store.test_firing import open_rehab

DREJEBOG = """\
drejebog: opgavebeskeder
titel: Opgavebeskeder
version: 1
start: visiteret
tilstande:
  visiteret:
    titel: Visiteret
  i_gang:
    titel: I gang
    opgaver:
      - navn: ring_op
        titel: Ring borgeren op
        rolle: sagsbehandler
        frist: 5 dage
        emne: "Ny opgave: {{ opgave.titel }} ({{ borger.navn }})"
        tekst: >-
          Kære {{ modtager.navn }}, ring til {{ borger.navn }}
          senest {{ frist.dato | dansk_dato }}.
      - navn: send_cv
        titel: Send dit CV
        rolle: borger
        emne: "Send dit CV"
        tekst: "Kære {{ modtager.navn }}, send os dit CV."
      - navn: notat
        titel: Skriv et notat
        rolle: sagsbehandler
  afsluttet:
    titel: Afsluttet
    slut: true
hændelser:
  start_forloeb:
    titel: Forløbet starter
    fra: visiteret
    til: i_gang
  afslut:
    titel: Afsluttet
    fra: i_gang
    til: afsluttet
"""


def _loaded(backend: Backend, tmp_path: Path) -> str:
    path = tmp_path / "opgavebeskeder.yaml"
    path.write_text(DREJEBOG, encoding="utf-8")
    backend.admin.load_drejebog_files([path])
    return backend.cases.open_case(
        ANNA_CPR, "opgavebeskeder", "anna_s", assignments={"sagsbehandler": "anna_s"}
    ).case_id


def test_a_task_message_is_in_the_worker_s_inbox_right_after_the_event(staffed_backend, tmp_path):
    store = staffed_backend
    case_id = _loaded(store, tmp_path)
    assert store.rows("outbox") == []
    store.cases.apply_event(case_id, "start_forloeb", {}, "anna_s", event_id="e-1")
    (message,) = store.inbox.messages("anna_s")
    assert message.subject == "Ny opgave: Ring borgeren op (Anna Andersen)"
    (row,) = store.rows("outbox")
    assert row["body_text"] == (
        "Kære Anna Sagsbehandler, ring til Anna Andersen senest 5. marts 2027.\n"
    )
    # the task without a message sends nothing; the citizen has no channel set up here
    assert {row["rule"] for row in store.rows("outbox")} == {"ring_op"}
    assert (row["kind"], row["channel"], row["recipient"], row["timer_id"]) == (
        "task",
        "inbox",
        "anna_s",
        None,
    )
    (history,) = store.rows("case_history", event_id="e-1")
    assert history["data"]["sendt"] == [
        {"opgave": "ring_op", "rolle": "sagsbehandler", "til": "anna_s", "kanal": "inbox"}
    ]
    assert history["data"]["ikke_sendt"] == [
        {"opgave": "send_cv", "rolle": "borger", "grund": "ingen kanal til borgeren er sat op"}
    ]


def test_a_retried_event_id_sends_nothing_twice(staffed_backend, tmp_path):
    store = staffed_backend
    case_id = _loaded(store, tmp_path)
    first = store.cases.apply_event(case_id, "start_forloeb", {}, "anna_s", event_id="e-1")
    again = store.cases.apply_event(case_id, "start_forloeb", {}, "anna_s", event_id="e-1")
    assert (first.applied, again.applied) == (True, False)
    assert len(store.rows("outbox", rule="ring_op")) == 1


def test_a_task_for_borger_goes_to_the_citizen_s_channel(staffed_backend, tmp_path):
    store = staffed_backend
    case_id = _loaded(store, tmp_path)
    service = CaseService(store.unit_of_work, store.clock, Channels.named("email"))
    service.apply_event(case_id, "start_forloeb", {}, "anna_s")
    (citizen,) = store.rows("outbox", rule="send_cv")
    assert (citizen["channel"], citizen["recipient"], citizen["worker_id"]) == (
        "email",
        "anna@example.org",
        None,
    )
    assert citizen["subject"] == "Send dit CV"
    assert citizen["body_text"] == "Kære Anna Andersen, send os dit CV.\n"
    # the worker gets the inbox and e-mail, the citizen only her own channel
    staff = {(r["channel"], r["recipient"]) for r in store.rows("outbox", rule="ring_op")}
    assert staff == {("inbox", "anna_s"), ("email", "anna@jobcenter.dk")}


def test_opening_a_case_sends_the_messages_of_the_tasks_of_its_start_state(
    staffed_backend, tmp_path
):
    store = staffed_backend
    path = tmp_path / "opgavebeskeder.yaml"
    starting_in_i_gang = (
        DREJEBOG.replace("start: visiteret", "start: i_gang")
        .replace("fra: visiteret\n    til: i_gang", "fra: i_gang\n    til: visiteret")
        .replace("fra: i_gang\n    til: afsluttet", "fra: [i_gang, visiteret]\n    til: afsluttet")
    )
    path.write_text(starting_in_i_gang, encoding="utf-8")
    store.admin.load_drejebog_files([path])
    store.cases.open_case(
        ANNA_CPR, "opgavebeskeder", "anna_s", assignments={"sagsbehandler": "anna_s"}
    )
    (message,) = store.inbox.messages("anna_s")
    assert message.subject == "Ny opgave: Ring borgeren op (Anna Andersen)"


def test_no_message_without_one_on_the_task(staffed_backend):
    store = staffed_backend  # mini.yaml: its tasks have no message
    open_rehab(store)  # creates the tasks vk_deltager and hjemmemoede
    assert store.rows("task")
    assert store.rows("outbox") == []
    assert all("sendt" not in row["data"] for row in store.rows("case_history"))


def test_two_tasks_for_one_worker_send_two_messages(staffed_backend, tmp_path):
    """Task messages have no timer: the outbox's (timer, recipient, channel) key does not
    stop a second task's message to the same inbox."""
    store = staffed_backend
    path = tmp_path / "opgavebeskeder.yaml"
    with_note_message = DREJEBOG.replace(
        "        titel: Skriv et notat\n",
        '        titel: Skriv et notat\n        emne: "Notat"\n        tekst: "Skriv et notat."\n',
    )
    path.write_text(with_note_message, encoding="utf-8")
    store.admin.load_drejebog_files([path])
    case_id = store.cases.open_case(
        ANNA_CPR, "opgavebeskeder", "anna_s", assignments={"sagsbehandler": "anna_s"}
    ).case_id
    store.cases.apply_event(case_id, "start_forloeb", {}, "anna_s")
    subjects = sorted(m.subject for m in store.inbox.messages("anna_s"))
    assert subjects == ["Notat", "Ny opgave: Ring borgeren op (Anna Andersen)"]


def test_a_migration_creates_the_tasks_the_new_version_adds_and_sends_their_messages(
    staffed_backend, tmp_path
):
    """Version 2 adds two tasks to the state a running case is in: the one whose `hvis` holds
    is created at the migration with its message, the other not; tasks the old version had
    stay as they were (no second message)."""
    store = staffed_backend
    case_id = _loaded(store, tmp_path)
    store.cases.apply_event(case_id, "start_forloeb", {}, "anna_s")
    added = (
        "      - navn: notat\n"
        "        titel: Skriv et notat\n"
        "        rolle: sagsbehandler\n"
        "      - navn: ny_samtale\n"
        "        titel: Book en ny samtale\n"
        "        rolle: sagsbehandler\n"
        "        frist: 3 dage\n"
        '        emne: "Ny opgave efter version 2: {{ opgave.titel }}"\n'
        '        tekst: "Senest {{ frist.dato | dansk_dato }}."\n'
        "      - navn: aldrig\n"
        "        titel: Gælder ikke her\n"
        "        rolle: sagsbehandler\n"
        "        hvis: \"sag_findes == 'nej'\"\n"
        '        emne: "Aldrig"\n'
        '        tekst: "Aldrig."\n'
    )
    v2 = (
        DREJEBOG.replace("version: 1", "version: 2")
        .replace(
            "      - navn: notat\n        titel: Skriv et notat\n        rolle: sagsbehandler\n",
            added,
        )
        .replace(
            "tilstande:\n", "fakta:\n  sag_findes: {type: valg, værdier: [ja, nej]}\ntilstande:\n"
        )
    )
    assert "ny_samtale" in v2 and "sag_findes" in v2
    path = tmp_path / "opgavebeskeder_v2.yaml"
    path.write_text(v2, encoding="utf-8")
    store.admin.load_drejebog_files([path])
    before = len(store.rows("outbox"))
    store.cases.migrate("opgavebeskeder", "2", "lene", dry_run=True)
    assert len(store.rows("outbox")) == before  # a dry run sends nothing
    store.cases.migrate("opgavebeskeder", "2", "lene", reason="ny samtalerytme")
    subjects = [m.subject for m in store.inbox.messages("anna_s")]
    assert subjects.count("Ny opgave efter version 2: Book en ny samtale") == 1
    assert "Aldrig" not in subjects
    (row,) = store.rows("outbox", rule="ny_samtale")
    assert row["body_text"] == "Senest 4. marts 2027.\n"  # 1 March + 3 dage
    tasks = {t["rule"] for t in store.rows("task", case_id=int(case_id))}
    assert {"ring_op", "send_cv", "notat", "ny_samtale"} <= tasks and "aldrig" not in tasks
    migration = [h for h in store.rows("case_history") if h["kind"] == "migrering"]
    (history,) = migration
    assert history["data"]["sendt"] == [
        {"opgave": "ny_samtale", "rolle": "sagsbehandler", "til": "anna_s", "kanal": "inbox"}
    ]
    assert history["data"]["begrundelse"] == "ny samtalerytme"
