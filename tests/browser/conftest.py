"""Browser test bed: the example site with demo data served from a thread, one Chromium a session.

Debian's Chromium is driven by Playwright (never ``playwright install``); ``make browser-deps``
installs it and the Nu HTML Checker on a fresh machine. Without them the tests skip and say so.
This folder is a package (``browser``) so its conftest never shadows ``tests/conftest.py``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

from nko_openness import migrate
from nko_openness.devdata.demo import load_demo
from nko_openness.web.accessibility import COOKIE_NAME

from .pages import MODES, PAGES_BY_NAME
from .support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PG_URL,
    Site,
    database_for,
    demo_handles,
    require_page,
)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def site(request, tmp_path_factory) -> Iterator[Site]:
    backend = request.param
    if backend == "postgresql" and not PG_URL:
        pytest.skip("PostgreSQL not configured: set NKO_TEST_DATABASE_URL (make test does)")
    from examples.host_site.app import create_app

    tmp = tmp_path_factory.mktemp(f"site-{backend}")
    with database_for(backend, tmp) as url:
        app = create_app({
            "TESTING": True, "SECRET_KEY": "browser-tests", "NKO_DATABASE_URL": url,
            "NKO_UPLOAD_FOLDER": str(tmp / "uploads"), "HOST_USERS_FILE": str(tmp / "users.json"),
        })
        migrate.upgrade(app, "head")
        with app.app_context():
            session = app.extensions["nko_openness"].db.session
            load_demo(session, app)
            handles = demo_handles(session)
        if "demo-accounts" in app.cli.commands:
            result = app.test_cli_runner().invoke(args=["demo-accounts"])
            assert result.exit_code == 0, result.output
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield Site(app, f"http://127.0.0.1:{server.server_port}", backend, handles)
        finally:
            server.shutdown()
            thread.join(timeout=10)
            app.extensions["nko_openness"].db.engine.dispose()


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"Chromium not found at {CHROMIUM}: run `make browser-deps`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def open_page(browser, site):
    """open_page(page_type_or_path, mode="normal", width=1280, javascript=True) -> Page."""
    contexts = []

    def _open(target, mode: str = "normal", *, width: int = 1280, height: int = 900,
              javascript: bool = True):
        page_type = PAGES_BY_NAME[target] if target in PAGES_BY_NAME else None
        if page_type:
            require_page(site, page_type)
        context = browser.new_context(viewport={"width": width, "height": height},
                                      java_script_enabled=javascript, locale="ru-RU")
        contexts.append(context)
        cookies = site.cookies_for(page_type, mode) if page_type else (
            {COOKIE_NAME: MODES[mode]} if MODES[mode] else {})
        if cookies:
            context.add_cookies([{"name": k, "value": v, "url": site.base_url + "/"}
                                 for k, v in cookies.items()])
        page = context.new_page()
        response = page.goto(site.url(site.path_of(page_type) if page_type else target))
        if page_type:
            assert response.status == page_type.status, (page_type.name, response.status)
        return page

    yield _open
    for context in contexts:
        context.close()
