"""The page cache (docs/caching.md): the organization page's rendered parts are reused until
anything the page shows changes, and never carry one visitor's request into another's page."""

from __future__ import annotations

import re

import pytest
from conftest import make_app, statements
from factories import make_org, make_service
from flask_babel import refresh
from sqlalchemy import select, update

from nko_openness import hookimpl
from nko_openness.core.fragments import FragmentCache
from nko_openness.models import BeneficiaryCategory, Document, Service
from nko_openness.moderation import review as moderation
from nko_openness.publishing import disclosure
from nko_openness.publishing import documents as document_service
from nko_openness.publishing.workflow import mark_deleted, mark_submitted, mark_unpublished
from nko_openness.web.accessibility import COOKIE_NAME, cookie_value


def _cache(app) -> FragmentCache:
    return app.extensions["nko_openness"].cache


def _page(client, org, query="") -> str:
    response = client.get(f"/nko/organizations/{org.slug}{query}")
    # The session fixture's app context outlives requests, and Flask-Babel keeps the
    # language in it: forget it, as a real request's own context would.
    refresh()
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _add_document(session, org, title, live=True):
    document = Document(organization_id=org.id, kind="report", title=title, year=2025,
                        original_filename="отчёт.pdf", stored_name=f"{title:x<32}.pdf"[-36:],
                        size=2048, live=live)
    session.add(document)
    session.commit()
    return document


@pytest.fixture
def org(session):
    org = make_org(session, categories=("elderly",), description="<p>Помогаем пожилым</p>",
                   website="https://example.org")
    make_service(session, org, name="Социальное такси")
    return org


def test_a_cached_page_is_the_page_rendered_without_the_cache(app, client, session, org):
    _add_document(session, org, "Годовой отчёт")
    first = _page(client, org)  # renders and keeps the parts
    assert len(_cache(app)) == 3  # breadcrumbs, JSON-LD, main content
    second = _page(client, org)
    app.extensions["nko_openness"].cache = FragmentCache(0)
    uncached = _page(client, org)
    assert first == second == uncached
    for text in ("Социальное такси", "Годовой отчёт", "Помогаем пожилым", "application/ld+json"):
        assert text in second


def test_a_cache_hit_sends_one_statement_however_many_records(app, client, session, org):
    url = f"/nko/organizations/{org.slug}"
    assert statements(app, client, url, warm=False) <= 7  # a miss loads the children, as before
    assert statements(app, client, url, warm=False) == 1
    for n in range(5):
        make_service(session, org, name=f"Ещё услуга {n}")
    _add_document(session, org, "Устав")
    assert statements(app, client, url, warm=False) <= 7
    assert statements(app, client, url, warm=False) == 1


def test_publication_and_unpublication_of_a_service_show_at_once(client, session, org):
    assert "Юридическая консультация" not in _page(client, org)
    service = make_service(session, org, name="Юридическая консультация")
    assert "Юридическая консультация" in _page(client, org)
    mark_unpublished(session, service, "moderator", "Устарело")
    session.commit()
    assert "Юридическая консультация" not in _page(client, org)
    taxi = session.scalar(select(Service).where(Service.name == "Социальное такси"))
    mark_deleted(session, taxi, "moderator")
    session.commit()
    assert "Социальное такси" not in _page(client, org)


def test_an_edit_shows_once_a_moderator_publishes_it(app, client, session, org):
    assert "Новое название НКО" not in _page(client, org)
    with app.test_request_context():
        disclosure.save_draft(session, app, org, {"name": "Новое название НКО"}, "editor",
                              org.version)
    session.commit()
    assert "Новое название НКО" not in _page(client, org)  # a draft is not public
    mark_submitted(session, org, "editor")
    moderation.approve_submission(session, org, "moderator", org.version)
    session.commit()
    page = _page(client, org)
    assert "<h1>Новое название НКО</h1>" in page
    assert "<title>Новое название НКО" in page


def test_an_unpublished_organization_is_gone_at_once(client, session, org):
    _page(client, org)
    mark_unpublished(session, org, "moderator", "По заявлению НКО")
    session.commit()
    assert client.get(f"/nko/organizations/{org.slug}").status_code == 404


def test_documents_appear_with_approval_and_go_when_withdrawn(app, client, session, org):
    _page(client, org)
    pending = _add_document(session, org, "Устав организации", live=False)
    assert "Устав организации" not in _page(client, org)
    with app.test_request_context():
        disclosure.save_draft(session, app, org, {"mission": "Помогать"}, "editor", org.version)
    mark_submitted(session, org, "editor")
    moderation.approve_submission(session, org, "moderator", org.version)
    session.commit()
    assert "Устав организации" in _page(client, org)
    # Withdrawing a document writes no Change row: its own version must still show it.
    document_service.delete_document(session, session.get(Document, pending.id))
    session.commit()
    assert "Устав организации" not in _page(client, org)


def test_a_renamed_category_shows_at_once(client, session, org):
    assert "/nko/categories/elderly" in _page(client, org)
    session.execute(update(BeneficiaryCategory).where(BeneficiaryCategory.slug == "elderly")
                    .values(name="Граждане старшего возраста", name_en="Senior citizens"))
    session.commit()
    assert "Граждане старшего возраста" in _page(client, org)
    assert "Senior citizens" in _page(client, org, "?lang=en")


def test_each_language_and_accessibility_mode_has_its_own_entry(app, client, org):
    russian = _page(client, org)
    english = _page(client, org, "?lang=en")
    client.delete_cookie("nko_lang")
    assert len(_cache(app)) == 6
    assert ">Услуги</h2>" in russian and ">Services</h2>" in english
    client.set_cookie(COOKIE_NAME, cookie_value(size="larger"))
    large = _page(client, org)
    assert len(_cache(app)) == 9
    assert "nko-a11y-panel" in large and "nko-a11y-panel" not in russian
    client.delete_cookie(COOKIE_NAME)
    assert _page(client, org) == russian


def test_per_request_parts_stay_outside_the_cache(app, client, org):
    class PerRequest:
        calls = 0

        @hookimpl
        def nko_page_context(self, page, obj):
            PerRequest.calls += 1
            return {"nko_link_lists": [{"title": f"Запрос {PerRequest.calls} для {obj.slug}",
                                        "links": []}]}

    app.extensions["nko_openness"].pm.register(PerRequest())
    first = _page(client, org, "?utm_source=mail")
    second = _page(client, org, "?utm_source=vk")
    assert f"Запрос 1 для {org.slug}" in first and f"Запрос 2 для {org.slug}" in second
    # The share URL carries the query; the cached JSON-LD and content do not.
    assert re.search(r'og:url" content="[^"]*utm_source=vk', second)
    assert "utm_source" not in second.split("<main", 1)[1].split("nko-link-list")[0]


@pytest.mark.parametrize("app_config", [{"NKO_PAGE_CACHE_BYTES": 0}])
def test_the_cache_can_be_switched_off(app, client, session, org):
    _add_document(session, org, "Годовой отчёт")
    assert "Годовой отчёт" in _page(client, org)
    session.execute(update(Document).values(title="Отчёт за год"))
    session.commit()
    assert "Отчёт за год" in _page(client, org)
    assert len(_cache(app)) == 0 and not _cache(app).enabled


def test_the_cache_is_bounded_in_bytes(app_database_url, tmp_path, session, org):
    small = make_app(app_database_url, tmp_path / "small", NKO_PAGE_CACHE_BYTES=20_000)
    client = small.test_client()
    for query in ("", "?lang=en", "?lang=ru", "?x=1&lang=en"):
        _page(client, org, query)
    assert 0 < _cache(small).current_bytes <= 20_000
    small.extensions["nko_openness"].db.engine.dispose()


def test_category_counts_follow_publications(client, session, org):
    def count() -> str:
        page = client.get("/nko/categories/").get_data(as_text=True)
        return re.search(r'href="/nko/categories/elderly">.*?</li>', page, re.S).group(0)

    before = count()
    make_service(session, org, categories=("elderly",))
    assert count() != before
