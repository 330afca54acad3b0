"""The browser test bed's parts: where Chromium and vnu are, the running site, its demo records."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from nko_openness.models import Organization, Project, Service
from nko_openness.web.accessibility import COOKIE_NAME

from .pages import LOGINS, MODES, PageType

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
    # One login per user a session: its cookies are reused by every page behind that login.
    logins: dict[str, dict[str, str]] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return self.base_url + path

    def path_of(self, page: PageType) -> str:
        return page.path(self)

    def has_endpoint(self, endpoint: str) -> bool:
        return endpoint in self.app.view_functions

    def cookies_for(self, page: PageType, mode: str) -> dict[str, str]:
        cookies = {}
        if page.login:
            if page.login not in self.logins:
                self.logins[page.login] = LOGINS[page.login](self)
            cookies.update(self.logins[page.login])
        if MODES[mode]:
            cookies[COOKIE_NAME] = MODES[mode]
        return cookies

    def client(self, page: PageType, mode: str):
        """A Flask test client carrying the page's login and the mode's settings."""
        client = self.app.test_client()
        for name, value in self.cookies_for(page, mode).items():
            client.set_cookie(name, value)
        return client


def require_page(site: Site, page: PageType, check: str | None = None) -> None:
    if page.needs_endpoint and not site.has_endpoint(page.needs_endpoint):
        pytest.skip(f"{page.name}: {page.needs_endpoint} is not built yet")
    if page.login and page.login not in LOGINS:
        pytest.skip(f"{page.name}: no login step {page.login!r} for this site")
    if check and check in page.pending:
        pytest.skip(f"{page.name}: {check} pending, to be fixed by the page's authors (pages.py)")


@contextmanager
def database_for(backend: str, tmp: Path) -> Iterator[str]:
    """An empty database for the site: an SQLite file or a PostgreSQL schema of its own."""
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


def demo_handles(session) -> dict[str, str]:
    """Records that show the most of each page: services with ages, projects with funding."""
    org = session.scalar(select(Organization).where(Organization.slug == "sportiya",
                                                    Organization.live.is_(True)))
    services = [s for s in org.services if s.live]
    projects = [p for p in org.projects if p.live]
    service = next((s for s in services if s.categories and s.minimum_age is not None),
                   services[0])
    project = next((p for p in projects if p.fundings and p.results), projects[0])
    assert isinstance(service, Service) and isinstance(project, Project)
    draft = session.scalar(select(Organization).where(Organization.live.is_(False))
                           .order_by(Organization.id))
    return {"org": org.slug, "service": str(service.uuid), "project": str(project.uuid),
            "draft_org": str(draft.uuid) if draft else ""}


def java_and_vnu() -> str:
    """The vnu command prefix, or a skip that says what is missing."""
    java = shutil.which("java")
    if not java:
        pytest.skip("java not found: the Nu HTML Checker needs Java 17 (make browser-deps)")
    if not VNU_JAR.exists():
        pytest.skip(f"Nu HTML Checker not found at {VNU_JAR}: run `make browser-deps`")
    return java
