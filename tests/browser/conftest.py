"""Browser test bed: the example site with demo data served from a thread, one Chromium a session.

Debian's Chromium is driven by Playwright (never ``playwright install``); ``make browser-deps``
installs it and the Nu HTML Checker on a fresh machine. Without them the tests skip and say so.
"""

from __future__ import annotations

import os
import shutil
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask
from pages import LOGINS, MODES, PAGES_BY_NAME, PageType
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

from nko_openness import migrate
from nko_openness.models import Organization, Project, Service
from nko_openness.services.demo import load_demo
from nko_openness.views.accessibility import COOKIE_NAME

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("NKO_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
VNU_JAR = Path(os.environ.get(
    "NKO_VNU_JAR", ROOT / ".cache/vnu/node_modules/vnu-jar/build/dist/vnu.jar"))
PG_URL = os.environ.get("NKO_TEST_DATABASE_URL")


@dataclass
class Site:
    """The running example site: its app (for test clients), address and demo records."""

    app: Flask
    base_url: str
    backend: str
    handles: dict[str, str] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return self.base_url + path

    def path_of(self, page: PageType) -> str:
        return page.path(self)

    def has_endpoint(self, endpoint: str) -> bool:
        return endpoint in self.app.view_functions

    def cookies_for(self, page: PageType, mode: str) -> dict[str, str]:
        cookies = dict(LOGINS[page.login](self)) if page.login else {}
        if MODES[mode]:
            cookies[COOKIE_NAME] = MODES[mode]
        return cookies

    def client(self, page: PageType, mode: str):
        """A Flask test client carrying the page's login and the mode's settings."""
        client = self.app.test_client()
        for name, value in self.cookies_for(page, mode).items():
            client.set_cookie(name, value)
        return client


def require_page(site: Site, page: PageType) -> None:
    if page.needs_endpoint and not site.has_endpoint(page.needs_endpoint):
        pytest.skip(f"{page.name}: {page.needs_endpoint} is not built yet")


@contextmanager
def _database(backend: str, tmp: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp / 'browser.sqlite3'}"
        return
    schema = f"nko_browser_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _demo_handles(session) -> dict[str, str]:
    """Records that show the most of each page: services with ages, projects with funding."""
    org = session.scalar(select(Organization).where(Organization.slug == "sportiya",
                                                    Organization.live.is_(True)))
    services = [s for s in org.services if s.live]
    projects = [p for p in org.projects if p.live]
    service = next((s for s in services if s.categories and s.minimum_age is not None),
                   services[0])
    project = next((p for p in projects if p.fundings and p.results), projects[0])
    assert isinstance(service, Service) and isinstance(project, Project)
    return {"org": org.slug, "service": str(service.uuid), "project": str(project.uuid)}


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def site(request, tmp_path_factory) -> Iterator[Site]:
    backend = request.param
    if backend == "postgresql" and not PG_URL:
        pytest.skip("PostgreSQL not configured: set NKO_TEST_DATABASE_URL (make test does)")
    from examples.host_site.app import create_app

    tmp = tmp_path_factory.mktemp(f"site-{backend}")
    with _database(backend, tmp) as url:
        app = create_app({
            "TESTING": True, "SECRET_KEY": "browser-tests", "NKO_DATABASE_URL": url,
            "NKO_UPLOAD_FOLDER": str(tmp / "uploads"),
        })
        migrate.upgrade(app, "head")
        with app.app_context():
            session = app.extensions["nko_openness"].db.session
            load_demo(session, app)
            handles = _demo_handles(session)
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


def java_and_vnu() -> str:
    """The vnu command prefix, or a skip that says what is missing."""
    java = shutil.which("java")
    if not java:
        pytest.skip("java not found: the Nu HTML Checker needs Java 17 (make browser-deps)")
    if not VNU_JAR.exists():
        pytest.skip(f"Nu HTML Checker not found at {VNU_JAR}: run `make browser-deps`")
    return java
