"""The daily digest on working days only (on every store, in memory too), and a worker's inbox
on the command line."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from drejebog.app.digest import send_digests
from drejebog.app.firing import Channels, sweep
from drejebog.cli.main import main
from drejebog.engine.errors import NotFound
from drejebog.store.digest import digests_written, missing_notices
from drejebog.store.migrate_schema import stamp_head
from tests.conftest import local
from tests.store.test_firing import open_rehab


def digests(store) -> list[tuple[str, str, str]]:
    rows = store.rows("outbox", kind="digest")
    return [(r["recipient"], r["subject"], r["body_text"]) for r in rows]


def test_digest_lists_due_and_overdue_tasks_once_per_working_day(staffed_backend, clock):
    store = staffed_backend
    case_id = open_rehab(store)  # sagsbehandler anna_s; overdragelse due 15 March
    store.cases.apply_event(case_id, "ny_moededato", {"rehab_moede": "2027-03-01"}, "anna_s")
    clock.advance_to(local("2027-03-13 07:00"))  # a Saturday: no digest
    assert send_digests(store.digest_unit_of_work, clock.now(), Channels()) == 0
    clock.advance_to(local("2027-03-15 07:00"))  # Monday
    # the tasks of mini.yaml have no deadlines: nothing is due, so nobody gets a digest
    assert send_digests(store.digest_unit_of_work, clock.now(), Channels()) == 0
    assert digests(store) == []


def test_digest_skips_danish_holidays_and_names_missing_check_ins(staffed_backend, clock):
    store = staffed_backend
    case_id = open_rehab(store)
    store.cases.apply_event(case_id, "overdrag", {"jobmaal_afklaret": "ja"}, "anna_s")
    store.admin.assign(case_id, "koordinerende_sagsbehandler", "karl")
    # entered the ressourceforløb 1 March: report-back due Thursday 1 April; + 3 dage
    # henstand = Sunday 4 April, so the missing notice goes out on Monday 5 April
    clock.advance_to(local("2027-04-05 08:00"))
    sweep(store.unit_of_work, clock.now(), Channels())
    clock.advance_to(local("2027-04-06 07:00"))
    assert send_digests(store.digest_unit_of_work, clock.now(), Channels()) == 2
    sent = digests(store)
    assert {recipient for recipient, _, _ in sent} == {"anna_s", "karl"}
    _, subject, body = sent[0]
    assert subject == "Dagens opgaver 6. april 2027: 0 i dag, 0 over fristen"
    assert "Manglende tilbagemeldinger:" in body
    assert "- Månedlig tilbagemelding – Anna Andersen (sag 1), skulle være kommet" in body
    assert send_digests(store.digest_unit_of_work, clock.now(), Channels()) == 0  # once a day
    clock.advance_to(local("2027-05-06 07:00"))  # Kristi himmelfartsdag 2027
    assert send_digests(store.digest_unit_of_work, clock.now(), Channels()) == 0


def test_the_inbox_lists_the_worker_s_messages_and_marks_them_read(staffed_backend, clock):
    store = staffed_backend
    open_rehab(store)
    clock.advance_to(local("2027-03-12 08:00"))
    sweep(store.unit_of_work, clock.now(), Channels())
    (message,) = store.inbox.messages("anna_s")
    assert message.subject == "Påmindelse: Overdragelse til koordinerende sagsbehandler"
    with pytest.raises(NotFound, match="ukendt besked"):
        store.inbox.mark_read("lene", message.id)
    store.inbox.mark_read("anna_s", message.id)
    assert store.inbox.messages("anna_s") == []
    (read,) = store.inbox.messages("anna_s", unread_only=False)
    assert read.read_at == clock.now()


def test_inbox_lists_and_marks_read(staffed, clock, database_url):
    open_rehab(staffed)
    clock.advance_to(local("2027-03-12 08:00"))
    sweep(staffed.unit_of_work, clock.now(), Channels())
    stamp_head(staffed.engine)
    env = {"DATABASE_URL": database_url}
    runner = CliRunner()
    listed = runner.invoke(main, ["inbox", "--worker", "anna_s", "--json"], env=env)
    assert listed.exit_code == 0, listed.output
    (message,) = json.loads(listed.output)
    assert message["emne"] == "Påmindelse: Overdragelse til koordinerende sagsbehandler"
    read = runner.invoke(
        main, ["inbox", "--worker", "anna_s", "--read", str(message["id"])], env=env
    )
    assert read.exit_code == 0 and "markeret som læst" in read.output
    empty = runner.invoke(main, ["inbox", "--worker", "anna_s"], env=env)
    assert "ingen ulæste beskeder" in empty.output
    wrong = runner.invoke(
        main, ["inbox", "--worker", "lene", "--read", str(message["id"])], env=env
    )
    assert wrong.exit_code == 1 and "ukendt besked" in wrong.output
    dead = runner.invoke(main, ["outbox", "--dead"], env=env)
    assert dead.exit_code == 0 and "ingen opgivne beskeder" in dead.output


@pytest.mark.parametrize(
    ("query", "index"),
    [
        (missing_notices(datetime(2027, 4, 1, tzinfo=UTC)), "ix_timer_missing (fired_at>?)"),
        (digests_written("overblik-2027-04-01"), "ix_outbox_digest (rule=?)"),
    ],
    ids=["missing check-ins", "digests already written"],
)
def test_the_digest_reads_through_partial_indexes(app, database_url, query, index):
    if not database_url.startswith("sqlite"):
        pytest.skip("the plan is SQLite's; PostgreSQL chooses by its statistics")
    with app.engine.connect() as connection:
        sql = str(query.compile(connection, compile_kwargs={"literal_binds": True}))
        plan = " ".join(
            str(row[-1]) for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")
        )
    assert f"INDEX {index}" in plan, plan
