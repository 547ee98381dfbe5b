"""A stored drejebog version whose template goes over its budget at run time (issue 10,
point 5): the sweep sends the Danish default text, records `skabelonfejl` and goes on, on
every back-end; the daemon never grows without bound."""

from __future__ import annotations

import time

from drejebog.engine.budget import MAX_RANGE
from tests.conftest import FIXTURES, local
from tests.store.test_firing import fire, history, open_rehab

# passes `check` (each range is within its limit), but would write 10**8 characters
NESTED = "{% for i in range(9999) %}{% for j in range(9999) %}x{% endfor %}{% endfor %}"


def test_a_stored_template_over_budget_sends_the_default_text_and_says_so(
    staffed_backend, clock, tmp_path
):
    assert MAX_RANGE >= 9999
    source = (FIXTURES / "mini.yaml").read_text(encoding="utf-8")
    planted = source.replace("version: 1", "version: 2").replace(
        "Kære {{ modtager.navn }}, fristen er", f"{NESTED} Kære {{{{ modtager.navn }}}}, fristen er"
    )
    assert planted.count(NESTED) == 1
    path = tmp_path / "mini.yaml"
    path.write_text(planted, encoding="utf-8")
    staffed_backend.admin.load_drejebog_files([path])
    case_id = open_rehab(staffed_backend)
    clock.advance_to(local("2027-03-12 08:00"))
    started = time.perf_counter()
    report = fire(staffed_backend)
    assert time.perf_counter() - started < 30
    assert (report.fired, report.notifications) == (1, 1)
    (message,) = staffed_backend.rows("outbox")
    assert message["body_text"].startswith("Kære Anna Sagsbehandler\n")  # the default text
    assert "xxx" not in message["body_text"]
    last = history(staffed_backend, case_id)[-1]
    assert last["kind"] == "påmindelse"
    assert last["data"]["skabelonfejl"].startswith("BudgetExceeded: ")
