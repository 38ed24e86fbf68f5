"""Shared by the browser tests: Debian's Chromium driven by Playwright (headless, no sandbox)."""
import os
import threading

import pytest
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
BROWSER_MARKS = [pytest.mark.browser,
                 pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian chromium not installed "
                                    "(make system-deps installs it)")]
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def serve(app):
    """Serve ``app`` on a free local port in a thread; returns the server (``server.server_port``)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="session")
def browser():
    """One Chromium per test session (per xdist worker); each test opens its own context."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser
        browser.close()
