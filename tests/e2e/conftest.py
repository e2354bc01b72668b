"""Browser tests: Playwright driving Debian's Chromium against a live uvicorn (ASGI, with
websockets) serving the test database. `make test` installs Chromium when it is missing."""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from pathlib import Path

import pytest
import uvicorn

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(
    os.environ.get("E2E_ARTIFACTS", Path(__file__).resolve().parents[2] / "test-artifacts")
)

pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def e2e_server(django_db_setup):
    port = _free_port()
    config = uvicorn.Config(
        "nexloo.asgi:application", host="127.0.0.1", port=port, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="e2e-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the live ASGI server did not start")
        time.sleep(0.05)
    server.url = f"http://127.0.0.1:{port}"
    yield server
    from whatsapp import webhook

    webhook.close()  # the WhatsApp endpoint's own connections, before the database is dropped
    server.should_exit = True
    thread.join(10)


@pytest.fixture(scope="session")
def live_server_url(e2e_server):
    return e2e_server.url


def _wait_until_served(server, within: float = 10.0) -> None:
    """Until the live server has no connection open and no request or socket handler running:
    a page closed at the end of a test still has its last requests and its websocket's
    disconnect (presence goes offline) in flight, the webhook's publisher thread may still hand
    deliveries on, and the database flush that follows would deadlock with their writes."""
    from whatsapp import publisher

    deadline = time.monotonic() + within
    # The webhook's publisher thread hands stored deliveries on outside any request.
    publisher.wait_until_idle(within)
    state = server.server_state
    while state.connections or any(not task.done() for task in list(state.tasks)):
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"the live server still serves {len(state.connections)} connection(s) "
                f"{within:.0f} s after the test's pages closed"
            )
        time.sleep(0.02)


@pytest.fixture(scope="module")
def browser():
    # Module scope: Playwright's sync API runs an event loop in this thread while it is started,
    # and the transactional database tests that a worker runs after the browser tests must not
    # find one there (Django refuses synchronous database calls under a running loop).
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture(autouse=True, scope="module")
def _allow_orm_beside_playwright():
    # Playwright's sync API keeps an event loop in this thread; the ORM calls the tests make
    # between browser steps (and the database flush after them) are still synchronous code.
    # Module scope: set before the test database fixtures, removed after them.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture(autouse=True)
def _site_url_is_the_live_server(settings, request):
    """SITE_URL is the live server's; and after the test (its pages closed, by new_page or by
    the test itself) the server is let finish before the database is flushed."""
    if "live_server_url" not in request.fixturenames:
        yield
        return
    settings.SITE_URL = request.getfixturevalue("live_server_url")
    server = request.getfixturevalue("e2e_server")
    yield
    _wait_until_served(server)


@pytest.fixture
def new_page(browser, request):
    """Opens pages in fresh browser contexts (separate cookies), pt-BR, and screenshots them at
    the end of the test into test-artifacts/ so a person can look at them."""
    contexts = []

    def _open(name: str = "page"):
        context = browser.new_context(locale="pt-BR", viewport={"width": 1280, "height": 800})
        context.set_default_timeout(10_000)
        page = context.new_page()
        contexts.append((name, context, page))
        return page

    yield _open
    ARTIFACTS.mkdir(exist_ok=True)
    for name, context, page in contexts:
        with contextlib.suppress(Exception):  # a screenshot is a courtesy, never a failure
            page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{name}.png"), full_page=True)
        context.close()


BUSY = "O servidor está ocupado e nada foi salvo. Tente de novo em instantes."


@pytest.fixture
def database_locked(monkeypatch):
    """While on, every write of the live server (not of this test's thread) fails the way SQLite
    fails past its busy timeout: OperationalError("database is locked")."""
    import threading

    from django.db import OperationalError
    from django.db.backends import utils

    original = utils.CursorWrapper.execute
    state = {"on": False}

    def execute(self, sql, params=None):
        server = threading.current_thread() is not threading.main_thread()
        if state["on"] and server and sql.lstrip().upper().startswith(("INSERT", "UPDATE")):
            raise OperationalError("database is locked")
        return original(self, sql, params)

    monkeypatch.setattr(utils.CursorWrapper, "execute", execute)
    return state


def sign_in(page, base_url: str, email: str, password: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Senha").fill(password)
    page.get_by_role("button", name="Entrar").click()
    page.wait_for_url(lambda url: "/accounts/login" not in url)
