"""WCAG 2.1 AA in a real browser (tests/web/conftest.py): every main page of the web app is
walked as a sagsbehandler and as a leder, and on each tests/web/a11y.js finds no problem
(lang="da", a title, landmarks, one h1, a skip link first, headings in order, a label on every
field, unique ids, table headers with scope, invalid fields tied to their message, text
contrast of at least 4.5:1) and the menu marks the page that is open; at 640 CSS pixels (a
1280 px screen at 200 %) no page scrolls sideways; the keyboard alone reaches each page's main
action, with a visible focus ring."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.store.conftest import ANNA_CPR, BO_CPR
from tests.web.conftest import PASSWORD, Served
from tests.web.test_dashboard_browser import kpi_cases

AUDIT = (Path(__file__).parent / "a11y.js").read_text(encoding="utf-8")
MAX_TABS = 80  # a page's focusable things before its main action, at most
MENU = ("/", "/sager", "/leder", "/maaltal", "/min-kalender")

# page, who sees it, the name of its main action (a button or link that Tab must reach)
PAGES = [
    ("/", "anna_s", "Sag {case}"),
    ("/sager", "anna_s", "Søg"),
    ("/sag/{case}", "anna_s", "Registrér: Virksomhedspraktik startet"),
    ("/min-kalender", "anna_s", "Lav en kalender-URL"),
    ("/leder", "lene", "Sag {held}"),
    ("/maaltal", "lene", "Vis"),
    ("/sag/999999", "anna_s", "Til Mit arbejde"),  # the error page
]


def prepared(served: Served, tmp_path: Path) -> dict[str, str]:
    """Two cases of anna_s's: one just opened, one past its rehab meeting (a role its deadline
    needs is unassigned: a row in the leader's overview), and the KPI drejebog's cases (so the
    dashboard has tables and charts)."""
    app = served.app
    case_id, held = (
        app.cases.open_case(cpr, "mini", "lene", assignments={"sagsbehandler": "anna_s"}).case_id
        for cpr in (ANNA_CPR, BO_CPR)
    )
    data = {"rehab_moede": "2027-03-01", "indstilling": "ressourceforloeb"}
    app.cases.apply_event(held, "rehab_holdt", data, "anna_s")
    kpi_cases(served, tmp_path)
    return {"case": case_id, "held": held}


def logged_in(browser: Any, served: Served, handle: str, width: int = 1280) -> Any:
    context = browser.new_context(viewport={"width": width, "height": 800}, locale="da-DK")
    page = context.new_page()
    page.goto(f"{served.url}/login")
    page.get_by_label("Brugernavn").fill(handle)
    page.get_by_label("Adgangskode").fill(PASSWORD)
    page.get_by_role("button", name="Log ind", exact=True).click()
    page.wait_for_url(f"{served.url}/")
    return page


def audit(page: Any) -> list[str]:
    problems: list[str] = page.evaluate(AUDIT)
    return [f"{page.url}: {p}" for p in problems]


def tab_to(page: Any, name: str) -> dict[str, str]:
    """Press Tab until the focus is on the button or link called `name`; what it found."""
    page.evaluate("document.activeElement && document.activeElement.blur()")
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        found: dict[str, str] = page.evaluate(
            """() => { const el = document.activeElement; const s = getComputedStyle(el);
                return {text: (el.innerText || el.value || '').trim(), tag: el.tagName,
                        outline: s.outlineStyle, width: s.outlineWidth}; }"""
        )
        if found["text"] == name:
            return found
    raise AssertionError(f"{page.url}: Tab nåede ikke '{name}' på {MAX_TABS} tryk")


def test_the_main_pages_pass_the_accessibility_audit_and_tab_reaches_their_main_action(
    browser: Any, served: Served, tmp_path: Path
) -> None:
    cases = prepared(served, tmp_path)
    problems: list[str] = []
    pages = {handle: logged_in(browser, served, handle) for handle in ("anna_s", "lene")}
    for path, handle, action in PAGES:
        page = pages[handle]
        page.goto(served.url + path.format(**cases))
        problems += audit(page)
        current = page.locator('header nav a[aria-current="page"]')
        if path in MENU:  # the menu says which of its pages is open
            assert current.get_attribute("href") == path
        else:
            assert current.count() == 0
        focus = tab_to(page, action.format(**cases))
        assert focus["outline"] not in ("none", "") and focus["width"] not in ("0px", ""), (
            f"{path}: fokus på '{action}' er ikke synligt: {focus}"
        )
    assert problems == []


def test_the_login_page_and_its_error_are_accessible(browser: Any, served: Served) -> None:
    page = browser.new_page(locale="da-DK")
    page.goto(f"{served.url}/login")
    assert audit(page) == []
    assert tab_to(page, "Log ind")["tag"] == "BUTTON"
    page.get_by_label("Brugernavn").fill("anna_s")
    page.get_by_label("Adgangskode").fill("forkert adgangskode")
    page.get_by_role("button", name="Log ind", exact=True).click()
    page.wait_for_load_state()
    assert audit(page) == []
    error = page.get_by_role("alert")
    assert "forkert brugernavn eller adgangskode" in error.inner_text()
    for field in ("Brugernavn", "Adgangskode"):
        box = page.get_by_label(field)
        assert box.get_attribute("aria-invalid") == "true"
        assert box.get_attribute("aria-describedby") == error.get_attribute("id")


@pytest.mark.parametrize("handle", ["anna_s", "lene"])
def test_no_main_page_scrolls_sideways_at_200_percent_zoom(
    browser: Any, served: Served, tmp_path: Path, handle: str
) -> None:
    cases = prepared(served, tmp_path)
    page = logged_in(browser, served, handle, width=640)
    wide = []
    for path, who, _ in PAGES:
        if who != handle:
            continue
        page.goto(served.url + path.format(**cases))
        scroll, client = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        if scroll > client:
            wide.append(f"{path}: {scroll} px bred på {client} px")
    assert wide == []


def test_the_audit_finds_each_kind_of_problem_it_looks_for(browser: Any) -> None:
    page = browser.new_page()
    page.set_content(
        """<html><head><title>x</title></head><body><main><h1>a</h1><h3>b</h3>
        <input id="x"><input id="x" type="checkbox"><p style="color:#999">grå</p>
        <table><tr><th>Sag</th></tr></table><nav></nav>
        <input aria-invalid="true" aria-label="felt"><button></button></main></body></html>"""
    )
    found = " | ".join(page.evaluate(AUDIT))
    for expected in (
        '<html> mangler lang="da"',
        "intet <header>",
        "en <nav> uden navn",
        "ikke et spring-link til <main>",
        "springer et niveau over",
        "feltet <input id=x> «» har ingen etiket",
        'id="x" bruges flere gange',
        "mangler scope",
        "uden aria-describedby til fejlen",
        "har ingen tekst",
        "har kontrasten 2.85:1",
    ):
        assert expected in found
