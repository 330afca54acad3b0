"""The example site's real login (Flask-Login, hashed passwords, rate limit) and editor story."""

from __future__ import annotations

import io
import json
import re

import pdf_support as pdfs
import pytest
from sqlalchemy import select

from examples.host_site.app import create_app
from nko_openness.devdata.demo import load_demo
from nko_openness.migrate import upgrade
from nko_openness.models import Membership, Organization, Project, Service, Status
from nko_openness.publishing import documents
from nko_openness.publishing.workflow import approve


@pytest.fixture
def site(database_url, tmp_path):
    app = create_app({
        "TESTING": True,
        "NKO_DATABASE_URL": database_url,
        "NKO_UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "HOST_USERS_FILE": str(tmp_path / "users.json"),
        "NOTIFY_OUTBOX": str(tmp_path / "outbox"),
    })
    upgrade(app, "head")
    with app.app_context():
        load_demo(app.extensions["nko_openness"].db.session, app)
    result = app.test_cli_runner().invoke(args=["demo-accounts"])
    assert result.exit_code == 0, result.output
    app.demo_accounts_output = result.output
    yield app
    app.extensions["nko_openness"].db.engine.dispose()


class Browser:
    """A test client that fills forms like a person: CSRF token from the page it is on."""

    def __init__(self, app):
        self.client = app.test_client()

    def get(self, url, **kwargs):
        return self.client.get(url, **kwargs)

    def token(self, url) -> str:
        page = self.client.get(url).get_data(as_text=True)
        match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
        assert match, f"no CSRF token on {url}"
        return match.group(1)

    def post(self, url, data, page=None, **kwargs):
        return self.client.post(url, data={"csrf_token": self.token(page or url), **data},
                                **kwargs)

    def login(self, username, password):
        return self.post("/login", {"username": username, "password": password})


def test_demo_accounts_are_printed_with_hashed_passwords_and_memberships(site, tmp_path):
    output = site.demo_accounts_output
    for line in ("editor / editor-demo-2023", "moderator / moderator-demo-2023",
                 "admin / admin-demo-2023", "СПОРТиЯ", "Добро рядом"):
        assert line in output
    stored = (tmp_path / "users.json").read_text(encoding="utf-8")
    assert "editor-demo-2023" not in stored
    users = json.loads(stored)
    assert all(u["password_hash"].startswith(("scrypt:", "pbkdf2:")) for u in users.values())
    with site.app_context():
        session = site.extensions["nko_openness"].db.session
        slugs = session.scalars(select(Organization.slug).join(Membership)).all()
    assert sorted(slugs) == ["dobro-ryadom", "sportiya"]


def test_cabinet_sends_visitors_to_the_login_page_and_back(site):
    browser = Browser(site)
    response = browser.get("/nko/cabinet/sportiya/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    response = browser.post("/login?next=/nko/cabinet/sportiya/",
                            {"username": "editor", "password": "editor-demo-2023"},
                            page="/login")
    assert response.status_code == 302
    assert response.headers["Location"] == "/nko/cabinet/sportiya/"
    assert "СПОРТиЯ" in browser.get("/nko/cabinet/sportiya/").get_data(as_text=True)


def test_login_never_redirects_off_site(site):
    browser = Browser(site)
    response = browser.post("/login?next=//evil.example/x",
                            {"username": "editor", "password": "editor-demo-2023"},
                            page="/login")
    assert response.headers["Location"] == "/nko/cabinet/"


def test_wrong_password_is_refused_in_russian(site):
    response = Browser(site).login("editor", "wrong")
    assert response.status_code == 422
    assert "Неверное имя пользователя или пароль." in response.get_data(as_text=True)


def test_login_is_rate_limited_per_address(site):
    site.config["HOST_LOGIN_MAX_FAILURES"] = 3
    browser = Browser(site)
    for _ in range(3):
        assert browser.login("editor", "wrong").status_code == 422
    blocked = browser.login("editor", "editor-demo-2023")
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    assert "Слишком много неудачных попыток" in blocked.get_data(as_text=True)
    # Another address is not affected.
    other = Browser(site)
    other.client.environ_base["REMOTE_ADDR"] = "10.0.0.2"
    assert other.login("editor", "editor-demo-2023").status_code == 302


def test_login_form_needs_its_csrf_token(site):
    client = site.test_client()
    response = client.post("/login", data={"username": "editor",
                                           "password": "editor-demo-2023"})
    assert response.status_code == 400
    assert client.get("/nko/cabinet/").status_code == 302  # still not logged in


def test_logout_is_a_post_with_a_token(site):
    browser = Browser(site)
    browser.login("admin", "admin-demo-2023")
    assert browser.get("/nko/cabinet/").status_code == 200
    assert browser.client.post("/logout").status_code == 400
    assert browser.post("/logout", {}, page="/").status_code == 302
    assert browser.get("/nko/cabinet/").status_code == 302


def test_the_editor_story_on_the_example_site(site):
    """СПОРТиЯ: profile, a service, a project with results and funding, a report, submit;
    the public page changes only when a moderator approves."""
    browser = Browser(site)
    assert browser.login("editor", "editor-demo-2023").status_code == 302
    home = browser.get("/nko/cabinet/").get_data(as_text=True)
    assert "СПОРТиЯ" in home and "Добро рядом" in home and "Тёплый дом" not in home
    assert browser.get("/nko/cabinet/teplyi-dom/").status_code == 404

    with site.app_context():
        session = site.extensions["nko_openness"].db.session
        org = session.scalar(select(Organization).where(Organization.slug == "sportiya"))
        version, inn, ogrn, legal_form = org.version, org.inn, org.ogrn, org.legal_form
        activities = list(org.activities)
    response = browser.post("/nko/cabinet/sportiya/profile", {
        "version": str(version), "name": "Амурская региональная спортивная общественная "
        "организация «СПОРТиЯ»", "legal_form": legal_form, "inn": inn, "ogrn": ogrn,
        "activities": activities, "mission": "Спорт доступен каждому жителю Белогорска.",
    })
    assert response.status_code == 302
    assert browser.post("/nko/cabinet/sportiya/services/new", {
        "version": "0", "name": "Секция адаптивного спорта", "service_status": "active",
        "is_free": "y", "categories": ["disabled"]}).status_code == 302
    assert browser.post("/nko/cabinet/sportiya/projects/new", {
        "version": "0", "name": "Двор без границ", "project_status": "active",
        "results-0-indicator": "Участники", "results-0-planned": "200",
        "results-0-achieved": "215", "fundings-0-funder": "Администрация г. Белогорск",
        "fundings-0-amount": "350000"}).status_code == 302
    assert browser.post("/nko/cabinet/sportiya/documents", {
        "title": "Годовой отчёт 2023", "kind": "annual_report", "year": "2023",
        "file": (io.BytesIO(pdfs.clean_pdf()), "Годовой отчёт 2023.pdf")},
        content_type="multipart/form-data").status_code == 302

    dashboard = browser.get("/nko/cabinet/sportiya/").get_data(as_text=True)
    items = re.findall(r'name="item" id="[^"]+" value="([^"]+)"', dashboard)
    assert len(items) == 3  # profile (with the new report), service, project
    assert browser.post("/nko/cabinet/sportiya/submit", {"item": items},
                        page="/nko/cabinet/sportiya/").status_code == 302

    public = site.test_client()
    page = public.get("/nko/organizations/sportiya").get_data(as_text=True)
    assert "Секция адаптивного спорта" not in page and "Годовой отчёт 2023" not in page
    assert "Спорт доступен каждому жителю" not in page

    with site.app_context():
        session = site.extensions["nko_openness"].db.session
        records = [session.scalar(select(Organization).where(Organization.slug == "sportiya")),
                   session.scalar(select(Service).where(Service.name ==
                                                        "Секция адаптивного спорта")),
                   session.scalar(select(Project).where(Project.name == "Двор без границ"))]
        assert all(r.status == Status.SUBMITTED for r in records)
        for record in records:
            approve(session, record, "moderator-demo", reviewed_version=record.version)
        documents.publish_pending(session, records[0])
        session.commit()

    page = public.get("/nko/organizations/sportiya").get_data(as_text=True)
    assert "Секция адаптивного спорта" in page and "Двор без границ" in page
    assert "Годовой отчёт 2023" in page and "Спорт доступен каждому жителю" in page


def test_the_host_layout_offers_login_and_the_cabinet(site):
    browser = Browser(site)
    assert "Вход для НКО" in browser.get("/").get_data(as_text=True)
    browser.login("moderator", "moderator-demo-2023")
    home = browser.get("/").get_data(as_text=True)
    assert "Кабинет НКО" in home and "Модерация" in home and "Выйти" in home

