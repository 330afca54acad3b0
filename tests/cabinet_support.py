"""Test users for the cabinet: a plugin that reads the user from a header, and role fixtures."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from flask import has_request_context, request

from nko_openness import hookimpl
from nko_openness.publishing.permissions import grant_editor

USER_HEADER = "X-Test-User"


@dataclass
class User:
    id: str
    nko_role: str | None = None
    is_authenticated: bool = True

    def get_id(self) -> str:
        return self.id


USERS = {
    "editor_a": User("editor-a"),
    "editor_b": User("editor-b"),
    "moderator": User("moderator-1", "moderator"),
    "admin": User("admin-1", "admin"),
}
ROLES = ("anonymous", "editor_a", "editor_b", "moderator", "admin")


class HeaderUsers:
    """``nko_current_user`` from a request header: the host's login, reduced to a test."""

    @hookimpl
    def nko_current_user(self, app):
        if not has_request_context():
            return None
        return USERS.get(request.headers.get(USER_HEADER, ""))


@pytest.fixture
def app_config():
    return {"NKO_PLUGINS": [HeaderUsers()]}


def as_user(client, role: str):
    """Make the test client send requests as ``role`` (or anonymously)."""
    if role == "anonymous":
        client.environ_base.pop("HTTP_X_TEST_USER", None)
    else:
        client.environ_base["HTTP_X_TEST_USER"] = role
    return client


def give_orgs(session, org_a, org_b):
    grant_editor(session, USERS["editor_a"].id, org_a)
    grant_editor(session, USERS["editor_b"].id, org_b)
    session.commit()
