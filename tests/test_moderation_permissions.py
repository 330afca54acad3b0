"""The moderator half of the permission matrix: every moderation route × method × role."""

from __future__ import annotations

import re

import pytest
from factories import make_org, make_service
from flask_login import LoginManager
from test_moderation import FakeUser, LoggedIn, edit_draft, submit, text

from nko_openness.models import Status
from nko_openness.publishing.permissions import grant_editor

ROLES = {
    "anonymous": None,
    "editor_a": FakeUser("editor-a"),
    "editor_b": FakeUser("editor-b"),
    "moderator": FakeUser("moderator-1", "moderator"),
    "admin": FakeUser("admin-1", "admin"),
}
STAFF = {"moderator", "admin"}


@pytest.fixture
def login(app):
    plugin = LoggedIn()
    pm = app.extensions["nko_openness"].pm
    pm.register(plugin)
    yield plugin
    pm.unregister(plugin)


@pytest.fixture
def world(session):
    """Organization A (published, with a submitted change and a submitted new service), B."""
    org_a = make_org(session, name="НКО А")
    org_b = make_org(session, name="НКО Б")
    grant_editor(session, "editor-a", org_a)
    grant_editor(session, "editor-b", org_b)
    session.commit()
    edit_draft(session, org_a, author="editor-a", address="ул. Новая, 1")
    submit(session, org_a, author="editor-a")
    service = make_service(session, org_a, name="Новая услуга", publish=False)
    submit(session, service, author="editor-a")
    return {"org_a": org_a, "org_b": org_b, "service": service}


def routes(world):
    org, service = world["org_a"], world["service"]
    org_url = f"/nko/moderation/organizations/{org.uuid}"
    service_url = f"/nko/moderation/services/{service.uuid}"
    return [
        ("GET", "/nko/moderation/", None),
        ("GET", "/nko/moderation/organizations/", None),
        ("GET", org_url, None),
        ("GET", service_url, None),
        ("POST", org_url + "/approve", {"approve-reviewed_version": str(org.version)}),
        ("POST", service_url + "/return", {"return-reviewed_version": str(service.version),
                                           "return-comment": "Уточните расписание"}),
        ("POST", org_url + "/unpublish", {"unpublish-comment": "Проверка жалобы"}),
        ("POST", org_url + "/archive", {"archive-comment": "Ликвидирована"}),
    ]


@pytest.mark.parametrize("role", list(ROLES))
def test_matrix(role, world, client, login, session):
    login.user = ROLES[role]
    for method, url, data in routes(world):
        response = client.open(url, method=method, data=data)
        if role == "anonymous":
            expected = {401}
        elif role in STAFF:
            expected = {200} if method == "GET" else {302}
        else:
            expected = {403}
        assert response.status_code in expected, (role, method, url, response.status_code)
        if role in ("editor_a", "editor_b"):
            assert "Новая услуга" not in text(response)
    session.expire_all()
    if role in STAFF:
        assert world["org_a"].status == Status.ARCHIVED
        assert world["service"].status == Status.RETURNED
    else:  # nothing changed
        assert world["org_a"].status == Status.SUBMITTED and world["org_a"].live
        assert world["service"].status == Status.SUBMITTED


def test_anonymous_is_sent_to_the_hosts_login_page(app, world, login):
    manager = LoginManager(app)
    manager.user_loader(lambda _id: None)
    manager.login_view = "login"
    app.add_url_rule("/login", "login", lambda: "login page")
    client = app.test_client()
    for method, url, data in routes(world):
        response = client.open(url, method=method, data=data)
        assert response.status_code == 302, url
        assert response.location.startswith("/login?next=")
    assert world["org_a"].status == Status.SUBMITTED


def test_denied_page_is_russian(world, client, login):
    login.user = ROLES["editor_a"]
    page = text(client.get("/nko/moderation/"))
    assert "Раздел модерации доступен только модераторам" in page


def test_a_moderator_cannot_approve_their_own_submission(world, client, login, session):
    # A moderator who is also an editor of A edits and submits A's service...
    both = FakeUser("editor-moderator", "moderator")
    grant_editor(session, both.get_id(), world["org_a"])
    session.commit()
    service = world["service"]
    edit_draft(session, service, author=both.get_id(), name="Услуга модератора")
    session.expire_all()
    login.user = both
    url = f"/nko/moderation/services/{service.uuid}"
    page = text(client.get(url))
    assert "решение по ней принимает другой модератор" in page
    assert "Опубликовать</button>" not in page
    for action, data in (("approve", {"approve-reviewed_version": str(service.version)}),
                         ("return", {"return-reviewed_version": str(service.version),
                                     "return-comment": "сам себе"})):
        response = client.post(f"{url}/{action}", data=data)
        assert response.status_code == 403
        assert "сами редактировали или отправили" in text(response)
    session.expire_all()
    assert service.status == Status.SUBMITTED and not service.live
    # ...and another moderator can.
    login.user = ROLES["moderator"]
    response = client.post(f"{url}/approve",
                           data={"approve-reviewed_version": str(service.version)})
    assert response.status_code == 302
    session.expire_all()
    assert service.live and service.name == "Услуга модератора"


def test_the_submitter_alone_is_enough_to_block_approval(world, client, login, session):
    org = make_org(session, name="НКО В", publish=False)
    submit(session, org, author="admin-1")  # the admin submitted a record someone else wrote
    login.user = ROLES["admin"]
    response = client.post(f"/nko/moderation/organizations/{org.uuid}/approve",
                           data={"approve-reviewed_version": str(org.version)})
    assert response.status_code == 403


def test_forged_fields_are_ignored(world, client, login, session):
    login.user = ROLES["moderator"]
    org = world["org_a"]
    response = client.post(f"/nko/moderation/organizations/{org.uuid}/return", data={
        "return-reviewed_version": str(org.version), "return-comment": "Исправьте адрес",
        "status": "published", "live": "1", "organization_id": str(world["org_b"].id),
        "user_id": "editor-a",
    })
    assert response.status_code == 302
    session.expire_all()
    assert org.status == Status.RETURNED and org.address is None
    from nko_openness.moderation.review import history

    assert history(session, org)[0].user_id == "moderator-1"


def test_decisions_need_the_csrf_token(app, world, client, login, session):
    # The real setting (conftest turns it off for the other tests); forms read it per request.
    app.config["WTF_CSRF_ENABLED"] = True
    login.user = ROLES["moderator"]
    org = world["org_a"]
    url = f"/nko/moderation/organizations/{org.uuid}"
    response = client.post(url + "/approve", data={"approve-reviewed_version": str(org.version)})
    assert response.status_code == 400 and "Обновите страницу и повторите" in text(response)
    session.expire_all()
    assert org.status == Status.SUBMITTED
    page = text(client.get(url))
    form = page[page.index('action="' + url + '/approve"'):]
    token = re.search(r'name="approve-csrf_token" type="hidden" value="([^"]+)"', form)
    response = client.post(url + "/approve", data={
        "approve-reviewed_version": str(org.version), "approve-csrf_token": token.group(1)})
    assert response.status_code == 302
    session.expire_all()
    assert org.status == Status.PUBLISHED and org.address == "ул. Новая, 1"
