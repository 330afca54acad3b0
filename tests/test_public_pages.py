"""Every public page: Russian content, only published records, 404 for the rest."""

from __future__ import annotations

import re

import pytest
from factories import make_org, make_project, make_service
from sqlalchemy.exc import OperationalError

from nko_openness.publishing.workflow import mark_unpublished


@pytest.fixture
def world(session):
    """One published organization with a draft sibling, services and projects of both kinds."""
    org = make_org(session, name="АРСОО «СПОРТиЯ»", slug="sportiya", categories=["youth"],
                   activities=["sport_healthy_lifestyle"],
                   description="<p>Спорт для всех жителей</p>")
    service = make_service(session, org, name="Секция скандинавской ходьбы",
                           categories=["elderly"], minimum_age=55)
    draft_service = make_service(session, org, name="Черновая услуга", publish=False,
                                 categories=["elderly"])
    project = make_project(session, org, name="Стартуют все", categories=["elderly"])
    draft_org = make_org(session, name="Неопубликованная НКО", slug="hidden", publish=False,
                         categories=["elderly"])
    hidden_service = make_service(session, draft_org, name="Услуга скрытой НКО",
                                  categories=["elderly"])
    return {"org": org, "service": service, "draft_service": draft_service,
            "project": project, "draft_org": draft_org, "hidden_service": hidden_service}


def text_of(response) -> str:
    return response.get_data(as_text=True)


def test_catalog_lists_published_organizations_only(client, world):
    page = text_of(client.get("/nko/"))
    assert 'lang="ru"' in page
    assert "Социально ориентированные некоммерческие организации" in page
    assert "АРСОО «СПОРТиЯ»" in page
    assert "Неопубликованная НКО" not in page


def test_catalog_filters_by_category_and_activity(client, world, session):
    other = make_org(session, name="Совет ветеранов", categories=["veterans"],
                     activities=["patriotic"])
    by_category = text_of(client.get("/nko/?category=youth"))
    assert "СПОРТиЯ" in by_category and other.name not in by_category
    by_activity = text_of(client.get("/nko/?activity=patriotic"))
    assert other.name in by_activity and "СПОРТиЯ" not in by_activity
    nothing = text_of(client.get("/nko/?category=youth&activity=patriotic"))
    assert "организаций не найдено" in nothing


def test_catalog_parent_category_includes_sub_categories(client, session):
    make_org(session, name="Дом для сирот", categories=["orphans"])
    assert "Дом для сирот" in text_of(client.get("/nko/?category=children"))


def test_catalog_keyset_pages_cover_everything_once(client, session, app):
    app.extensions["nko_openness"].config["NKO_PAGE_SIZE"] = 3
    names = {make_org(session, name=f"Организация {i:02d}").name for i in range(8)}
    seen, url, pages = [], "/nko/", 0
    while url:
        page = text_of(client.get(url))
        seen += re.findall(r">(Организация \d\d)</a>", page)
        found = re.search(r'rel="next" href="([^"]+)"', page)
        url = found.group(1).replace("&amp;", "&") if found else None
        pages += 1
    assert pages == 3 and sorted(seen) == sorted(names) and len(seen) == len(set(seen))
    # And back again from the last page.
    back = re.search(r'rel="prev" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert "Организация 05" in text_of(client.get(back))


def test_malformed_cursor_is_a_russian_400(client, world):
    response = client.get("/nko/?after=%%%not-a-cursor")
    assert response.status_code == 400
    assert "Откройте список с начала" in text_of(response)


def test_organization_page_shows_published_children_only(client, world):
    page = text_of(client.get("/nko/organizations/sportiya"))
    assert "<h1>АРСОО «СПОРТиЯ»</h1>" in page
    assert "Секция скандинавской ходьбы" in page and "от 55 лет" in page
    assert "Стартуют все" in page
    assert "Черновая услуга" not in page
    assert world["org"].ogrn in page and world["org"].inn in page
    assert "Физическая культура, спорт, здоровый образ жизни" in page


def test_unpublished_and_unknown_organizations_are_404(client, world):
    for url in ("/nko/organizations/hidden", "/nko/organizations/no-such-nko"):
        response = client.get(url)
        assert response.status_code == 404
        assert "Страница не найдена" in text_of(response)


def test_service_and_project_pages(client, world):
    service = text_of(client.get(f"/nko/services/{world['service'].uuid}"))
    assert "<h1>Секция скандинавской ходьбы</h1>" in service
    assert "Бесплатно" in service and "Пожилые граждане" in service
    project = text_of(client.get(f"/nko/projects/{world['project'].uuid}"))
    assert "<h1>Стартуют все</h1>" in project and "Цель проекта" in project


@pytest.mark.parametrize("key", ["draft_service", "hidden_service"])
def test_drafts_and_children_of_unpublished_orgs_are_404(client, world, key):
    assert client.get(f"/nko/services/{world[key].uuid}").status_code == 404


# A fixed unknown UUID: a random one would give pytest-xdist workers different test ids.
@pytest.mark.parametrize("value", ["not-a-uuid", "123", "6f1c2a3e-0d4b-4c5a-9e8f-7a6b5c4d3e2f",
                                   "%00"])
def test_malformed_or_unknown_uuids_are_404(client, world, value):
    assert client.get(f"/nko/services/{value}").status_code == 404
    assert client.get(f"/nko/projects/{value}").status_code == 404


def test_unknown_paths_under_the_prefix_get_the_module_404(client, world):
    response = client.get("/nko/no/such/page")
    assert response.status_code == 404 and "Страница не найдена" in text_of(response)


def test_categories_index_counts_published_records(client, world):
    page = text_of(client.get("/nko/categories/"))
    # Elderly: one published service and one published project; the drafts do not count.
    match = re.search(r'/nko/categories/elderly">Пожилые граждане</a>\s*<span[^>]*>\((\d+)\)', page)
    assert match and match.group(1) == "2"


def test_category_page_lists_services_and_projects(client, world):
    page = text_of(client.get("/nko/categories/elderly"))
    assert "<h1>Пожилые граждане</h1>" in page
    assert "Секция скандинавской ходьбы" in page and "Стартуют все" in page
    assert "Черновая услуга" not in page and "Услуга скрытой НКО" not in page
    assert client.get("/nko/categories/no-such-category").status_code == 404


def test_unpublished_record_disappears_at_once(client, world, session):
    service_url = f"/nko/services/{world['service'].uuid}"
    assert client.get(service_url).status_code == 200
    mark_unpublished(session, world["org"], "m", "Проверка")
    session.commit()
    assert client.get(service_url).status_code == 404
    assert client.get("/nko/organizations/sportiya").status_code == 404
    assert "Секция скандинавской ходьбы" not in text_of(client.get("/nko/categories/elderly"))


def test_stored_html_is_rendered_and_plain_fields_are_escaped(client, session):
    make_org(session, slug="escape", name="<script>alert(1)</script> НКО",
             description="<p><strong>Важно</strong></p>")
    page = text_of(client.get("/nko/organizations/escape"))
    assert "<strong>Важно</strong>" in page
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


def test_database_error_shows_a_russian_page_without_traceback(client, world, monkeypatch):
    from nko_openness.catalog import page_versions

    def broken(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))

    monkeypatch.setattr(page_versions, "organization_for_page", broken)
    response = client.get("/nko/organizations/sportiya")
    assert response.status_code == 503
    body = text_of(response)
    assert "Раздел временно недоступен" in body
    assert "Traceback" not in body and "server closed" not in body


def test_templates_extend_the_configured_base_template(tmp_path, database_url):
    from conftest import make_app
    from flask import Flask  # noqa: F401  (the host is a plain Flask app)

    app = make_app(database_url, tmp_path, NKO_BASE_TEMPLATE="host_layout.html")
    from jinja2 import DictLoader

    app.jinja_loader = DictLoader({
        "host_layout.html": "<html lang='ru'><title>{% block title %}{% endblock %}</title>"
                            "{% block head %}{% endblock %}<div id='host-frame'>"
                            "{% block content %}{% endblock %}</div></html>",
    })
    from nko_openness.models import Base

    Base.metadata.create_all(app.extensions["nko_openness"].db.engine)
    page = app.test_client().get("/nko/").get_data(as_text=True)
    assert "<div id='host-frame'>" in page and "Социально ориентированные" in page
