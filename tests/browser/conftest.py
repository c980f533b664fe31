"""Browser fixtures: the app served on a free local port, and Debian's Chromium driven by Playwright.

Without Chromium the browser tests skip with a printed reason; with LMS_REQUIRE_BROWSER=1 (CI) they fail.
"""
from __future__ import annotations

import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server

from lms import create_app
from tests.conftest import wipe, with_signing_key

CHROMIUM = os.environ.get("LMS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _require_browser():
    if os.path.exists(CHROMIUM) or shutil.which("chromium"):
        return
    reason = f"Chromium not found at {CHROMIUM}: install it with `apt-get install -y chromium` to run browser tests"
    if os.environ.get("LMS_REQUIRE_BROWSER") == "1":
        pytest.fail(reason)
    print(f"\nSKIPPING browser test: {reason}")
    pytest.skip(reason)


@pytest.fixture
def live_server(app_config):
    """Serve a fresh app (CSRF on, as in production) in a thread; yields its base URL."""
    app = with_signing_key(create_app({**app_config, "WTF_CSRF_ENABLED": True, "TESTING": False}))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", app
    finally:
        server.shutdown()
        engine = app.extensions["lms_db"].engine
        wipe(engine)
        engine.dispose()


@pytest.fixture
def browser():
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture
def phone_page(browser):
    """A page the size of a cheap phone (360 px wide)."""
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def assert_accessible(page):
    """Run axe-core (bundled with axe-playwright-python, injected locally) and fail on WCAG A/AA violations."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}})
    violations = results.response["violations"]
    assert violations == [], results.generate_report()


def log_in(page, base: str, login: str, password: str) -> None:
    """Sign in through the Vietnamese login form and land on the dashboard."""
    page.goto(f"{base}/login")
    page.get_by_label("Email hoặc số điện thoại").fill(login)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").last.click()
    page.wait_for_url(f"{base}/dashboard")
