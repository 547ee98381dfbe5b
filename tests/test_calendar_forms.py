"""Calendar forms in a drejebog (issue 11, point 8): `udgangen af uge N` as a deadline and the
month-end rule on a recurring duty, planned by the runtime from the drejebog's own text."""

from __future__ import annotations

from drejebog.engine.loader import load_text, parse_text
from tests.conftest import brief, run_case

DREJEBOG = """
drejebog: kalenderformer
titel: Kalenderformer
version: 1
fakta:
  visitation: {titel: Visitationsdato, type: dato}
start: visiteret
tilstande:
  visiteret:
    titel: Visiteret
    frister:
      - navn: screening
        titel: Ordblindescreening er tilbudt
        frist: inden udgangen af uge 2
        regnes_fra: visitation
        ejer: sagsbehandler
        opfyldes_af: screenet
        eskalering:
          - {efter: 0 dage, til: leder}
    tilbagevendende:
      - navn: opfoelgning
        titel: Opfølgning ved månedens udgang
        hver: 1 måned (månedsslut)
        regnes_fra: visitation
        ejer: sagsbehandler
        opfyldes_af: fulgt_op
        helligdag: behold
        mangler: {til: leder}
  afsluttet:
    titel: Afsluttet
    slut: true
hændelser:
  screenet:
    fra: visiteret
  fulgt_op:
    fra: visiteret
  afslut:
    fra: visiteret
    til: afsluttet
"""


def test_a_drejebog_with_the_calendar_forms_checks_clean() -> None:
    drejebog, problems = parse_text(DREJEBOG, "kalenderformer.yaml")
    assert problems == [] and drejebog is not None


def test_the_end_of_week_2_and_month_ends_are_planned_from_the_anchor() -> None:
    drejebog = load_text(DREJEBOG)
    # Visitation Wednesday 3 March 2027, never screened: the end of week 2 is Sunday 21 March,
    # moved back to Friday 19 March (a worker's deadline's default); the breach goes to the
    # leder the first working day after: Monday 22 March.
    # The monthly follow-up anchored on Sunday 28 February (a month end) is due on each
    # month's last day: Wednesday 31 March, then Friday 30 April (`behold`); a missing one
    # reaches the leder the first working day after: Thursday 1 April, Monday 3 May.
    # (Without the month-end rule the second would be due 28 April.) The screening counted
    # from 28 February (a Sunday, the last day of its week) ends Sunday 14 March -> Friday 12
    # March, breach Monday 15 March.
    records = run_case(
        drejebog, "2027-02-28 09:00", [], "2027-05-05 23:00", {"visitation": "2027-03-03"}
    )
    screening = [r for r in brief(records) if r[2] == "screening"]
    assert screening == [("2027-03-22 08:00", "escalation", "screening", "leder")]
    anchored = run_case(
        drejebog, "2027-02-28 09:00", [], "2027-05-05 23:00", {"visitation": "2027-02-28"}
    )
    assert [r for r in brief(anchored) if r[1] != "state"] == [
        ("2027-03-15 08:00", "escalation", "screening", "leder"),
        ("2027-04-01 08:00", "checkin_missing", "opfoelgning", "leder"),
        ("2027-05-03 08:00", "checkin_missing", "opfoelgning", "leder"),
    ]
