"""Each hook against the code that calls it, with temporary plugins registered in a fixture."""

from __future__ import annotations

import pytest
from conftest import make_app
from factories import make_org, make_project
from jinja2 import ChoiceLoader, DictLoader
from sqlalchemy import select, text

from nko_openness import hookimpl
from nko_openness.core.plugins import PluginError
from nko_openness.export.exporters import SimpleExporter, exporters, get_exporter
from nko_openness.models import BeneficiaryCategory, Project
from nko_openness.publishing import workflow


@pytest.fixture
def register(app):
    """Register temporary plugins on the test app; each is unregistered afterwards."""
    pm = app.extensions["nko_openness"].pm
    registered = []

    def add(plugin):
        pm.register(plugin)
        registered.append(plugin)
        return plugin

    yield add
    for plugin in registered:
        pm.unregister(plugin)


# -- nko_beneficiary_categories ----------------------------------------------------------------


class CityCategories:
    @hookimpl
    def nko_beneficiary_categories(self, app):
        return [
            {"slug": "belogorsk-flood-2023", "name": "Пострадавшие от паводка 2023 года",
             "name_en": "Affected by the 2023 flood", "parent": None},
            {"slug": "belogorsk-flood-children", "name": "Дети из пострадавших семей",
             "parent": "belogorsk-flood-2023"},
        ]


@pytest.fixture
def app_config(request):
    # Only the category test needs its plugin before the app seeds the vocabulary.
    if request.function.__name__.startswith("test_nko_beneficiary_categories"):
        return {"NKO_PLUGINS": [CityCategories()]}
    return {}


def test_nko_beneficiary_categories_are_seeded_and_shown(app, session, client):
    flood = session.scalar(select(BeneficiaryCategory)
                           .where(BeneficiaryCategory.slug == "belogorsk-flood-2023"))
    assert flood.name_en == "Affected by the 2023 flood" and flood.source == "plugin"
    assert [c.slug for c in flood.children] == ["belogorsk-flood-children"]
    page = client.get("/nko/categories/").get_data(as_text=True)
    assert "Пострадавшие от паводка 2023 года" in page and "Дети из пострадавших семей" in page
    assert client.get("/nko/categories/belogorsk-flood-2023").status_code == 200


# -- nko_validate -------------------------------------------------------------------------------


def test_nko_validate_errors_stop_the_save(app, session, register):
    from nko_openness.publishing.disclosure import DisclosureInvalid, create_record

    seen = []

    class NoDateless:
        @hookimpl
        def nko_validate(self, entity, data):
            seen.append((entity, dict(data)))
            if entity == "project" and not data.get("start_date"):
                return {"start_date": "Укажите дату начала: её требует администрация."}
            return None

    register(NoDateless())
    org = make_org(session)
    with pytest.raises(DisclosureInvalid) as caught:
        create_record(session, app, org, Project, {"name": "Без даты"}, "editor")
    assert caught.value.errors == {
        "start_date": "Укажите дату начала: её требует администрация."}
    session.rollback()
    entity, data = seen[-1]
    assert entity == "project" and data["name"] == "Без даты" and "categories" in data

    project = create_record(session, app, org, Project,
                            {"name": "С датой", "start_date": "2024-05-01"}, "editor")
    session.commit()
    assert project.start_date.isoformat() == "2024-05-01"


# -- nko_exporters -----------------------------------------------------------------------------


def csv_rows(app, session, params):
    yield "name\n"
    for org in session.scalars(select(Project.name).order_by(Project.name)):
        yield f"{org}\n"


class CsvExport:
    @hookimpl
    def nko_exporters(self, app):
        return [SimpleExporter("projects-csv", "Проекты (CSV)", "text/csv; charset=utf-8",
                               "csv", csv_rows)]


def test_nko_exporters_are_collected_and_render(app, session, register):
    assert exporters(app) == {}
    register(CsvExport())
    found = get_exporter(app, "projects-csv")
    assert (found.title, found.media_type, found.extension) == (
        "Проекты (CSV)", "text/csv; charset=utf-8", "csv")
    make_project(session, make_org(session), name="Стартуют все")
    assert "".join(found.render(app, session, {})) == "name\nСтартуют все\n"


def test_nko_exporters_duplicate_names_are_a_startup_error(tmp_path):
    class Again(CsvExport):
        pass

    with pytest.raises(PluginError, match="projects-csv"):
        make_app("sqlite://", tmp_path, NKO_PLUGINS=[CsvExport(), Again()])


@pytest.mark.parametrize("broken", [
    object(),
    SimpleExporter("Пробел и кириллица", "t", "text/csv", "csv", csv_rows),
])
def test_nko_exporters_must_follow_the_protocol(tmp_path, broken):
    class Broken:
        @hookimpl
        def nko_exporters(self):
            return [broken]

    with pytest.raises(PluginError, match="экспорт"):
        make_app("sqlite://", tmp_path, NKO_PLUGINS=[Broken()])


# -- notify hooks: after the commit, never inside it --------------------------------------------


class Spy:
    def __init__(self, app):
        self.app = app
        self.calls = []

    def committed_status(self, record):
        # A separate connection sees only what was committed.
        with self.app.extensions["nko_openness"].db.engine.connect() as conn:
            return conn.execute(text("SELECT status FROM nko_project WHERE uuid = :u"),
                                {"u": record.uuid.hex if conn.dialect.name == "sqlite"
                                 else record.uuid}).scalar()

    @hookimpl
    def nko_after_publish(self, app, record, change):
        self.calls.append(("publish", record.name, change.op, self.committed_status(record)))

    @hookimpl
    def nko_after_unpublish(self, record, change):
        self.calls.append(("unpublish", record.name, change.op, self.committed_status(record)))

    @hookimpl
    def nko_after_submit(self, record, user):
        self.calls.append(("submit", record.name, user, self.committed_status(record)))

    @hookimpl
    def nko_after_return(self, record, user, comment):
        self.calls.append(("return", record.name, user, comment, self.committed_status(record)))


@pytest.fixture
def spy(app, register):
    return register(Spy(app))


@pytest.fixture
def draft(session):
    return make_project(session, make_org(session), name="Стартуют все", publish=False)


def test_nko_after_submit_and_nko_after_return_fire_after_commit(app, session, spy, draft):
    workflow.commit_and_announce(session, app, workflow.mark_submitted(session, draft, "ed"),
                                 user="editor-1")
    workflow.commit_and_announce(
        session, app, workflow.mark_returned(session, draft, "mod", "Добавьте результаты"),
        user="moderator-1")
    assert spy.calls == [
        ("submit", "Стартуют все", "editor-1", "submitted"),
        ("return", "Стартуют все", "moderator-1", "Добавьте результаты", "returned"),
    ]


def test_nko_after_publish_and_nko_after_unpublish_fire_after_commit(app, session, spy, draft):
    workflow.commit_and_announce(session, app, workflow.approve(session, draft, "mod",
                                                                draft.version))
    workflow.commit_and_announce(session, app, workflow.mark_unpublished(
        session, draft, "mod", "Проект завершён"))
    assert spy.calls == [("publish", "Стартуют все", "upsert", "published"),
                         ("unpublish", "Стартуют все", "delete", "unpublished")]


def test_notify_hooks_do_not_fire_when_the_commit_fails(app, session, spy, draft, monkeypatch):
    outcome = workflow.approve(session, draft, "mod", draft.version)

    def failing_commit():
        raise RuntimeError("database went away")

    monkeypatch.setattr(session, "commit", failing_commit)
    with pytest.raises(RuntimeError):
        workflow.commit_and_announce(session, app, outcome)
    assert spy.calls == []


def test_nko_after_publish_failing_plugin_is_logged_and_others_still_hear(
        app, session, register, draft, caplog):
    class MailDown:
        @hookimpl
        def nko_after_publish(self, record):
            raise ConnectionError("SMTP server unreachable")

    register(MailDown())
    spy = register(Spy(app))
    workflow.commit_and_announce(session, app, workflow.approve(session, draft, "mod",
                                                                draft.version))
    assert spy.calls == [("publish", "Стартуют все", "upsert", "published")]
    assert "failed in nko_after_publish" in caplog.text and "SMTP" in caplog.text


# -- nko_permission and nko_current_user ---------------------------------------------------------


class HostUser:
    def __init__(self, uid, nko_role=None):
        self.id = uid
        self.nko_role = nko_role


def test_nko_permission_decides_first_and_none_defers(app, session, register):
    from nko_openness.publishing.permissions import can

    org = make_org(session)
    visitor, clerk = None, HostUser("clerk")
    with app.test_request_context():
        assert not can(clerk, "moderate", org)  # the module's own rule: not staff

        class CityHall:
            @hookimpl
            def nko_permission(self, app, user, action, obj):
                if getattr(user, "id", None) == "clerk" and action == "moderate":
                    return True
                if action == "cabinet" and user is None:
                    return False
                return None

        register(CityHall())
        assert can(clerk, "moderate", org)
        assert not can(visitor, "cabinet")
        assert not can(clerk, "admin")  # deferred to the default rule


def test_nko_current_user_from_the_host(app, register):
    from nko_openness.publishing.permissions import current_user

    with app.test_request_context():
        assert current_user() is None  # no Flask-Login on the test app: a visitor
        register(type("SsoUser", (), {
            "nko_current_user": hookimpl(lambda self, app: HostUser("sso-42"))})())
        assert current_user().id == "sso-42"


def test_nko_current_user_default_is_flask_login(app):
    from flask_login import LoginManager, UserMixin, login_user

    from nko_openness.publishing.permissions import current_user

    class User(UserMixin):
        id = "7"

    LoginManager(app).user_loader(lambda uid: User() if uid == "7" else None)
    with app.test_request_context():
        assert current_user() is None
        login_user(User())
        assert current_user().get_id() == "7"


# -- nko_page_context ----------------------------------------------------------------------------


def test_nko_page_context_reaches_the_host_layout(app, session, client, register):
    seen = []

    class Branding:
        @hookimpl
        def nko_page_context(self, app, page, obj):
            seen.append((page, obj.slug if page == "organization" else obj))
            return {"city_phone": "+7 (41641) 2-00-00"}

    register(Branding())
    app.config["NKO_BASE_TEMPLATE"] = "host.html"
    app.extensions["nko_openness"].config["NKO_BASE_TEMPLATE"] = "host.html"
    app.jinja_loader = ChoiceLoader([
        DictLoader({"host.html": "<title>{% block title %}{% endblock %}</title>"
                                 "{% block head %}{% endblock %}{% block content %}{% endblock %}"
                                 "<footer>Телефон: {{ city_phone }}</footer>"}),
    ])
    org = make_org(session, slug="sportiya")
    assert "<footer>Телефон: +7 (41641) 2-00-00</footer>" in client.get(
        "/nko/organizations/sportiya").get_data(as_text=True)
    assert "+7 (41641) 2-00-00" in client.get("/nko/").get_data(as_text=True)
    assert ("organization", org.slug) in seen and ("catalog", None) in seen


def test_nko_page_context_shared_lists_are_joined_across_plugins(app, session, client, register):
    class Feeds:
        @hookimpl
        def nko_page_context(self):
            return {"nko_head_links": [{"rel": "alternate", "type": "application/atom+xml",
                                        "href": "/nko/feed", "title": "Лента"}],
                    "nko_link_lists": [{"title": "Подписка", "links": [
                        {"href": "/nko/feed", "title": "Лента Atom"}]}]}

    class OpenData:
        @hookimpl
        def nko_page_context(self):
            return {"nko_link_lists": [{"title": "Открытые данные", "links": [
                {"href": "/nko/od/list.csv", "title": "Реестр", "download": True}]}]}

    register(Feeds())
    register(OpenData())
    page = client.get("/nko/").get_data(as_text=True)
    assert ('<link rel="alternate" type="application/atom+xml" href="/nko/feed" '
            'title="Лента">') in page
    assert '<nav class="nko-link-list" aria-label="Подписка">' in page
    assert '<a href="/nko/od/list.csv" download>Реестр</a>' in page


# -- nko_blueprints -------------------------------------------------------------------------------


def test_nko_blueprints_are_mounted_under_the_prefix(database_url, tmp_path):
    from flask import Blueprint

    plain = Blueprint("city_plain", __name__)
    plain.add_url_rule("/city-report.txt", "report", lambda: "отчёт")
    nested = Blueprint("city_nested", __name__, url_prefix="/city")
    nested.add_url_rule("/ping", "ping", lambda: "pong")

    class Routes:
        @hookimpl
        def nko_blueprints(self, app):
            return [plain, nested]

    app = make_app(database_url, tmp_path, NKO_URL_PREFIX="/sec", NKO_PLUGINS=[Routes()])
    client = app.test_client()
    assert client.get("/sec/city-report.txt").get_data(as_text=True) == "отчёт"
    assert client.get("/sec/city/ping").get_data(as_text=True) == "pong"
    app.extensions["nko_openness"].db.engine.dispose()


def test_nko_blueprints_must_return_blueprints(tmp_path):
    class Broken:
        @hookimpl
        def nko_blueprints(self):
            return ["/not-a-blueprint"]

    with pytest.raises(PluginError, match="Blueprint"):
        make_app(f"sqlite:///{tmp_path / 'x.sqlite3'}", tmp_path, NKO_PLUGINS=[Broken()])
