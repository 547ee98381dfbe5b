"""The main path in a real browser (tests/web/conftest.py): log in, *Mit arbejde*, a case,
an event through its generated form, the new deadline and the timeline row; the same login by
keyboard alone; and the case page at 200 % zoom without sideways scrolling."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import shows_cpr_serial
from tests.store.conftest import ANNA_CPR
from tests.web.conftest import PASSWORD, Served


def open_case(served: Served) -> str:
    return served.app.cases.open_case(
        ANNA_CPR, "mini", "lene", assignments={"sagsbehandler": "anna_s"}
    ).case_id


def test_a_worker_logs_in_opens_a_case_and_registers_an_event(
    browser: Any, served: Served, tmp_path: Path
) -> None:
    case_id = open_case(served)
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="da-DK")
    page.goto(f"{served.url}/sag/{case_id}")
    assert page.url == f"{served.url}/login"  # nobody is logged in yet
    page.get_by_label("Brugernavn").fill("anna_s")
    page.get_by_label("Adgangskode").fill(PASSWORD)
    page.get_by_role("button", name="Log ind").click()
    page.wait_for_url(f"{served.url}/")
    assert page.get_by_role("heading", level=1).inner_text() == "Mit arbejde"
    page.screenshot(path=str(tmp_path / "mit_arbejde.png"), full_page=True)

    page.get_by_role("link", name=f"Sag {case_id}").click()
    page.wait_for_url(f"{served.url}/sag/{case_id}")
    heading = page.get_by_role("heading", level=1).inner_text()
    assert "Anna Andersen" in heading and "610190-xxxx" in heading
    assert not shows_cpr_serial(page.content())

    form = page.locator("form", has=page.get_by_role("group", name="Rehabiliteringsteamet"))
    form.get_by_label("Rehabiliteringsmøde").fill("2027-03-01")
    form.get_by_label("Indstilling").select_option("ressourceforloeb")
    form.get_by_label("Begrundelse (valgfri)").fill("Mødet blev holdt i dag")
    form.get_by_role("button", name="Registrér").click()
    page.wait_for_load_state()

    assert "rehab_holdt registreret (rehab)" in page.get_by_role("status").inner_text()
    facts = page.locator("dl.fakta").first.inner_text()
    assert "rehab" in facts
    deadlines = page.get_by_role("table").first.inner_text()
    assert "overdragelse" in deadlines and "2027-03-15" in deadlines  # 14 days from the meeting
    timeline = page.locator("ol.forloeb li").last.inner_text()
    assert "rehab_holdt" in timeline and "anna_s" in timeline
    assert "Begrundelse: Mødet blev holdt i dag" in timeline
    page.screenshot(path=str(tmp_path / "sag.png"), full_page=True)
    assert served.app.reports.case_details(case_id)["tilstand"] == "rehab"


def test_the_login_works_by_keyboard_alone_with_a_visible_focus(
    browser: Any, served: Served
) -> None:
    page = browser.new_page(locale="da-DK")
    page.goto(f"{served.url}/login")
    focused = ""
    for _ in range(10):  # the skip link and the menu come first
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.id")
        if focused == "brugernavn":
            break
    assert focused == "brugernavn"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none")
    page.keyboard.type("anna_s")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "adgangskode"
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{served.url}/")
    assert page.get_by_role("heading", level=1).inner_text() == "Mit arbejde"


def test_the_case_page_at_200_percent_zoom_needs_no_sideways_scrolling(
    browser: Any, served: Served, tmp_path: Path
) -> None:
    case_id = open_case(served)
    # a 1280 px wide screen at 200 %: 640 CSS pixels, each drawn as two
    context = browser.new_context(
        viewport={"width": 640, "height": 800}, device_scale_factor=2, locale="da-DK"
    )
    page = context.new_page()
    page.goto(f"{served.url}/login")
    page.get_by_label("Brugernavn").fill("anna_s")
    page.get_by_label("Adgangskode").fill(PASSWORD)
    page.get_by_role("button", name="Log ind").click()
    page.wait_for_url(f"{served.url}/")
    page.goto(f"{served.url}/sag/{case_id}")
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], widths
    button = page.get_by_role("button", name="Registrér: Rehabiliteringsteamet har holdt møde")
    assert button.is_visible()
    page.screenshot(path=str(tmp_path / "sag_200.png"), full_page=True)
    context.close()


def log_in(page: Any, served: Served, handle: str = "anna_s") -> None:
    page.goto(f"{served.url}/login")
    page.get_by_label("Brugernavn").fill(handle)
    page.get_by_label("Adgangskode").fill(PASSWORD)
    page.get_by_role("button", name="Log ind").click()
    page.wait_for_url(f"{served.url}/")


def test_the_case_list_finds_a_case_by_cpr_and_a_role_is_given_from_the_case_page(
    browser: Any, served: Served, tmp_path: Path
) -> None:
    case_id = open_case(served)
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="da-DK")
    log_in(page, served)
    page.get_by_role("navigation", name="Hovedmenu").get_by_role("link", name="Sager").click()
    page.wait_for_url(f"{served.url}/sager")
    page.get_by_label("Søg på navn eller helt CPR-nummer").fill(ANNA_CPR)
    page.get_by_label("Søg på navn eller helt CPR-nummer").press("Enter")
    page.wait_for_load_state()
    assert page.url == f"{served.url}/sager"  # posted: the CPR number is not in the address
    rows = page.locator("tbody tr")
    assert rows.count() == 1 and "610190-xxxx" in rows.first.inner_text()
    assert not shows_cpr_serial(page.content())
    page.screenshot(path=str(tmp_path / "sager.png"), full_page=True)
    assert [e.action for e in served.app.case_access.log_of(int(case_id))] == ["søg"]

    rows.first.get_by_role("link", name=f"Sag {case_id}").click()
    page.wait_for_url(f"{served.url}/sag/{case_id}")
    assign = page.locator("form.tildel")
    assign.get_by_label("Rolle").select_option("mentor")
    assign.get_by_label("Medarbejder").select_option("karl")
    assign.get_by_label("Begrundelse (valgfri)").fill("Karl er mentor")
    assign.get_by_role("button", name="Tildel rollen").click()
    page.wait_for_load_state()
    assert "karl har nu rollen mentor" in page.get_by_role("status").inner_text()
    last = page.locator("ol.forloeb li").last.inner_text()
    assert "tildeling" in last and "mentor" in last and "af anna_s" in last


def test_a_change_from_a_stale_page_shows_the_conflict_and_the_reload_link(
    browser: Any, served: Served, tmp_path: Path
) -> None:
    case_id = open_case(served)
    context = browser.new_context(locale="da-DK")
    first = context.new_page()
    log_in(first, served)
    second = context.new_page()
    for tab in (first, second):
        tab.goto(f"{served.url}/sag/{case_id}")
    first.get_by_role("button", name="Registrér: Virksomhedspraktik startet").click()
    first.wait_for_load_state()
    assert "praktik_startet registreret" in first.get_by_role("status").inner_text()
    second.get_by_role("button", name="Registrér: afslut").click()
    second.wait_for_load_state()
    alert = second.get_by_role("alert").inner_text()
    assert "en anden har ændret sagen, mens du så på den; intet er gemt" in alert
    second.screenshot(path=str(tmp_path / "konflikt.png"), full_page=True)
    second.get_by_role("link", name="Tilbage til sagen (genindlæs)").click()
    second.wait_for_url(f"{served.url}/sag/{case_id}")
    assert served.app.reports.case_details(case_id)["tilstand"] == "visiteret"
    context.close()


def test_a_leder_opens_the_teams_overview_from_the_menu(
    browser: Any, served: Served, tmp_path: Path
) -> None:
    case_id = open_case(served)
    data = {"rehab_moede": "2027-03-01", "indstilling": "ressourceforloeb"}
    served.app.cases.apply_event(case_id, "rehab_holdt", data, "anna_s")
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="da-DK")
    log_in(page, served, "lene")
    menu = page.get_by_role("navigation", name="Hovedmenu")
    menu.get_by_role("link", name="Teamets overblik").click()
    page.wait_for_url(f"{served.url}/leder")
    assert page.get_by_role("heading", level=1).inner_text() == "Teamets overblik"
    free = page.locator("section", has=page.get_by_role("heading", name="Roller uden medarbejder"))
    assert "virksomhedskonsulent" in free.inner_text() and f"Sag {case_id}" in free.inner_text()
    page.screenshot(path=str(tmp_path / "leder.png"), full_page=True)
