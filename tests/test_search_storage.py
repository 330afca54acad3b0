"""The search index's storage: migration, backend DDL, index use, plugin facets, demo data."""

from __future__ import annotations

import pytest
from conftest import make_app
from factories import make_org, make_service
from searching import find
from sqlalchemy import inspect, select, text
from werkzeug.datastructures import MultiDict

from nko_openness import hookimpl, migrate
from nko_openness.models import Base, Organization, SearchDocument
from nko_openness.models.search import FTS_TABLE, VECTOR_COLUMN, VECTOR_INDEX
from nko_openness.publishing.vocabulary import seed_categories
from nko_openness.search import index as search_index
from nko_openness.search import query as search


def titles(result) -> list[str]:
    return [hit.document.title for hit in result.hits]


def backend_objects(engine) -> set[str]:
    inspector = inspect(engine)
    found = set()
    if inspector.has_table(FTS_TABLE):
        found.add(FTS_TABLE)
    if inspector.has_table("nko_search_document"):
        if any(c["name"] == VECTOR_COLUMN for c in inspector.get_columns("nko_search_document")):
            found.add(VECTOR_COLUMN)
        if any(i["name"] == VECTOR_INDEX for i in inspector.get_indexes("nko_search_document")):
            found.add(VECTOR_INDEX)
    return found


EXPECTED = {"sqlite": {FTS_TABLE}, "postgresql": {VECTOR_COLUMN, VECTOR_INDEX}}


def test_the_migration_creates_the_full_text_index_and_search_works(migrated_app, backend):
    engine = migrated_app.extensions["nko_openness"].db.engine
    assert backend_objects(engine) == EXPECTED[backend]

    with migrated_app.app_context():
        session = migrated_app.extensions["nko_openness"].db.session
        seed_categories(session, migrated_app)
        org = make_org(session, name="Клуб «Серебряный возраст»", categories=["elderly"])
        make_service(session, org, name="Компьютерная грамотность для пенсионеров")
        assert titles(find(migrated_app, session, "пенсионерам")) == [
            "Компьютерная грамотность для пенсионеров"]

    migrate.downgrade(migrated_app, "0002")
    assert backend_objects(engine) == set()
    assert not inspect(engine).has_table("nko_search_document")


def test_create_all_makes_the_same_objects(app, backend):
    assert backend_objects(app.extensions["nko_openness"].db.engine) == EXPECTED[backend]


def test_ensure_index_restores_missing_objects_and_is_idempotent(app, backend):
    engine = app.extensions["nko_openness"].db.engine
    with engine.begin() as connection:
        if backend == "sqlite":
            connection.execute(text(f"DROP TABLE {FTS_TABLE}"))
        else:
            connection.execute(text(f"ALTER TABLE nko_search_document DROP COLUMN {VECTOR_COLUMN}"))
    assert backend_objects(engine) == set()

    search_index.ensure_index(engine)
    search_index.ensure_index(engine)

    assert backend_objects(engine) == EXPECTED[backend]


def test_ensure_index_without_the_tables_says_what_to_do(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'empty.sqlite3'}", tmp_path)
    with pytest.raises(RuntimeError, match="flask nko db upgrade"):
        search_index.ensure_index(app.extensions["nko_openness"].db.engine)


def test_a_text_query_uses_the_full_text_index(app, session, backend):
    org = make_org(session, name="Спортивный клуб")
    for n in range(30):
        make_service(session, org, name=f"Секция номер {n}", publish=n % 2 == 0)
    matched = search._match(session, search.query_terms("спорт"), "all")
    stmt = search._base(matched, {})
    compiled = stmt.compile(session.get_bind(), compile_kwargs={"literal_binds": True})

    if backend == "postgresql":
        session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(session.scalars(text(f"EXPLAIN {compiled}")))
        assert VECTOR_INDEX in plan, plan
    else:
        plan = "\n".join(row[-1] for row in session.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
        assert "VIRTUAL TABLE INDEX" in plan and FTS_TABLE in plan, plan
    session.rollback()


# -- plugin choice fields become facets ------------------------------------------------------

class DistrictFields:
    @hookimpl
    def nko_extra_fields(self, entity):
        district = {"name": "district", "label_ru": "Микрорайон", "label_en": "District",
                    "type": "choice",
                    "choices": [("north", "Северный", "North"), ("south", "Южный", "South")]}
        if entity in ("organization", "service"):
            return [district,
                    {"name": "secret", "label_ru": "Скрытое", "type": "choice",
                     "choices": ["a", "b"], "public": False},
                    {"name": "note", "label_ru": "Заметка", "type": "text"}]
        return []


@pytest.fixture
def plugin_app(database_url, tmp_path):
    app = make_app(database_url, tmp_path, NKO_PLUGINS=[DistrictFields()])
    engine = app.extensions["nko_openness"].db.engine
    Base.metadata.create_all(engine)
    with app.app_context():
        session = app.extensions["nko_openness"].db.session
        seed_categories(session, app)
        session.commit()
        yield app, session
    engine.dispose()


def test_public_choice_fields_of_plugins_are_facets(plugin_app):
    app, session = plugin_app
    north = make_org(session, name="Северная НКО", extra={"district": "north", "secret": "a"})
    make_service(session, north, name="Северная услуга", extra={"district": "north"})
    make_org(session, name="Южная НКО", extra={"district": "south"})

    facet_names = [f.name for f in search_index.facets(app)]
    assert "district" in facet_names
    assert "secret" not in facet_names and "note" not in facet_names

    result = find(app, session, "", district=["north"])
    assert sorted(titles(result)) == ["Северная НКО", "Северная услуга"]
    (district,) = [f for f in result.facets if f.name == "district"]
    assert district.label == "Микрорайон"
    assert {(v.value, v.label, v.count, v.selected) for v in district.values} == {
        ("north", "Северный", 2, True), ("south", "Южный", 1, False)}


# -- the Belogorsk demo data ----------------------------------------------------------------

DEMO_WORD_FORMS = {
    "Помощь одиноким пожилым жителям по хозяйству": ["пожилым", "пожилых", "пожилые"],
    "Скандинавская ходьба для старшего поколения": ["пожилым", "пожилых", "пожилые"],
    "Амурская региональная спортивная общественная организация «СПОРТиЯ»": [
        "спорт", "спортивный", "спорта", "СПОРТиЯ"],
    "Защитим детей от наркотиков": ["наркотиков", "наркотики", "наркотик"],
    "Экологические субботники для трудовых коллективов и школ": [
        "экологическая", "экология", "экологический"],
}


@pytest.fixture
def demo_loaded(app, session):
    try:
        from nko_openness.devdata.demo import load_demo, read_demo_data
        read_demo_data()
    except (ImportError, FileNotFoundError):
        pytest.skip("the demo data is not there yet")
    load_demo(session, app)
    return session


def test_demo_data_key_terms_are_found_in_every_word_form(app, demo_loaded):
    for title, queries in DEMO_WORD_FORMS.items():
        for query in queries:
            request = search.parse_request(MultiDict({"q": query}), app)
            result = search.search(demo_loaded, request, app, page_size=100)
            assert title in titles(result), (query, title, titles(result))


def test_demo_drafts_are_not_searchable(app, demo_loaded):
    drafts = set(demo_loaded.scalars(select(Organization.name)
                                     .where(Organization.live.is_(False))))
    indexed = set(demo_loaded.scalars(select(SearchDocument.title)))

    assert drafts and not drafts & indexed
    assert "Социальное такси" not in indexed  # a draft service of a published organization
    assert find(app, demo_loaded, "такси").total == 0


def test_demo_free_services_for_older_people(app, demo_loaded):
    result = find(app, demo_loaded, "пожилым", fee=["free"], type=["service"])

    assert result.total >= 3
    assert all(hit.document.is_free for hit in result.hits)
    assert "Помощь одиноким пожилым жителям по хозяйству" in titles(result)
