"""The web app in a real browser: Debian's chromium (/usr/bin/chromium) driven by Playwright
for Python, against `drejebog serve`'s app (uvicorn in a thread) on a fresh SQLite file seeded
through the product's own use cases.

Playwright never downloads a browser here (`playwright install` needs the internet): it launches
the system one. Without chromium or Playwright the browser tests are skipped with the reason,
except under CI (the variable CI set), where they fail: CI must run them (.ci/run installs
chromium)."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from drejebog.app.settings import Settings
from drejebog.bootstrap import App, bootstrap
from drejebog.engine.clock import SimulatedClock
from drejebog.web.app import create_app
from drejebog.web.settings import WebSettings
from tests.conftest import FIXTURES
from tests.store.conftest import ANNA_CPR, BO_CPR, STAFF, START

CHROMIUM = Path("/usr/bin/chromium")
PASSWORD = "en lang adgangskode"


def _missing() -> str | None:
    """Why the browser tests cannot run here (None: they can)."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} findes ikke (apt-get install -y chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python er ikke installeret (pip install -e '.[test]')"
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    reason = _missing()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"browsertestene kan ikke køre, men CI kræver dem: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Served:
    app: App
    url: str


def seed(app: App) -> App:
    """Team 1 (lene leads anna_s, karl, vera), team 2 (ole leads per), two citizens, the mini
    drejebog and accounts, all through the application's own use cases."""
    admin = app.admin
    for worker in STAFF:
        admin.add_worker(*worker)
    admin.add_worker("ole", "Ole Leder", "leder", "", "team2")
    admin.add_worker("per", "Per Sagsbehandler", "sagsbehandler", "", "team2", "ole")
    admin.add_citizen(ANNA_CPR, "Anna Andersen", "anna@example.org")
    admin.add_citizen(BO_CPR, "Bo Bertelsen")
    admin.load_drejebog_files([FIXTURES / "mini.yaml"])
    for handle, role in (("anna_s", "sagsbehandler"), ("lene", "leder"), ("ole", "leder")):
        app.accounts.add(handle, role, PASSWORD)
    return app


@contextmanager
def running(asgi: Any, port: int | None = None) -> Iterator[str]:
    """An ASGI app served by uvicorn in a thread on 127.0.0.1 (a free port unless given)."""
    port = port or _free_port()
    config = uvicorn.Config(
        asgi, host="127.0.0.1", port=port, log_level="warning", ws="none", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(500):  # up to 5 s for the socket to listen; no test asserts on speed
        if server.started:
            break
        threading.Event().wait(0.01)
    assert server.started, "uvicorn startede ikke"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def seeded_app(tmp_path: Path) -> App:
    app = bootstrap(Settings(f"sqlite:///{tmp_path / 'drejebog.db'}"), SimulatedClock(START))
    app.upgrade_schema()
    return seed(app)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    """The web app on a free port of 127.0.0.1, over a fresh, seeded SQLite file."""
    app = seeded_app(tmp_path)
    # plain http on 127.0.0.1: the session cookie cannot be Secure-only here
    web = create_app(app, WebSettings(secret_key="b" * 40, secure_cookie=False))
    try:
        with running(web) as url:
            yield Served(app, url)
    finally:
        app.close()
