"""Screenshots of the web app's main pages for the README, from the demo's jobcenter:

    .venv/bin/python docs/screenshots.py            # writes docs/screenshots/*.png

It runs `drejebog demo`'s jobcenter (216 citizens, 18 months) into a temporary SQLite file,
gives the sagsbehandler `anna` an account beside the leder `lene`'s, serves the web app on a
free port of 127.0.0.1 with the clock standing on the demo's last day, and photographs each
page in Debian's chromium (/usr/bin/chromium, through Playwright; never `playwright install`)
at 1280×800: the login, *Mit arbejde*, the case list, a case, the leder's overview and the
måltal. Each PNG is then made smaller by `optipng` when it is installed (apt-get install
optipng); the pixels stay the same.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import uvicorn

from drejebog.app.settings import Settings
from drejebog.app.work import my_work
from drejebog.bootstrap import App, bootstrap
from drejebog.cli.jobcenter_demo import DEMO_PASSWORD, run_jobcenter_demo
from drejebog.engine.clock import SimulatedClock
from drejebog.engine.deadlines import COPENHAGEN
from drejebog.web.app import create_app
from drejebog.web.settings import WebSettings

OUT = Path(__file__).resolve().parent / "screenshots"
CHROMIUM = "/usr/bin/chromium"
WIDTH, HEIGHT = 1280, 800
WORKER = "anna"  # a sagsbehandler of the demo's team


def _say(text: str) -> None:
    sys.stderr.write(text + "\n")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def served(app: App) -> Iterator[str]:
    port = _free_port()
    web = create_app(app, WebSettings(secret_key="s" * 40, secure_cookie=False))
    config = uvicorn.Config(web, host="127.0.0.1", port=port, log_level="warning", ws="none")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(1000):
        if server.started:
            break
        threading.Event().wait(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def log_in(page: Any, url: str, handle: str) -> None:
    page.goto(f"{url}/login")
    page.get_by_label("Brugernavn").fill(handle)
    page.get_by_label("Adgangskode").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log ind", exact=True).click()
    page.wait_for_url(f"{url}/")


def shoot(page: Any, name: str) -> Path:
    path = OUT / f"{name}.png"
    page.screenshot(path=str(path))  # the viewport: 1280×800
    if shutil.which("optipng"):
        subprocess.run(["optipng", "-quiet", "-o2", str(path)], check=True)
    _say(f"{path.relative_to(OUT.parent.parent)}: {path.stat().st_size // 1024} kB")
    return path


def photograph(app: App, url: str, start: date, end: date) -> None:
    from playwright.sync_api import sync_playwright

    case_id = my_work(app.reports, app.access_store, WORKER).cases[0].case_id
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT}, locale="da-DK")
            page.goto(f"{url}/login")
            shoot(page, "login")
            log_in(page, url, WORKER)
            shoot(page, "mit_arbejde")
            page.goto(f"{url}/sager")
            shoot(page, "sager")
            page.goto(f"{url}/sag/{case_id}")
            shoot(page, "sag")
            leder = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT}, locale="da-DK")
            log_in(leder, url, "lene")
            leder.goto(f"{url}/leder")
            shoot(leder, "leder")
            leder.goto(f"{url}/maaltal?fra={start:%Y-%m-01}&til={end}")
            # the demo runs the ressourceforløb: its måltal, not the empty drejebog above it
            leder.evaluate("document.getElementById('drejebog-ressourceforloeb').scrollIntoView()")
            shoot(leder, "maaltal")
        finally:
            browser.close()


def main() -> None:
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "demo.db"
        _say("kører demoens jobcenter (ca. 10 sekunder) ...")
        outcome = run_jobcenter_demo(database)
        # the clock stands on the demo's last working morning, as the demo's report does
        clock = SimulatedClock(datetime.combine(outcome.end, time(9), COPENHAGEN))
        app = bootstrap(Settings(f"sqlite:///{database}"), clock)
        try:
            app.accounts.add(WORKER, "sagsbehandler", DEMO_PASSWORD)
            with served(app) as url:
                photograph(app, url, outcome.start, outcome.end)
        finally:
            app.close()


if __name__ == "__main__":
    main()
