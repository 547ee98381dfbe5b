"""The leader dashboard (/maaltal) in a real browser (tests/web/conftest.py): the leder logs
in, follows the menu's link, sees a måltal's title, its figure in the table and its chart, and
narrows it to a period; a screenshot of the page is kept in the test's folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.store.test_kpi_report import KPI_DREJEBOG
from tests.web.conftest import PASSWORD, Served

ANSWERS = (True, True, True, True, False)  # 4 of 5 answered find the samtale involving
TARGET = "90 % finder samtalen inddragende"


def kpi_cases(served: Served, tmp_path: Path) -> None:
    """The KPI drejebog of test_kpi_report.py and six cases of lene's team, met in January;
    five answered whether the samtale was involving."""
    app = served.app
    path = tmp_path / "kpi.yaml"
    path.write_text(KPI_DREJEBOG, encoding="utf-8")
    app.admin.load_drejebog_files([path])
    for number in range(6):
        cpr = f"{11 + number:02d}0190-{6000 + number:04d}"
        app.admin.add_citizen(cpr, f"Borger {number}")
        case_id = app.cases.open_case(
            cpr, "kpi", "lene", assignments={"sagsbehandler": "anna_s"}
        ).case_id
        data = {"moede": f"2027-01-{10 + number}", "indstilling": "ressourceforloeb"}
        app.cases.apply_event(case_id, "moede_holdt", data, "anna_s")
        if number < len(ANSWERS):
            app.cases.apply_event(case_id, "svar_givet", {"svar": ANSWERS[number]}, "anna_s")


def test_a_leder_opens_the_dashboard_and_reads_a_target_and_its_figure(
    browser: Any, served: Served, tmp_path: Path
) -> None:
    kpi_cases(served, tmp_path)
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="da-DK")
    page.goto(f"{served.url}/login")
    page.get_by_label("Brugernavn").fill("lene")
    page.get_by_label("Adgangskode").fill(PASSWORD)
    page.get_by_role("button", name="Log ind").click()
    page.wait_for_url(f"{served.url}/")
    page.get_by_role("navigation", name="Hovedmenu").get_by_role("link", name="Måltal").click()
    page.wait_for_url(f"{served.url}/maaltal")
    assert page.get_by_role("heading", level=1).inner_text() == "Måltal"

    page.get_by_label("Fra (første ankerdag").fill("2027-01-01")
    page.get_by_label("Til (sidste ankerdag").fill("2027-01-31")
    page.get_by_role("button", name="Vis").click()
    page.wait_for_url(f"{served.url}/maaltal?fra=2027-01-01&til=2027-01-31&team=")
    heading = page.get_by_role("heading", level=3, name=TARGET, exact=True)
    assert heading.is_visible()
    table = page.get_by_role("table", name=f"{TARGET}: pr. kohortemåned", exact=True)
    overall = table.get_by_role("row", name="Hele perioden").inner_text()
    assert "80 %" in overall and "målet er ikke nået" in overall
    assert table.get_by_role("row", name="2027-01").inner_text().split()[:2] == ["2027-01", "80"]
    chart = page.get_by_role("img", name=f"{TARGET}: mål mod resultat pr. måned", exact=True)
    assert chart.is_visible() and "80 %" in chart.inner_html()
    page.screenshot(path=str(tmp_path / "maaltal.png"), full_page=True)
