"""What case workers and leaders look at (app/reports.py: a case in full, the open tasks) and
what the demo counts, on every store (in memory, SQLite, PostgreSQL): the same data in the same
order, the CPR number masked, unknown names refused in Danish."""

from __future__ import annotations

from datetime import date

import pytest

from drejebog.app.firing import Channels, sweep
from drejebog.app.ports import SampleMessage
from drejebog.app.reports import deadlines_met
from drejebog.engine.errors import NotFound
from tests.conftest import local
from tests.store.conftest import ANNA_CPR, BO_CPR
from tests.store.test_case_service import REHAB


def rehab_case(backend, cpr: str = ANNA_CPR, event_id: str = "ev-1") -> str:
    """A mini case in `rehab`: overdragelse due 15 March, tasks vk_deltager and hjemmemoede."""
    case_id = backend.cases.open_case(
        cpr, "mini", "anna_s", assignments={"sagsbehandler": "anna_s"}
    ).case_id
    backend.cases.apply_event(case_id, "rehab_holdt", REHAB, "anna_s", event_id)
    return case_id


def test_case_details_show_the_case_in_full_with_the_cpr_masked(staffed_backend, clock):
    case_id = rehab_case(staffed_backend)
    staffed_backend.cases.assign(
        case_id, "virksomhedskonsulent", "vera", "lene", "Vera overtager (sag 010190-1234)"
    )
    clock.advance_to(local("2027-03-16 08:00"))  # the reminder and the first escalation fire
    sweep(staffed_backend.unit_of_work, clock.now(), Channels())
    details = staffed_backend.reports.case_details(case_id)
    assert details["sag"] == 1
    assert details["borger"] == {"navn": "Anna Andersen", "cpr": "610190-xxxx"}
    assert details["drejebog"] == {"id": "mini", "version": "1", "titel": "Mini-drejebog til test"}
    assert (details["tilstand"], details["åbnet"], details["afsluttet"]) == (
        "rehab",
        "2027-03-01T08:00:00+00:00",
        None,
    )
    assert details["fakta"] == REHAB
    assert details["tildelt"] == [
        {"rolle": "sagsbehandler", "medarbejder": "anna_s", "navn": "Anna Sagsbehandler"},
        {
            "rolle": "virksomhedskonsulent",
            "medarbejder": "vera",
            "navn": "Vera Virksomhedskonsulent",
        },
    ]
    assert details["frister"] == [
        {"regel": "overdragelse", "frist": "2027-03-15", "dage_tilbage": -1, "flyttet": None}
    ]
    assert details["kommende"] == [
        {
            "regel": "overdragelse",
            "trin": "eskalering.1",
            "type": "escalation",
            "til": ["projektleder"],
            "tidspunkt": "2027-03-23T07:00:00+00:00",
        }
    ]
    assert [(t["opgave"], t["rolle"], t["status"], t["frist"]) for t in details["opgaver"]] == [
        ("vk_deltager", "virksomhedskonsulent", "åben", None),
        ("hjemmemoede", "sagsbehandler", "åben", None),
    ]
    history = [(h["nr"], h["af"], h["type"], h["hændelse"], h["id"]) for h in details["forløb"]]
    assert history == [
        (1, "anna_s", "åbnet", None, None),
        (2, "anna_s", "hændelse", "rehab_holdt", "ev-1"),
        (3, "lene", "tildeling", None, None),
        (4, "system", "påmindelse", "overdragelse", None),
        (5, "system", "eskalering", "overdragelse", None),
    ]
    assert details["forløb"][1]["data"] == REHAB
    assigned = details["forløb"][2]
    assert assigned["tildeling"] == {"rolle": "virksomhedskonsulent", "fra": None, "til": "vera"}
    assert assigned["begrundelse"] == "Vera overtager (sag 010190-xxxx)"  # CPR-shaped: masked
    assert "1234" not in repr(details)


@pytest.mark.parametrize(
    ("case_id", "message"),
    [("999", "ukendt sag '999'$"), ("abc", "ukendt sag 'abc' \\(et sagsnummer er et tal")],
)
def test_case_details_of_an_unknown_case_is_not_found(staffed_backend, case_id, message):
    with pytest.raises(NotFound, match=message):
        staffed_backend.reports.case_details(case_id)


def test_open_tasks_soonest_deadline_first_by_worker_role_and_overdue(staffed_backend, clock):
    first, second = rehab_case(staffed_backend), rehab_case(staffed_backend, BO_CPR, "ev-2")
    staffed_backend.admin.assign(second, "virksomhedskonsulent", "vera")
    # mini's tasks have no deadlines: give three of the four one (a test's way around)
    for task, due in ((1, date(2027, 3, 10)), (3, date(2027, 3, 2)), (4, date(2027, 3, 20))):
        staffed_backend.update("task", {"due_date": due}, id=task)
    reports = staffed_backend.reports
    listed = [(t.id, t.case_id, t.rule, t.worker, t.due_date) for t in reports.open_tasks()]
    assert listed == [
        (3, int(second), "vk_deltager", "vera", date(2027, 3, 2)),
        (1, int(first), "vk_deltager", None, date(2027, 3, 10)),
        (4, int(second), "hjemmemoede", "anna_s", date(2027, 3, 20)),
        (2, int(first), "hjemmemoede", "anna_s", None),  # no deadline: last
    ]
    (task,) = [t for t in reports.open_tasks() if t.id == 3]
    assert (task.citizen, task.role, task.days_left, task.optional) == (
        "Bo Bertelsen",
        "virksomhedskonsulent",
        1,  # today is 1 March
        False,
    )
    assert [t.id for t in reports.open_tasks(worker="anna_s")] == [4, 2]
    assert [t.id for t in reports.open_tasks(role="virksomhedskonsulent")] == [3, 1]
    assert reports.open_tasks(overdue=True) == []
    clock.advance_to(local("2027-03-11 08:00"))
    assert [(t.id, t.days_left) for t in reports.open_tasks(overdue=True)] == [(3, -9), (1, -1)]
    assert [t.id for t in reports.open_tasks(worker="vera", overdue=True)] == [3]
    assert reports.open_tasks(worker="karl") == []
    with pytest.raises(
        NotFound, match="ukendt medarbejder 'nobody' \\(se 'drejebog worker list'\\)"
    ):
        reports.open_tasks(worker="nobody")


def test_the_statistics_count_what_was_sent_and_met(staffed_backend, clock):
    stats = staffed_backend.statistics
    assert stats.messages_by_kind_and_role() == [] and stats.first_message("reminder") is None
    late, in_time = rehab_case(staffed_backend), rehab_case(staffed_backend, BO_CPR, "ev-2")
    clock.advance_to(local("2027-03-13 08:00"))  # the reminders (3 days before 15 March)
    sweep(staffed_backend.unit_of_work, clock.now(), Channels())
    staffed_backend.cases.apply_event(in_time, "overdrag", {"jobmaal_afklaret": "ja"}, "anna_s")
    clock.advance_to(local("2027-03-16 08:00"))  # the first escalation of the late one
    sweep(staffed_backend.unit_of_work, clock.now(), Channels())
    staffed_backend.cases.apply_event(late, "overdrag", {"jobmaal_afklaret": "ja"}, "anna_s")
    assert stats.messages_by_kind_and_role() == [
        ("escalation", "leder", 1),
        ("reminder", "sagsbehandler", 2),
    ]
    assert stats.digest_count() == 0
    escalation = stats.first_message("escalation")
    assert isinstance(escalation, SampleMessage) and escalation.recipient == "lene"
    assert escalation.subject.startswith("Frist overskredet: Overdragelse")
    assert stats.escalations_to_leader_inbox() == {"overdragelse": 1}
    assert {rule: dict(counts) for rule, counts in deadlines_met(stats).items()} == {
        "overdragelse": {"rettidigt": 1, "for sent": 1}
    }
