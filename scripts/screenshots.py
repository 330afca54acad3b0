"""Screenshots of the example site with the Belogorsk demo data for the README and docs/img/.

The site runs from a temporary SQLite file on a thread; Debian's Chromium (``/usr/bin/chromium``,
or ``NKO_CHROMIUM``) is driven by Playwright, never a browser Playwright downloads. The editor
and the moderator use the demo accounts of ``flask demo-accounts``. Run ``make screenshots``.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy import select
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from examples.host_site.app import create_app  # noqa: E402
from nko_openness import migrate  # noqa: E402
from nko_openness.devdata.demo import load_demo  # noqa: E402
from nko_openness.models import Organization  # noqa: E402
from nko_openness.web.accessibility import COOKIE_NAME, cookie_value  # noqa: E402

CHROMIUM = os.environ.get("NKO_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--hide-scrollbars"]
VIEWPORT = {"width": 1200, "height": 900}
# The page box from one element's top to another's bottom, across the main column.
SPAN = """([first, last]) => {
  const main = document.querySelector('main').getBoundingClientRect();
  const top = document.querySelector(first).getBoundingClientRect().top + scrollY - 16;
  const bottom = document.querySelector(last).getBoundingClientRect().bottom + scrollY + 16;
  return {x: main.left, y: top, width: Math.min(main.width, 1000), height: bottom - top};
}"""
EDITOR = ("editor", "editor-demo-2023")
MODERATOR = ("moderator", "moderator-demo-2023")
MISSION = ("Спорт доступен каждому жителю Белогорска — от дошкольника до пенсионера. "
           "Мы привлекаем к физкультуре тех, кто раньше не занимался.")
PHONE = "+7 (41641) 9-30-40"


def build_app(tmp: Path):
    """The example site on an empty SQLite file with the demo data and the demo accounts."""
    app = create_app({
        "SECRET_KEY": "screenshots", "NKO_DATABASE_URL": f"sqlite:///{tmp / 'demo.sqlite3'}",
        "NKO_UPLOAD_FOLDER": str(tmp / "uploads"), "HOST_USERS_FILE": str(tmp / "users.json"),
        "NOTIFY_OUTBOX": str(tmp / "outbox"),
    })
    migrate.upgrade(app, "head")
    with app.app_context():
        load_demo(app.extensions["nko_openness"].db.session, app)
    result = app.test_cli_runner().invoke(args=["demo-accounts"])
    if result.exit_code != 0:
        raise SystemExit(result.output)
    return app


def showcase_project(app) -> str:
    """The СПОРТиЯ project that has both results and funding rows."""
    with app.app_context():
        session = app.extensions["nko_openness"].db.session
        org = session.scalar(select(Organization).where(Organization.slug == "sportiya"))
        project = next(p for p in org.projects if p.live and p.results and p.fundings)
        return str(project.uuid)


@contextmanager
def serve(app) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


class Camera:
    """Opens pages in fresh browser contexts and saves what the viewport shows."""

    def __init__(self, browser: Browser, base_url: str, out: Path):
        self.browser, self.base_url, self.out = browser, base_url, out
        self.saved: list[Path] = []

    def page(self, cookies: dict[str, str] | None = None) -> Page:
        context = self.browser.new_context(viewport=VIEWPORT, locale="ru-RU")
        if cookies:
            context.add_cookies([{"name": k, "value": v, "url": self.base_url + "/"}
                                 for k, v in cookies.items()])
        return context.new_page()

    def open(self, page: Page, path: str, status: int = 200) -> Page:
        response = page.goto(self.base_url + path)
        if response.status != status:
            raise SystemExit(f"{path}: HTTP {response.status}, expected {status}")
        return page

    def logged_in(self, username: str, password: str) -> Page:
        page = self.open(self.page(), "/login")
        page.fill("#username", username)
        page.fill("#password", password)
        with page.expect_navigation():
            page.click("form.login-form [type=submit]")
        return page

    def shoot(self, page: Page, name: str, top: str | None = None) -> None:
        """Save the viewport; with ``top``, scrolled so that element sits near the top."""
        if top:
            page.locator(top).first.evaluate(
                "el => window.scrollTo(0, el.getBoundingClientRect().top + scrollY - 16)")
        path = self.out / f"{name}.png"
        page.screenshot(path=str(path), full_page=False)
        self.saved.append(path)

    def shoot_span(self, page: Page, name: str, first: str, last: str) -> None:
        """Save the main column from ``first`` down to the end of ``last`` (a long page)."""
        box = page.evaluate(SPAN, [first, last])
        path = self.out / f"{name}.png"
        page.screenshot(path=str(path), full_page=True, clip=box)
        self.saved.append(path)


def public_pages(camera: Camera, project: str) -> None:
    camera.shoot(camera.open(camera.page(), "/nko/"), "catalog")
    camera.shoot(camera.open(camera.page(), "/nko/organizations/sportiya"), "organization")
    camera.shoot(camera.open(camera.page(), "/nko/search?q=пожилым"), "search")
    camera.shoot(camera.open(camera.page(), "/nko/categories/"), "categories")
    camera.shoot_span(camera.open(camera.page(), f"/nko/projects/{project}"), "project",
                      ".nko-breadcrumbs", "section[aria-labelledby=nko-funding]")
    look = {COOKIE_NAME: cookie_value(size="large", scheme="wb")}
    camera.shoot(camera.open(camera.page(look), "/nko/organizations/sportiya"),
                 "visually-impaired")


def save_form(page: Page) -> None:
    with page.expect_navigation():
        page.click("#save")


def editor_pages(camera: Camera) -> Page:
    """Two editors' windows on one profile: a conflict; then drafts, a form error, the dashboard."""
    first, second = camera.logged_in(*EDITOR), camera.logged_in(*EDITOR)
    for page in (first, second):
        camera.open(page, "/nko/cabinet/sportiya/profile")
    first.fill("#phone", PHONE)
    save_form(first)
    second.fill("#mission", MISSION)
    save_form(second)
    camera.shoot(second, "cabinet-conflict", top="h1")
    # The second editor keeps the phone the first one saved, and saves knowingly.
    second.fill("#phone", PHONE)
    save_form(second)

    editor = first
    camera.open(editor, "/nko/cabinet/sportiya/services/new")
    editor.fill("#name", "Секция адаптивного спорта для взрослых")
    editor.check("input[name=categories][value=disabled]")
    editor.check("#is_free")
    save_form(editor)

    camera.open(editor, "/nko/cabinet/sportiya/projects/new")
    editor.fill("#name", "Двор без границ")
    editor.fill("#results-0-indicator", "Участники фестивалей")
    editor.fill("#results-0-unit", "человек")
    editor.fill("#results-0-planned", "двести")
    editor.fill("#results-0-achieved", "215")
    with editor.expect_navigation():
        editor.click("#save")
    camera.shoot(editor, "cabinet-form-error", top="fieldset:has(#results-caption)")

    camera.open(editor, "/nko/cabinet/sportiya/")
    camera.shoot(editor, "cabinet-dashboard")
    camera.shoot(editor, "cabinet-openness", top="#nko-openness-heading")

    # A second organization in the queue: «Добро рядом» updates its e-mail.
    camera.open(editor, "/nko/cabinet/dobro-ryadom/profile")
    editor.fill("#email", "info@dobro-ryadom.example.ru")
    save_form(editor)
    for slug in ("dobro-ryadom", "sportiya"):
        camera.open(editor, f"/nko/cabinet/{slug}/")
        with editor.expect_navigation():
            editor.click(".nko-submit button[type=submit]")
    return editor


def moderation_pages(camera: Camera) -> None:
    moderator = camera.logged_in(*MODERATOR)
    camera.open(moderator, "/nko/moderation/")
    camera.shoot(moderator, "moderation-queue")
    group = moderator.locator("section.nko-queue-group", has_text="СПОРТиЯ")
    with moderator.expect_navigation():
        group.locator("tr", has_text="Организация").locator("a").first.click()
    camera.shoot(moderator, "moderation-review", top="h1")
    camera.shoot(moderator, "moderation-decisions", top="#nko-decisions")


def openness_badge(camera: Camera, app) -> None:
    # The badge is off by default (NKO_SHOW_OPENNESS_BADGE); this app shows it for one picture.
    app.extensions["nko_openness"].config["NKO_SHOW_OPENNESS_BADGE"] = True
    try:
        camera.shoot_span(camera.open(camera.page(), "/nko/organizations/sportiya"),
                          "openness-badge", "h1", ".nko-openness-badge")
    finally:
        app.extensions["nko_openness"].config["NKO_SHOW_OPENNESS_BADGE"] = False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img",
                        help="folder for the PNG files (default: docs/img)")
    args = parser.parse_args(argv)
    if not os.path.exists(CHROMIUM):
        print(f"Chromium not found at {CHROMIUM}: run `make browser-deps`", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    with tempfile.TemporaryDirectory() as tmp:
        app = build_app(Path(tmp))
        project = showcase_project(app)
        with serve(app) as base_url, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            camera = Camera(browser, base_url, args.out)
            public_pages(camera, project)
            openness_badge(camera, app)
            editor_pages(camera)
            moderation_pages(camera)
            browser.close()
        app.extensions["nko_openness"].db.engine.dispose()
    for path in camera.saved:
        print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}"
              f"  {path.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
