"""The example site's e-mail notifications: RFC 5322 files in the outbox, after each commit."""

from __future__ import annotations

from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest
from factories import make_org, make_service
from test_moderation import MODERATOR, FakeUser, LoggedIn, edit_draft, review_url

from examples.host_site import notifications
from nko_openness.models import Status
from nko_openness.publishing.permissions import grant_editor
from nko_openness.publishing.workflow import commit_and_announce, mark_submitted

EMAILS = {"editor-a": "Анна Редактор <anna@sportiya.example>",
          "editor-b": "boris@sportiya.example"}


@pytest.fixture
def app_config(tmp_path):
    return {
        "NKO_PLUGINS": ["examples.host_site.notifications"],
        "NOTIFY_OUTBOX": str(tmp_path / "outbox"),
        "NOTIFY_MODERATOR_EMAILS": ["Отдел по работе с НКО <nko@belogorsk.example>"],
        "NOTIFY_USER_EMAIL": EMAILS.get,
        "NKO_BASE_URL": "https://belogorsk.example/nko",
    }


@pytest.fixture
def login(app):
    plugin = LoggedIn()
    app.extensions["nko_openness"].pm.register(plugin)
    yield plugin
    app.extensions["nko_openness"].pm.unregister(plugin)


@pytest.fixture
def org(session):
    org = make_org(session, name="АРСОО «СПОРТиЯ»", slug="sportiya")
    grant_editor(session, "editor-a", org)
    grant_editor(session, "editor-b", org)
    session.commit()
    return org


def outbox(app) -> list:
    folder = Path(app.config["NOTIFY_OUTBOX"])
    files = sorted(folder.glob("*.eml")) if folder.exists() else []
    return [message_from_bytes(f.read_bytes(), policy=default) for f in files]


def body(message) -> str:
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")


def submit_as_editor(app, session, record):
    outcome = mark_submitted(session, record, "editor-a")
    commit_and_announce(session, app, outcome, user=FakeUser("editor-a"))


def test_submission_mails_the_moderators(app, session, org):
    edit_draft(session, org, author="editor-a", address="ул. Кирова, 5")
    submit_as_editor(app, session, org)
    [message] = outbox(app)
    assert message["To"].addresses[0].addr_spec == "nko@belogorsk.example"
    assert message["To"].addresses[0].display_name == "Отдел по работе с НКО"
    assert message["Subject"] == "На проверку: Организация «АРСОО «СПОРТиЯ»»"
    assert message["From"].addresses[0].domain == "belogorsk.example"
    assert message["Date"].datetime is not None and message["Message-ID"].endswith(
        "@belogorsk.example>")
    assert message["Auto-Submitted"] == "auto-generated"
    assert (f"https://belogorsk.example/nko/moderation/organizations/{org.uuid}"
            in body(message))


def test_the_files_are_plain_rfc5322(app, session, org):
    edit_draft(session, org, author="editor-a", address="ул. Кирова, 5")
    submit_as_editor(app, session, org)
    raw = next(Path(app.config["NOTIFY_OUTBOX"]).glob("*.eml")).read_bytes()
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert raw.isascii()  # non-ASCII goes encoded (RFC 2047 headers, MIME body)
    assert b"\r\nSubject: =?utf-8?" in b"\r\n" + head
    assert b"\nMIME-Version: 1.0" in head and b"Content-Type: text/plain" in head
    assert not list(Path(app.config["NOTIFY_OUTBOX"]).glob("*.part"))


def test_return_mails_each_editor_the_comment(app, session, client, login, org):
    service = make_service(session, org, name="Скандинавская ходьба", publish=False)
    submit_as_editor(app, session, service)
    login.user = MODERATOR
    response = client.post(review_url("services", service) + "/return", data={
        "return-reviewed_version": str(service.version),
        "return-comment": "Укажите расписание занятий.",
    })
    assert response.status_code == 302
    returned = [m for m in outbox(app) if m["Subject"].startswith("Возвращено")]
    assert sorted(m["To"].addresses[0].addr_spec for m in returned) == [
        "anna@sportiya.example", "boris@sportiya.example"]
    assert all(len(m["To"].addresses) == 1 for m in returned)  # one message per person
    message = returned[0]
    assert message["Subject"] == ("Возвращено на доработку: Услуга «Скандинавская ходьба» "
                                  "(АРСОО «СПОРТиЯ»)")
    assert "Укажите расписание занятий." in body(message)


def test_approval_mails_the_editors_with_the_public_link(app, session, client, login, org):
    edit_draft(session, org, author="editor-a", address="ул. Кирова, 5")
    submit_as_editor(app, session, org)
    login.user = MODERATOR
    client.post(review_url("organizations", org) + "/approve", data={
        "approve-reviewed_version": str(org.version), "approve-comment": "Всё верно, спасибо"})
    published = [m for m in outbox(app) if m["Subject"].startswith("Опубликовано")]
    assert len(published) == 2
    text = body(published[0])
    assert "https://belogorsk.example/nko/organizations/sportiya" in text
    assert "Всё верно, спасибо" in text


@pytest.mark.parametrize("action, subject", [("unpublish", "Снято с публикации"),
                                             ("archive", "Перенесено в архив")])
def test_unpublish_and_archive_mail_the_reason(app, session, client, login, org, action,
                                                subject):
    login.user = MODERATOR
    client.post(review_url("organizations", org) + f"/{action}",
                data={f"{action}-comment": "Жалоба жителей проверяется"})
    messages = [m for m in outbox(app) if m["Subject"].startswith(subject)]
    assert len(messages) == 2
    assert "Причина:\nЖалоба жителей проверяется" in body(messages[0])


def test_a_broken_outbox_never_breaks_the_decision(app, session, client, login, org,
                                                    tmp_path, caplog):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    app.config["NOTIFY_OUTBOX"] = str(blocker / "outbox")
    edit_draft(session, org, author="editor-a", address="ул. Кирова, 5")
    submit_as_editor(app, session, org)
    login.user = MODERATOR
    response = client.post(review_url("organizations", org) + "/approve",
                           data={"approve-reviewed_version": str(org.version)})
    assert response.status_code == 302
    session.expire_all()
    assert org.status == Status.PUBLISHED
    assert "could not write the message" in caplog.text


def test_flask_login_users_are_found_through_the_user_loader(app, session, org):
    from flask_login import LoginManager

    class HostUser:
        def __init__(self, user_id):
            self.email = f"{user_id}@users.example"

    app.config.pop("NOTIFY_USER_EMAIL")
    LoginManager(app).user_loader(HostUser)
    assert notifications.editor_addresses(app, org) == ["editor-a@users.example",
                                                        "editor-b@users.example"]


def test_links_without_a_base_url_come_from_the_request(app, session, org):
    app.extensions["nko_openness"].config["NKO_BASE_URL"] = None
    with app.test_request_context("/", base_url="http://site.test"):
        assert notifications.link(app, "nko.show_organization", slug="sportiya") == (
            "http://site.test/nko/organizations/sportiya")
    assert notifications.link(app, "nko.show_organization", slug="x") == "/nko/organizations/x"
    assert notifications.link(app, "no.such_endpoint") is None


def test_the_example_site_enables_the_plugin(tmp_path):
    from examples.host_site.app import create_app

    app = create_app({"TESTING": True, "NKO_DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
    assert app.extensions["nko_openness"].pm.has_plugin("examples.host_site.notifications")
