"""The projektleder's page in a real browser (tests/web/conftest.py): a drejebog with an error
is shown with the error at its line; a valid one is drawn by the vendored Mermaid (an SVG
appears), simulated and loaded; a sagsbehandler gets 403."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import FIXTURES
from tests.web.conftest import PASSWORD, Served

MINI = (FIXTURES / "mini.yaml").read_text(encoding="utf-8")
SCENARIO = (FIXTURES / "mini_scenario.yaml").read_text(encoding="utf-8")


def log_in(page: Any, served: Served, handle: str) -> None:
    page.goto(f"{served.url}/login")
    page.get_by_label("Brugernavn").fill(handle)
    page.get_by_label("Adgangskode").fill(PASSWORD)
    page.get_by_role("button", name="Log ind").click()
    page.wait_for_url(f"{served.url}/")


def test_a_projektleder_checks_draws_simulates_and_loads(
    browser: Any, served: Served, tmp_path: Path
) -> None:
    served.app.accounts.add("karl", "projektleder", PASSWORD)
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="da-DK")
    log_in(page, served, "karl")
    page.get_by_role("link", name="Drejebøger").click()
    page.wait_for_url(f"{served.url}/drejeboeger")

    # an unknown key on line 3: the error at its line, the line marked in the source
    broken = MINI.replace("titel: Mini-drejebog til test", "titl: Mini-drejebog til test", 1)
    page.get_by_label("Eller indsæt teksten her").fill(broken)
    page.get_by_role("button", name="Tjek").click()
    page.wait_for_load_state()
    alert = page.get_by_role("alert").first.inner_text()
    assert "linje 3:1" in alert and "ukendt nøgle 'titl'" in alert
    line_3 = page.locator("#linje-3")
    assert line_3.get_attribute("class") == "problem"
    assert "titl: Mini-drejebog til test" in line_3.inner_text()
    assert "ukendt nøgle 'titl'" in line_3.inner_text()  # the message beside its line
    assert page.locator("#linje-4").get_attribute("class") is None  # a clean line
    page.screenshot(path=str(tmp_path / "drejebog_fejl.png"), full_page=True)

    version_2 = MINI.replace("version: 1", "version: 2", 1)
    page.get_by_label("Eller indsæt teksten her").fill(version_2)
    page.get_by_role("button", name="Tjek").click()
    page.wait_for_load_state()
    assert "OK – Mini-drejebog til test" in page.get_by_role("status").first.inner_text()
    svg = page.locator("pre.mermaid svg")
    svg.wait_for(state="attached", timeout=20_000)
    assert "Rehabiliteringsteam holdt" in (svg.text_content() or "")  # a label, drawn
    page.screenshot(path=str(tmp_path / "drejebog_diagram.png"), full_page=True)

    page.get_by_label("Eller indsæt et scenarie").fill(SCENARIO)
    page.get_by_role("button", name="Simulér").click()
    page.wait_for_load_state()
    timeline = page.locator("table.forloeb tbody tr")
    assert timeline.count() >= 3
    assert "Rehabiliteringsteam holdt" in page.locator("table.forloeb").inner_text()
    assert (
        "scenariet linje 15:9"
        in page.locator("section")
        .filter(has=page.get_by_role("heading", name="Simuleringens forløb"))
        .inner_text()
    )

    page.get_by_role("button", name="Indlæs som ny version").click()
    page.wait_for_url(f"{served.url}/drejeboeger")
    assert "mini version 2 er indlæst" in page.get_by_role("status").first.inner_text()
    versions = page.locator("table").last.inner_text()
    assert "mini" in versions and "2" in versions
    assert served.app.admin.store.content_hashes({("mini", "2")})


def test_a_sagsbehandler_gets_403(browser: Any, served: Served) -> None:
    page = browser.new_page(locale="da-DK")
    log_in(page, served, "anna_s")
    assert page.get_by_role("link", name="Drejebøger").count() == 0
    response = page.goto(f"{served.url}/drejeboeger")
    assert response is not None and response.status == 403
    assert "kun en projektleder" in page.get_by_role("alert").inner_text()
