"""Browser tests: the session's app served on 127.0.0.1 by werkzeug in a thread, driven by Debian's
Chromium (/usr/bin/chromium, never a downloaded browser) through Playwright's sync API.

Every test page fails its test on any console error, uncaught exception, CSP violation or failed
request. Without Chromium the tests are skipped with the reason, except in CI (CI=true), where
that is a failure. A missing front-end bundle (app/web/static/dist/, built by `make run`/`make
test` with npm) is always a failure."""
from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from app.config import ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]
BUNDLE = ROOT / "app" / "web" / "static" / "dist" / "case_diagram.js"
VIEWPORT = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
IN_CI = os.environ.get("CI", "").lower() == "true"

# Reports every CSP violation to the console as an error (Chromium also logs its own message).
_CSP_WATCH = """
document.addEventListener('securitypolicyviolation', (e) => {
  console.error('CSP violation: ' + e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') +
                ' at ' + (e.sourceFile || '') + ':' + (e.lineNumber || 0));
});
"""


def _unavailable(reason: str):
    if IN_CI:
        pytest.fail(f"browser tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def live_server(app, demo):
    """Base URL of the app served in a daemon thread (threaded werkzeug server on a free port)."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser():
    if not BUNDLE.is_file():
        pytest.fail(f"{BUNDLE.relative_to(ROOT)} is missing: run `npm ci && npm run build` "
                    "(make run / make test do it)", pytrace=False)
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        _unavailable(f"{CHROMIUM} is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - the test extras install it
        _unavailable("playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class BrowserLog:
    """What went wrong in the page during one test; `allow(pattern)` accepts an expected message."""

    problems: list[str] = field(default_factory=list)
    # the browser asks for /favicon.ico by itself; that is not the page's request
    allowed: list[re.Pattern] = field(default_factory=lambda: [re.compile(r"/favicon\.ico\b")])

    def add(self, text: str) -> None:
        if not any(p.search(text) for p in self.allowed):
            self.problems.append(text)

    def allow(self, pattern: str) -> None:
        self.allowed.append(re.compile(pattern))
        self.problems = [p for p in self.problems if not re.search(pattern, p)]


def _watch(page, log: BrowserLog) -> None:
    page.on("console", lambda msg: log.add(f"console {msg.type}: {msg.text} ({msg.location.get('url', '')})")
            if msg.type == "error" else None)
    page.on("pageerror", lambda exc: log.add(f"uncaught exception: {exc}"))
    # ERR_ABORTED: the page navigated away while a request was in flight (a blocked resource still
    # reports its own console error)
    page.on("requestfailed", lambda req: log.add(f"request failed: {req.method} {req.url} {req.failure}")
            if "ERR_ABORTED" not in (req.failure or "") else None)
    page.on("response", lambda resp: log.add(f"HTTP {resp.status}: {resp.request.method} {resp.url}")
            if resp.status >= 400 else None)


@pytest.fixture
def browser_log(request) -> BrowserLog:
    log = BrowserLog()
    request.node._browser_log = log
    return log


def _new_page(browser, live_server, browser_log, viewport):
    context = browser.new_context(viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai",
                                  base_url=live_server)
    context.add_init_script(_CSP_WATCH)
    context.set_default_timeout(15_000)
    page = context.new_page()
    _watch(page, browser_log)
    return context, page


@pytest.fixture
def page(browser, live_server, browser_log):
    """A fresh context (no cookies) at 1366×768, zh-CN; relative URLs go to the live server."""
    context, page = _new_page(browser, live_server, browser_log, VIEWPORT)
    yield page
    context.close()


@pytest.fixture
def phone_page(browser, live_server, browser_log):
    """The same at a phone's width (390×844)."""
    context, page = _new_page(browser, live_server, browser_log, PHONE)
    yield page
    context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """A test that passed still fails when its page logged an error or a CSP violation."""
    result = yield
    log = getattr(item, "_browser_log", None)
    if log is not None and log.problems:
        raise AssertionError("the browser reported problems:\n" + "\n".join(log.problems))
    return result


@pytest.fixture
def login(demo):
    """login(page, username, next=None): sign in through the login form with the demo password, then
    land on `next` (a local path) or wherever sign-in leads."""
    from urllib.parse import quote

    def sign_in(page, username: str, next: str | None = None) -> None:
        page.goto("/login" + (f"?next={quote(next)}" if next else ""))
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", demo[username]["password"])
        with page.expect_navigation():
            page.click("form [type=submit]")
        assert "/login" not in page.url, f"signing in as {username} failed"

    return sign_in
