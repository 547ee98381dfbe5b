"""What a fired timer says: composed from the rule, whatever its kind, without a database."""

from __future__ import annotations

from drejebog.app.notices import Channels, compose
from drejebog.app.ports import StoredCase
from drejebog.app.recipients import Directory, StaffMember
from drejebog.engine.loader import load_text
from drejebog.engine.model import TimerKind
from drejebog.engine.runtime import CaseRuntime
from tests.conftest import local
from tests.test_rules import TASK_AT_TEN

ANNA = StaffMember(
    7, "anna_s", "Anna Sagsbehandler", "anna@jobcenter.dk", "sagsbehandler", None, True
)


def test_a_tasks_reminder_says_the_time_of_day_of_its_deadline():
    """A task with `klokken: "10:00"` fires at 10:00, and its text says so (it said 08:00)."""
    drejebog = load_text(TASK_AT_TEN, "klokken_ti.yaml")
    runtime = CaseRuntime(drejebog)
    opened = runtime.open_case("1", local("2027-03-01 09:00"), citizen_name="Anna Andersen")
    (reminder,) = opened.schedule
    assert reminder.kind is TimerKind.REMINDER
    fired = runtime.fire(opened.case, reminder, reminder.due_at)
    directory = Directory(assigned={1: {"sagsbehandler": 7}}, staff={7: ANNA})
    stored = StoredCase(fired.case, drejebog, version_key=1, lock_version=0)
    notices = compose(
        directory, stored, drejebog, reminder, 1, fired.records, reminder.due_at, Channels()
    )
    (row,) = notices.rows
    assert (row["kind"], row["role"], row["recipient"]) == ("reminder", "sagsbehandler", "anna_s")
    assert row["subject"] == "Ring op"
    assert row["body_text"].strip() == "Fristen er 5. marts 2027 kl. 10:00."
    assert notices.history_note(reminder, stored, reminder.due_at).kind == "påmindelse"
