"""`drejebog report --html` in a real browser (tests/web/conftest.py's Chromium): the demo's
database (fewer citizens for speed, as tests/test_demo.py), the report written by the
command, opened from disk with every network request refused and recorded. Every måltal of
the seeds is there under its title with its chart (an SVG image with the target's mark and a
bar or a note per cohort month), the deadline and report-back tables are there, and the
file asks for nothing outside itself."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from drejebog.cli.main import main
from drejebog.engine.loader import drejebog_files, load_file
from drejebog.workflows import SHIPPED_DIR

EXTERNAL = re.compile(r"(https?:)?//[\w.-]+\.[a-z]{2,}|<script|<link|@import|url\(", re.I)


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("rapport")
    database = folder / "demo.db"
    demo = CliRunner().invoke(main, ["demo", "--database", str(database), "--borgere", "40"])
    assert demo.exit_code == 0, demo.output
    # the command the story prints: the figures as they stood on the demo's last day
    command = re.search(r"(drejebog report --fra \S+ --til \S+ --opgjort \S+)$", demo.stdout, re.M)
    assert command
    target = folder / "rapport.html"
    args = [*command[1].split()[1:], "--html", str(target)]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DATABASE_URL", f"sqlite:///{database}")
        result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert f"Rapporten er skrevet til {target}" in result.stdout
    return target


def test_every_seed_target_is_shown_with_its_chart_offline(browser: Any, report_file: Path):
    source = report_file.read_text(encoding="utf-8")
    assert not EXTERNAL.search(source), EXTERNAL.search(source)
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="da-DK")
    requested: list[str] = []

    def refuse(route: Any) -> None:
        if route.request.url != report_file.as_uri():
            requested.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    page.route("**/*", refuse)
    page.goto(report_file.as_uri())
    assert page.get_by_role("heading", level=1).inner_text() == "Nøgletal"
    targets = [t for path in drejebog_files([SHIPPED_DIR]) for t in load_file(path).targets]
    assert len(targets) >= 12  # the two seeds' targets
    for target in targets:
        heading = page.get_by_role("heading", level=3, name=target.title, exact=True)
        assert heading.is_visible(), target.title
        name = f"{target.title}: mål mod resultat pr. måned"
        chart = page.get_by_role("img", name=name, exact=True)
        assert chart.is_visible(), target.title
        box = chart.bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 100
        svg = chart.inner_html()
        assert f"mål {target.goal}" in svg  # the target's line or band, labelled
        assert "<rect" in svg or "for få" in svg or "ingen sager" in svg  # the months
    praktik = page.get_by_role("img", name=re.compile("^30 % i virksomhedspraktik inden 3"))
    assert praktik.locator("rect").count() >= 2  # this seed target has months to draw
    for heading in ("Frister i perioden", "Tilbagevendende pligter med fristdag i perioden"):
        assert page.get_by_role("heading", name=heading).first.is_visible()
    assert requested == []  # nothing was asked for outside the file
    page.screenshot(path=str(report_file.with_suffix(".png")), full_page=True)
    page.close()
