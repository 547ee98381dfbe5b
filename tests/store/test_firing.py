"""Firing timers: exactly once, with their notifications, next rungs and history."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from drejebog.app import firing
from drejebog.app.firing import Channels, sweep
from drejebog.engine.errors import ConcurrencyConflict
from drejebog.store import admin
from drejebog.store.tables import HISTORY, OUTBOX, TIMER
from tests.conftest import FIXTURES, local
from tests.store.conftest import ANNA_CPR, BO_CPR
from tests.store.test_case_service import REHAB

INBOX_ONLY = Channels()


def open_rehab(app) -> str:
    case_id = app.cases.open_case(
        ANNA_CPR, "mini", "anna_s", assignments={"sagsbehandler": "anna_s"}
    ).case_id
    app.cases.apply_event(case_id, "rehab_holdt", REHAB, "anna_s")
    return case_id


def outbox(app) -> list[tuple[str, str, str, str]]:
    with app.engine.connect() as connection:
        rows = connection.execute(select(OUTBOX).order_by(OUTBOX.c.id)).all()
    return [(r.kind, r.role, r.channel, r.recipient) for r in rows]


def test_due_reminder_and_ladder_fire_once_each(staffed, clock):
    case_id = open_rehab(staffed)
    clock.advance_to(local("2027-03-12 08:00"))
    report = sweep(staffed.unit_of_work, clock.now(), INBOX_ONLY)
    assert (report.fired, report.notifications) == (1, 1)
    assert outbox(staffed) == [("reminder", "sagsbehandler", "inbox", "anna_s")]
    again = sweep(staffed.unit_of_work, clock.now(), INBOX_ONLY)
    assert (again.fired, again.notifications) == (0, 0)

    clock.advance_to(local("2027-03-16 08:00"))  # the breach notice, day after the due date
    assert sweep(staffed.unit_of_work, clock.now(), INBOX_ONLY).fired == 1
    clock.advance_to(local("2027-03-23 08:00"))  # 7 dage later, the next rung
    assert sweep(staffed.unit_of_work, clock.now(), INBOX_ONLY).fired == 1
    assert outbox(staffed)[1:] == [
        ("escalation", "leder", "inbox", "lene"),
        ("escalation", "projektleder", "inbox", "lene"),  # nobody is projektleder: the leader
    ]
    with staffed.engine.connect() as connection:
        messages = connection.execute(select(OUTBOX).order_by(OUTBOX.c.id)).all()
        history = connection.execute(
            select(HISTORY).where(HISTORY.c.case_id == int(case_id)).order_by(HISTORY.c.seq)
        ).all()
    # the rule's own template (mini.yaml's 'paamindelse'), then the Danish default
    assert messages[0].subject == "Påmindelse: Overdragelse til koordinerende sagsbehandler"
    assert messages[0].body_text.startswith(
        "Kære Anna Sagsbehandler, fristen er 15. marts 2027 for Anna Andersen."
    )
    assert messages[1].subject.startswith("Frist overskredet: Overdragelse til koordinerende")
    assert "var 15. marts 2027 og er overskredet med 1 dag." in messages[1].body_text
    assert "Ingen er tildelt rollen projektleder" in messages[2].body_text
    assert [h.kind for h in history][-3:] == ["påmindelse", "eskalering", "eskalering"]
    assert all("1234" not in m.body_text + m.subject for m in messages)


def test_after_three_days_of_downtime_each_overdue_timer_fires_once_and_says_how_late(
    staffed, clock
):
    open_rehab(staffed)
    clock.advance_to(local("2027-03-15 09:00"))  # the reminder of 12 March 08:00 is 3 days late
    report = sweep(staffed.unit_of_work, clock.now(), INBOX_ONLY)
    assert report.fired == 1
    with staffed.engine.connect() as connection:
        message = connection.execute(select(OUTBOX)).one()
    assert "kommer 3 dage og 1 time for sent" in message.body_text


def test_an_event_before_the_timer_cancels_it(staffed, clock):
    case_id = open_rehab(staffed)
    clock.advance_to(local("2027-03-05 10:00"))
    staffed.cases.apply_event(case_id, "overdrag", {"jobmaal_afklaret": "ja"}, "anna_s")
    clock.advance_to(local("2027-03-30 10:00"))
    sweep(staffed.unit_of_work, clock.now(), INBOX_ONLY)
    assert [m for m in outbox(staffed) if m[0] != "reminder" or m[1] != "borger"] == []
    with staffed.engine.connect() as connection:
        statuses = dict(
            connection.execute(
                select(TIMER.c.step, TIMER.c.status).where(TIMER.c.rule == "overdragelse")
            ).all()
        )
    assert set(statuses.values()) == {"cancelled"}


def test_citizen_without_contact_is_recorded_as_not_sent(staffed, clock):
    case_id = open_rehab(staffed)
    clock.advance(timedelta(days=1))
    staffed.cases.apply_event(case_id, "overdrag", {"jobmaal_afklaret": "ja"}, "anna_s")
    clock.advance_to(local("2027-03-31 08:00"))  # reminder 2 dage before 2 April to borger
    sweep(staffed.unit_of_work, clock.now(), INBOX_ONLY)
    with staffed.engine.connect() as connection:
        last = connection.execute(
            select(HISTORY).where(HISTORY.c.case_id == int(case_id)).order_by(HISTORY.c.seq.desc())
        ).first()
    assert last.kind == "påmindelse"
    assert last.data["ikke_sendt"] == [
        {"rolle": "borger", "grund": "ingen kanal til borgeren er sat op"}
    ]


def test_a_drejebog_template_failing_on_the_data_sends_the_default_text_and_says_so(
    staffed, clock, tmp_path
):
    source = (FIXTURES / "mini.yaml").read_text(encoding="utf-8")
    broken = source.replace("version: 1", "version: 2").replace(
        "Kære {{ modtager.navn }}, fristen er", "Kære {{ modtager.navn[100] }}, fristen er"
    )
    assert broken.count("[100]") == 1
    path = tmp_path / "mini.yaml"
    path.write_text(broken, encoding="utf-8")
    admin.load_drejebog_files(staffed.engine, [path], clock.now())
    case_id = open_rehab(staffed)
    clock.advance_to(local("2027-03-12 08:00"))
    report = sweep(staffed.unit_of_work, clock.now(), INBOX_ONLY)
    assert (report.fired, report.notifications) == (1, 1)
    with staffed.engine.connect() as connection:
        message = connection.execute(select(OUTBOX)).one()
        last = connection.execute(
            select(HISTORY).where(HISTORY.c.case_id == int(case_id)).order_by(HISTORY.c.seq.desc())
        ).first()
    # the Danish default reminder, not the drejebog's own (which would say "Kære ...,")
    title = "Overdragelse til koordinerende sagsbehandler"
    assert message.subject == f"Påmindelse: {title} – Anna Andersen (sag {case_id})"
    assert message.body_text.startswith("Kære Anna Sagsbehandler\n")
    assert last.kind == "påmindelse" and last.data["skabelonfejl"].startswith("UndefinedError")


def test_a_batch_that_loses_a_race_leaves_no_trace_and_is_fired_one_by_one(
    staffed, clock, monkeypatch
):
    cases = [open_rehab(staffed)]
    cases.append(
        staffed.cases.open_case(
            BO_CPR, "mini", "anna_s", assignments={"sagsbehandler": "anna_s"}
        ).case_id
    )
    staffed.cases.apply_event(cases[1], "rehab_holdt", REHAB, "anna_s")
    real_fire_batch = firing.fire_batch
    attempts = []

    def writes_then_loses(uow, claimed, now, channels):
        attempts.append(len(claimed))
        real_fire_batch(uow, claimed, now, channels)  # every row written, not yet committed
        raise ConcurrencyConflict(cases[0])

    monkeypatch.setattr(firing, "fire_batch", writes_then_loses)
    clock.advance_to(local("2027-03-12 08:00"))
    report = sweep(staffed.unit_of_work, clock.now(), INBOX_ONLY)
    assert attempts == [2] and (report.fired, report.notifications) == (2, 2)
    with staffed.engine.connect() as connection:
        messages = connection.execute(select(OUTBOX.c.case_id, OUTBOX.c.timer_id)).all()
        fired = connection.execute(select(TIMER.c.id).where(TIMER.c.status == "fired")).all()
        history = connection.execute(
            select(HISTORY.c.case_id).where(HISTORY.c.kind == "påmindelse")
        ).all()
    assert sorted(case for case, _ in messages) == sorted(int(c) for c in cases)
    assert len(fired) == 2 and sorted(t for _, t in messages) == sorted(t for (t,) in fired)
    assert sorted(case for (case,) in history) == sorted(int(c) for c in cases)


def test_a_timer_the_database_refuses_is_skipped_and_the_others_still_fire(staffed, clock):
    first = open_rehab(staffed)
    second = staffed.cases.open_case(
        BO_CPR, "mini", "anna_s", assignments={"sagsbehandler": "anna_s"}
    ).case_id
    staffed.cases.apply_event(second, "rehab_holdt", REHAB, "anna_s")
    with staffed.engine.begin() as connection:
        stuck = connection.execute(
            select(TIMER.c.id).where(TIMER.c.case_id == int(first), TIMER.c.kind == "reminder")
        ).scalar_one()
        # a message already holds this timer's key: its own message cannot be written
        connection.execute(
            OUTBOX.insert().values(
                case_id=int(first),
                timer_id=stuck,
                kind="reminder",
                channel="inbox",
                recipient="anna_s",
                subject="x",
                body_text="x",
                created_at=clock.now(),
                next_attempt_at=clock.now(),
            )
        )
    clock.advance_to(local("2027-03-12 08:00"))
    report = sweep(staffed.unit_of_work, clock.now(), INBOX_ONLY)
    assert report.fired == 1 and report.skipped == 1  # tried once in the sweep, not again
    with staffed.engine.connect() as connection:
        statuses = dict(
            connection.execute(
                select(TIMER.c.case_id, TIMER.c.status).where(TIMER.c.kind == "reminder")
            ).all()
        )
    assert statuses == {int(first): "pending", int(second): "fired"}
