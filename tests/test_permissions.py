"""Who may do what: can() itself, the host's override, and every cabinet route × method × role."""

from __future__ import annotations

import io
import re

import pdf_support as pdfs
import pytest
from cabinet_support import ROLES, USERS, app_config, as_user, give_orgs  # noqa: F401
from factories import make_org, make_project, make_service
from sqlalchemy import func, select

from nko_openness import hookimpl
from nko_openness.models import Document, Project, Revision, Service, Status
from nko_openness.publishing import documents
from nko_openness.publishing.permissions import can, default_permission
from nko_openness.publishing.workflow import mark_submitted

CABINET = "/nko/cabinet"


@pytest.fixture
def world(app, session):
    """Organizations A and B, each with a draft service, project and pending document."""
    result = {}
    for key, slug in (("a", "org-a"), ("b", "org-b")):
        org = make_org(session, name=f"Организация {key.upper()}", slug=slug, publish=False)
        service = make_service(session, org, name=f"Черновик услуги {key.upper()}",
                               publish=False)
        project = make_project(session, org, name=f"Черновик проекта {key.upper()}",
                               publish=False)
        upload = documents.Upload(io.BytesIO(pdfs.clean_pdf()), "Устав.pdf",
                                  f"Устав {key.upper()}", "charter", 2020)
        document = documents.store_document(session, app, org, upload, "test")
        session.commit()
        result[key] = {"org": org, "service": service, "project": project,
                       "document": document}
    give_orgs(session, result["a"]["org"], result["b"]["org"])
    return result


# -- can() ----------------------------------------------------------------------------------

def test_default_rules(app, session, world):
    org_a, org_b = world["a"]["org"], world["b"]["org"]
    service_a = world["a"]["service"]
    editor, moderator, admin = USERS["editor_a"], USERS["moderator"], USERS["admin"]
    with app.test_request_context():
        assert not any(can(None, action, org_a) for action in
                       ("cabinet", "edit", "submit", "moderate", "admin"))
        assert can(editor, "cabinet") and can(editor, "cabinet", org_a)
        assert can(editor, "edit", org_a) and can(editor, "edit", service_a)
        assert can(editor, "submit", service_a)
        assert not can(editor, "cabinet", org_b) and not can(editor, "edit", org_b)
        assert not can(editor, "moderate", org_a) and not can(editor, "admin")
        assert can(moderator, "cabinet", org_b) and can(moderator, "moderate", service_a)
        assert not can(moderator, "edit", org_a) and not can(moderator, "admin")
        assert can(admin, "edit", org_b) and can(admin, "moderate", org_b)
        assert can(admin, "admin")
        with pytest.raises(ValueError):
            can(editor, "delete-everything", org_a)


def test_nobody_approves_their_own_submission(app, session, world):
    org_a = world["a"]["org"]
    admin = USERS["admin"]
    with app.test_request_context():
        assert can(admin, "moderate", org_a)
        # The administrator edits and submits: another moderator must review it.
        mark_submitted(session, org_a, admin.id, org_a.version)
        session.commit()
        assert not can(admin, "moderate", org_a)
        assert can(USERS["moderator"], "moderate", org_a)
        session.add(Revision(entity_type="organization", entity_uuid=org_a.uuid,
                             number=org_a.version + 1, data={}, author_id="moderator-1"))
        org_a.version += 1
        session.commit()
        assert not default_permission(USERS["moderator"], "moderate", org_a)


def test_the_host_hook_decides_first(app, session, world):
    org_a = world["a"]["org"]

    class Host:
        @hookimpl
        def nko_permission(self, app, user, action, obj):
            if getattr(user, "id", None) == "editor-b" and action in ("cabinet", "edit"):
                return True  # the host's own rule: B helps A
            if action == "admin":
                return False  # and nobody administers through the module
            return None

    app.extensions["nko_openness"].pm.register(Host())
    with app.test_request_context():
        assert can(USERS["editor_b"], "edit", org_a)
        assert not can(USERS["admin"], "admin")
        assert can(USERS["editor_a"], "edit", org_a)  # None: the default rules apply


# -- the matrix -----------------------------------------------------------------------------

# What each role gets; "ok" is 200 for GET and 302 (saved, redirected) for POST.
READ = {"anonymous": 401, "editor_a": "ok", "editor_b": 404, "moderator": "ok", "admin": "ok"}
WRITE = {"anonymous": 401, "editor_a": "ok", "editor_b": 404, "moderator": 403, "admin": "ok"}
LIST = {"anonymous": 401, "editor_a": "ok", "editor_b": "ok", "moderator": "ok", "admin": "ok"}
ADMIN = {"anonymous": 401, "editor_a": 403, "editor_b": 403, "moderator": 403, "admin": "ok"}
# A moderator may open a service or project form, read-only.
READ_FORM = {**WRITE, "moderator": "ok"}


def _service_data(world):
    service = world["a"]["service"]
    return {"version": str(service.version), "name": service.name + "!",
            "service_status": "active", "is_free": "y"}


def _project_data(world):
    project = world["a"]["project"]
    return {"version": str(project.version), "name": project.name + "!",
            "project_status": "active"}


def _profile_data(world):
    org = world["a"]["org"]
    return {"version": str(org.version), "name": org.name, "legal_form": org.legal_form,
            "inn": org.inn, "ogrn": org.ogrn, "activities": ["social_support"]}


def _submit_data(world):
    service = world["a"]["service"]
    return {"item": f"service:{service.uuid}:{service.version}"}


def _upload_data(world):
    return {"title": "Отчёт", "kind": "annual_report", "year": "2023",
            "file": (io.BytesIO(pdfs.clean_pdf()), "Отчёт.pdf")}


def _new_org_data(world):
    return {"name": f"Новая {len(world)}", "legal_form": "informal_group",
            "slug": f"new-{len(world)}"}


# (rule, method, url, data builder or None, expectations). Order matters for the roles that
# may write: the document is deleted last.
MATRIX = [
    ("/", "GET", "/", None, LIST),
    ("/new", "GET", "/new", None, ADMIN),
    ("/new", "POST", "/new", _new_org_data, ADMIN),
    ("/<slug>/", "GET", "/org-a/", None, READ),
    ("/<slug>/profile", "GET", "/org-a/profile", None, WRITE),
    ("/<slug>/profile", "POST", "/org-a/profile", _profile_data, WRITE),
    ("/<slug>/preview", "GET", "/org-a/preview", None, READ),
    ("/<slug>/<any(services, projects):kind>/new", "GET", "/org-a/services/new", None, WRITE),
    ("/<slug>/<any(services, projects):kind>/new", "POST", "/org-a/projects/new",
     lambda w: {"version": "0", "name": "Новый проект", "project_status": "active"}, WRITE),
    ("/<slug>/<any(services, projects):kind>/<public_id>", "GET",
     "/org-a/services/{service}", None, READ_FORM),
    ("/<slug>/<any(services, projects):kind>/<public_id>", "POST",
     "/org-a/services/{service}", _service_data, WRITE),
    ("/<slug>/<any(services, projects):kind>/<public_id>", "POST",
     "/org-a/projects/{project}", _project_data, WRITE),
    ("/<slug>/<any(services, projects):kind>/<public_id>/preview", "GET",
     "/org-a/projects/{project}/preview", None, READ),
    ("/<slug>/documents", "GET", "/org-a/documents", None, READ),
    ("/<slug>/documents", "POST", "/org-a/documents", _upload_data, WRITE),
    ("/<slug>/documents/<public_id>", "GET", "/org-a/documents/{document}", None, READ),
    ("/<slug>/submit", "POST", "/org-a/submit", _submit_data, WRITE),
    ("/<slug>/documents/<public_id>/delete", "POST", "/org-a/documents/{document}/delete",
     lambda w: {}, WRITE),
]


def test_the_matrix_covers_every_cabinet_route(app):
    routes = {
        (rule.rule.removeprefix(CABINET), method)
        for rule in app.url_map.iter_rules() if rule.endpoint.startswith("nko_cabinet.")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routes == {(rule, method) for rule, method, *_ in MATRIX}


def _state(session, world):
    """Everything of organization A a request could change."""
    org = world["a"]["org"]
    session.expire_all()
    return (
        org.version, org.status, org.name,
        [(s.version, s.status, s.name) for s in session.scalars(
            select(Service).where(Service.organization_id == org.id).order_by(Service.id))],
        [(p.version, p.status, p.name) for p in session.scalars(
            select(Project).where(Project.organization_id == org.id).order_by(Project.id))],
        session.scalar(select(func.count()).select_from(Document)),
    )


@pytest.mark.parametrize("role", ROLES)
def test_every_route_method_and_role(session, client, world, role):
    as_user(client, role)
    ids = {k: world["a"][k].uuid for k in ("service", "project", "document")}
    before = _state(session, world)
    wrong = []
    for rule, method, url, build, expected in MATRIX:
        want = expected[role]
        if want == "ok":
            want = 200 if method == "GET" else 302
        full = CABINET + url.format(**ids)
        if method == "GET":
            response = client.get(full)
        else:
            response = client.post(full, data=build(world), content_type="multipart/form-data")
        if response.status_code != want:
            wrong.append(f"{method} {rule} as {role}: {response.status_code}, expected {want}")
        if role == "editor_b":
            # Nothing of A's drafts reaches B, whatever the status code.
            page = response.get_data(as_text=True)
            assert "Черновик услуги A" not in page and "Черновик проекта A" not in page
    assert wrong == []
    if role in ("anonymous", "editor_b", "moderator"):
        assert _state(session, world) == before, f"{role} changed organization A"


@pytest.mark.parametrize("url, method", [
    ("/org-b/services/{service}", "GET"),
    ("/org-b/services/{service}", "POST"),
    ("/org-b/projects/{project}", "GET"),
    ("/org-b/projects/{project}/preview", "GET"),
    ("/org-b/documents/{document}", "GET"),
    ("/org-b/documents/{document}/delete", "POST"),
])
def test_urls_cannot_cross_organizations(session, client, world, url, method):
    """Editor B puts A's record ids under B's own organization: still 404."""
    ids = {k: world["a"][k].uuid for k in ("service", "project", "document")}
    as_user(client, "editor_b")
    full = CABINET + url.format(**ids)
    before = _state(session, world)
    response = client.get(full) if method == "GET" else client.post(
        full, data={"version": "1", "name": "Захват", "service_status": "active"})
    assert response.status_code == 404
    assert _state(session, world) == before


def test_submit_cannot_reach_another_organizations_records(session, client, world):
    service_a = world["a"]["service"]
    as_user(client, "editor_b")
    response = client.post(f"{CABINET}/org-b/submit",
                           data={"item": f"service:{service_a.uuid}:{service_a.version}"})
    assert response.status_code == 404
    session.expire_all()
    assert service_a.status == Status.DRAFT


# -- CSRF with the real setting -------------------------------------------------------------

def test_csrf_is_enforced_on_every_cabinet_post(app, session, client):
    # conftest turns CSRF off for convenience; here it is the real, default setting.
    app.config["WTF_CSRF_ENABLED"] = True
    org = make_org(session, slug="csrf-org", publish=False)
    give_orgs(session, org, make_org(session, publish=False))
    version, inn, ogrn = org.version, org.inn, org.ogrn
    editor = as_user(client, "editor_a")
    data = {"version": str(version), "name": "Подмена", "legal_form": "ano"}
    for url in ("/csrf-org/profile", "/csrf-org/services/new", "/csrf-org/submit",
                "/csrf-org/documents"):
        response = editor.post(CABINET + url, data=data)
        assert response.status_code == 400, url
    session.expire_all()
    assert org.version == version and org.name != "Подмена"

    # The same request with the token from the page is accepted.
    page = editor.get(f"{CABINET}/csrf-org/profile").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = editor.post(f"{CABINET}/csrf-org/profile", data={
        **data, "csrf_token": token, "inn": inn, "ogrn": ogrn})
    assert response.status_code == 302
    session.expire_all()
    assert org.name == "Подмена"
