"""The moderator's story on the example site: real login, CSRF on, e-mails in the outbox."""

from __future__ import annotations

import re
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest
from sqlalchemy import select

from examples.host_site.app import create_app
from nko_openness.devdata.demo import load_demo
from nko_openness.migrate import upgrade
from nko_openness.models import Organization, Status


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
    assert app.test_cli_runner().invoke(args=["demo-accounts"]).exit_code == 0
    yield app
    app.extensions["nko_openness"].db.engine.dispose()


class Person:
    """A browser session that posts forms with the CSRF token of the form it fills."""

    def __init__(self, app, username=None, password=None):
        self.client = app.test_client()
        if username:
            token = self.token("/login", "csrf_token")
            response = self.client.post("/login", data={
                "username": username, "password": password, "csrf_token": token})
            assert response.status_code == 302

    def page(self, url) -> str:
        return self.client.get(url).get_data(as_text=True)

    def token(self, url, name) -> str:
        match = re.search(rf'name="{name}" type="hidden" value="([^"]+)"', self.page(url))
        assert match, f"no {name} on {url}"
        return match.group(1)

    def decide(self, url, action, **fields):
        data = {f"{action}-{key}": value for key, value in fields.items()}
        data[f"{action}-csrf_token"] = self.token(url, f"{action}-csrf_token")
        if action in ("approve", "return"):
            version = re.search(rf'name="{action}-reviewed_version" type="hidden" '
                                r'value="(\d+)"', self.page(url))
            data[f"{action}-reviewed_version"] = version.group(1)
        return self.client.post(f"{url}/{action}", data=data)


def submit_profile(site, editor: Person, mission: str):
    with site.app_context():
        session = site.extensions["nko_openness"].db.session
        org = session.scalar(select(Organization).where(Organization.slug == "sportiya"))
        fields = {"version": str(org.version), "name": org.name, "legal_form": org.legal_form,
                  "inn": org.inn, "ogrn": org.ogrn, "activities": list(org.activities),
                  "mission": mission}
    fields["csrf_token"] = editor.token("/nko/cabinet/sportiya/profile", "csrf_token")
    assert editor.client.post("/nko/cabinet/sportiya/profile", data=fields).status_code == 302
    dashboard = editor.page("/nko/cabinet/sportiya/")
    items = re.findall(r'name="item" id="[^"]+" value="([^"]+)"', dashboard)
    token = editor.token("/nko/cabinet/sportiya/", "csrf_token")
    response = editor.client.post("/nko/cabinet/sportiya/submit",
                                  data={"item": items, "csrf_token": token})
    assert response.status_code == 302


def mail(site) -> list:
    files = sorted(Path(site.config["NOTIFY_OUTBOX"]).glob("*.eml"))
    return [message_from_bytes(f.read_bytes(), policy=default) for f in files]


def test_visitors_go_to_login_and_editors_are_refused(site):
    visitor = Person(site)
    response = visitor.client.get("/nko/moderation/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/nko/moderation/"
    editor = Person(site, "editor", "editor-demo-2023")
    assert editor.client.get("/nko/moderation/").status_code == 403


def test_return_then_approve_on_the_example_site(site):
    editor = Person(site, "editor", "editor-demo-2023")
    submit_profile(site, editor, "Спорт доступен каждому жителю.")
    [to_moderators] = mail(site)
    assert to_moderators["To"].addresses[0].addr_spec == "nko@belogorsk.example"

    moderator = Person(site, "moderator", "moderator-demo-2023")
    queue = moderator.page("/nko/moderation/")
    link = re.search(r'href="(/nko/moderation/organizations/[^"]+)">[^<]*СПОРТиЯ', queue)
    url = link.group(1)
    review = moderator.page(url)
    assert "Спорт доступен каждому<ins> жителю</ins>." in review

    response = moderator.decide(url, "return", comment="Добавьте, где проходят занятия.")
    assert response.status_code == 302
    cabinet = editor.page("/nko/cabinet/sportiya/")
    assert "Добавьте, где проходят занятия." in cabinet
    returned = [m for m in mail(site) if m["Subject"].startswith("Возвращено")]
    assert returned[0]["To"].addresses[0].addr_spec == "editor@sportiya.example"

    submit_profile(site, editor, "Спорт доступен каждому жителю. Занятия — в парке «Амурский».")
    assert moderator.decide(url, "approve").status_code == 302
    public = site.test_client().get("/nko/organizations/sportiya").get_data(as_text=True)
    assert "Занятия — в парке «Амурский»." in public
    with site.app_context():
        session = site.extensions["nko_openness"].db.session
        org = session.scalar(select(Organization).where(Organization.slug == "sportiya"))
        assert org.status == Status.PUBLISHED
    assert any(m["Subject"].startswith("Опубликовано") for m in mail(site))
    history = moderator.page(url)
    assert history.count("Отправлено на проверку") >= 2 and "Добавьте, где проходят" in history
    # Who, by name: the host's user loader knows the people behind the ids.
    assert "Модератор раздела (" in history and "Редактор НКО (" in history
