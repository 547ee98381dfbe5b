"""A worker's iCalendar feed (app/calendar_feed.py, GET /kalender/<secret>.ics) on SQLite and
PostgreSQL: their open tasks' deadlines as all-day events on the Copenhagen due day, a UID per
task that stays the same from fetch to fetch, no citizen's name or CPR number, only their own
tasks, and nothing for a wrong, replaced or revoked secret."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar

from drejebog.bootstrap import App
from drejebog.web.app import create_app
from tests.store.conftest import ANNA_CPR, BO_CPR
from tests.store.test_web import SETTINGS, web  # noqa: F401  (fixture)
from tests.store.test_web_case_changes import TASKS


@pytest.fixture
def feeds(web: App, tmp_path: Path) -> App:  # noqa: F811
    source = tmp_path / "opgaver.yaml"
    source.write_text(TASKS, encoding="utf-8")
    web.admin.load_drejebog_files([source])
    return web


def open_for(app: App, worker: str, cpr: str) -> str:
    return app.cases.open_case(
        cpr, "opgaver", "lene", assignments={"sagsbehandler": worker}
    ).case_id


def events(body: bytes) -> list:
    return [c for c in Calendar.from_ical(body).walk() if c.name == "VEVENT"]


def test_the_feed_holds_the_workers_deadlines_as_all_day_events_with_stable_uids(feeds):
    # 23:30 UTC on Friday 26 March 2027 is already Saturday 27 March in Copenhagen; the due
    # date, 5 days on, lies after the change to summer time (Sunday 28 March)
    feeds.clock.advance_to(datetime(2027, 3, 26, 23, 30, tzinfo=UTC))
    ours = open_for(feeds, "anna_s", ANNA_CPR)
    due = {t["opgave"]: t["frist"] for t in feeds.reports.case_details(ours)["opgaver"]}
    assert due["ring_op"] == "2027-04-01"  # from the Copenhagen day: Saturday 27 + 5
    open_for(feeds, "per", BO_CPR)  # another worker's case: not in anna_s's feed
    secret = feeds.calendar_feeds.new_secret("anna_s")
    first = feeds.calendar_feeds.feed(secret, "https://jobcenter.example")
    assert first is not None
    found = events(first)
    assert len(found) == 1  # send_brev has no deadline; per's case is not anna_s's
    event = found[0]
    assert event.decoded("dtstart") == date(2027, 4, 1)
    assert event.decoded("dtend") == date(2027, 4, 2)
    assert str(event["summary"]) == f"Frist: Ring borgeren op (sag {ours})"
    assert str(event["url"]) == f"https://jobcenter.example/sag/{ours}"
    assert event.decoded("dtstamp") == datetime(2027, 3, 26, 23, 30, tzinfo=UTC)
    assert b"DTSTART;VALUE=DATE:20270401" in first
    assert b"DTSTAMP:20270326T233000Z" in first
    again = feeds.calendar_feeds.feed(secret)
    assert again is not None
    assert [str(e["uid"]) for e in events(again)] == [str(event["uid"])]
    text = first.decode("utf-8")
    for private in ("Anna Andersen", ANNA_CPR, ANNA_CPR.replace("-", ""), "1234"):
        assert private not in text


def test_the_feed_is_served_as_text_calendar_and_a_wrong_secret_gets_nothing(feeds):
    open_for(feeds, "anna_s", ANNA_CPR)
    secret = feeds.calendar_feeds.new_secret("anna_s")
    with TestClient(create_app(feeds, SETTINGS), base_url="https://testserver") as client:
        response = client.get(f"/kalender/{secret}.ics")
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/calendar; charset=utf-8"
        assert "X-WR-TIMEZONE:Europe/Copenhagen" in response.text
        assert "URL:https://testserver/sag/" in response.text
        for wrong in (
            f"/kalender/{secret}",  # no .ics
            f"/kalender/{secret[:-1]}.ics",
            "/kalender/.ics",
            "/kalender/" + "a" * 5000 + ".ics",
        ):
            missing = client.get(wrong)
            assert missing.status_code == 404 and missing.text == "kalenderen findes ikke"
        feeds.calendar_feeds.revoke("anna_s")
        assert client.get(f"/kalender/{secret}.ics").status_code == 404
