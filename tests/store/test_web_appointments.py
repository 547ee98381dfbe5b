"""A `tidspunkt` fact on the web case page and in the API (issue 11, point 3), on SQLite and
PostgreSQL: the generated event form offers a datetime-local input, what the browser sends
("2027-11-01T10:00") is read as Danish local time, and a bad or nonexistent time is refused
in the engine's own Danish words with nothing written."""

# the fixtures `web` and `client` are test_web.py's, imported: each test names them again
# ruff: noqa: F811

from __future__ import annotations

import html
import re

import pytest

from drejebog.bootstrap import App
from tests.conftest import FIXTURES
from tests.store.conftest import ANNA_CPR
from tests.store.test_api import make_token
from tests.store.test_web import (  # noqa: F401  (fixtures)
    PASSWORD,
    client,
    csrf_of,
    log_in,
    web,
)
from tests.store.test_web_case_changes import version_of


@pytest.fixture
def booked_case(web: App) -> str:
    web.admin.load_drejebog_files([FIXTURES / "aftaler.yaml"])
    return web.cases.open_case(
        ANNA_CPR, "aftaler", "lene", assignments={"sagsbehandler": "anna_s"}
    ).case_id


def _post(client, case_id: str, when: str):
    page = client.get(f"/sag/{case_id}").text
    return client.post(
        f"/sag/{case_id}/haendelse",
        data={
            "csrf": csrf_of(page),
            "version": version_of(page),
            "haendelse": "jobsamtale_booket",
            "data.jobsamtale": when,
        },
        follow_redirects=False,
    )


def test_the_event_form_offers_a_datetime_local_input(web, client, booked_case):
    assert log_in(client) == 303
    page = client.get(f"/sag/{booked_case}").text
    (field,) = re.findall(r"<input [^>]*name=\"data\.jobsamtale\"[^>]*>", page)
    assert 'type="datetime-local"' in field and "required" in field


def test_the_browsers_value_is_read_as_danish_local_time(web, client, booked_case):
    assert log_in(client) == 303
    response = _post(client, booked_case, "2027-11-01T10:00")
    assert response.status_code == 303, response.text
    details = web.reports.case_details(booked_case)
    assert details["fakta"]["jobsamtale"] == "2027-11-01T10:00:00"
    assert details["tilstand"] == "booket"
    assert "<dt>jobsamtale</dt><dd>2027-11-01 10:00</dd>" in client.get(f"/sag/{booked_case}").text
    borger = [k for k in details["kommende"] if k["til"] == ["borger"]]
    assert [k["tidspunkt"] for k in borger] == ["2027-10-31T09:00:00+00:00"]  # 10:00 +01:00


@pytest.mark.parametrize(
    ("when", "words"),
    [
        ("2027-03-28T02:30", "findes ikke i dansk tid"),
        ("2027-11-01T25:00", "timer skal være 00-23"),
        ("2027-02-30T10:00", "datoen 2027-02-30 findes ikke"),
        ("i morgen", "ÅÅÅÅ-MM-DD TT:MM"),
        ("2027-11-01", "ÅÅÅÅ-MM-DD TT:MM"),
    ],
    ids=["spring_gap", "hour_25", "february_30", "text", "date_only"],
)
def test_a_bad_time_is_refused_in_danish_and_nothing_is_written(
    web, client, booked_case, when, words
):
    assert log_in(client) == 303
    response = _post(client, booked_case, when)
    assert response.status_code == 400
    assert words in html.unescape(response.text) and "jobsamtale" in response.text
    details = web.reports.case_details(booked_case)
    assert details["tilstand"] == "ny" and "jobsamtale" not in details["fakta"]


def test_the_api_accepts_a_tidspunkt_as_iso_text_and_refuses_the_gap(web, client, booked_case):
    web.admin.add_worker("ida", "Ida Administrator", "sagsbehandler", "", "it")
    web.accounts.add("ida", "administrator", PASSWORD)
    auth = make_token(web)
    url = f"/api/sager/{booked_case}/haendelser"
    gap = {"haendelse": "jobsamtale_booket", "data": {"jobsamtale": "2027-03-28T02:30"}}
    refused = client.post(url, json=gap, headers=auth)
    assert refused.status_code == 422 and "findes ikke i dansk tid" in refused.text
    good = {"haendelse": "jobsamtale_booket", "data": {"jobsamtale": "2027-11-01T10:00"}}
    response = client.post(url, json=good, headers=auth)
    assert response.status_code == 200, response.text
    assert web.reports.case_details(booked_case)["fakta"]["jobsamtale"] == "2027-11-01T10:00:00"
