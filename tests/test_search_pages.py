"""The search page: shareable URLs, accessible structure, escaping, paging, the catalog's box."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from factories import make_org, make_project, make_service
from markupsafe import escape

from nko_openness.publishing.workflow import mark_unpublished


@pytest.fixture
def app_config():
    return {"NKO_PAGE_SIZE": 3}


@pytest.fixture
def world(session):
    org = make_org(session, name="АРСОО «СПОРТиЯ»", slug="sportiya",
                   activities=["sport_healthy_lifestyle"], categories=["youth"])
    services = [
        make_service(session, org, name="Скандинавская ходьба для пожилых",
                     categories=["elderly"], minimum_age=55, is_free=True),
        make_service(session, org, name="Гимнастика для пожилых", categories=["elderly"],
                     is_free=False),
        make_service(session, org, name="Бассейн для пожилых жителей", categories=["elderly"],
                     is_free=True),
        make_service(session, org, name="Шахматы для пожилых", categories=["elderly"],
                     is_free=True),
    ]
    project = make_project(session, org, name="Защитим детей от наркотиков",
                           categories=["children"])
    return {"org": org, "services": services, "project": project}


def page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def hit_titles(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", t)
            for t in re.findall(r'<li class="nko-search-hit">\s*<h3><a [^>]*>(.*?)</a></h3>',
                                html, re.S)]


def test_search_page_finds_word_forms_and_marks_them(client, world):
    html = page(client, "/nko/search?q=пожилым")

    assert "<mark>пожилых</mark>" in html
    assert len(hit_titles(html)) == 3  # a page of three
    assert 'rel="next"' in html


def test_page_structure_is_accessible(client, world):
    html = page(client, "/nko/search?q=наркотики")

    assert html.count("<h1") == 1
    assert re.search(r'<form[^>]+role="search"[^>]+aria-label=', html)
    assert re.search(r'<label for="nko-search-page-q">', html)
    assert 'id="nko-search-page-q" name="q" value="наркотики"' in html
    assert '<p role="status" class="nko-search-status">' in html
    assert re.search(r'<ol class="nko-search-hits"[^>]*>\s*<li class="nko-search-hit">\s*<h3>',
                     html)
    # Every filter is a labelled checkbox in a fieldset, its count written out.
    for checkbox_id in re.findall(r'<input type="checkbox" id="([^"]+)"', html):
        assert f'<label for="{checkbox_id}">' in html
    assert "<legend>Категория граждан</legend>" in html
    assert re.search(r'Дети <span class="nko-meta">\(1\)</span>', html)


def test_found_count_uses_plural_forms(client, world):
    assert "Найден 1 результат" in page(client, "/nko/search?q=наркотики")
    html = page(client, "/nko/search?q=пожилым")
    # Four results: the ru catalogue's form, or the plural msgid that reads right for any n.
    assert "Найдено 4 результата" in html or "Найдено результатов: 4" in html
    assert "Ничего не найдено." in page(client, "/nko/search?q=квазар")


def test_filters_live_in_the_url_and_combine(client, world):
    html = page(client, "/nko/search?q=пожилым&fee=free&category=elderly")

    assert sorted(hit_titles(html)) == sorted([
        "Бассейн для пожилых жителей", "Скандинавская ходьба для пожилых",
        "Шахматы для пожилых"])
    assert re.search(r'name="fee" value="free" checked', html)
    assert re.search(r'name="category" value="elderly" checked', html)
    # The search box carries the filters, so new words keep them.
    assert '<input type="hidden" name="fee" value="free">' in html


def test_removing_one_filter_keeps_the_others(client, world):
    html = page(client, "/nko/search?q=пожилым&fee=free&category=elderly")
    links = re.findall(r'<a href="([^"]+)">Стоимость: Бесплатно', html)

    assert len(links) == 1
    query = parse_qs(urlsplit(links[0].replace("&amp;", "&")).query)
    assert query == {"q": ["пожилым"], "category": ["elderly"]}


def test_next_page_link_keeps_words_and_filters(client, world):
    html = page(client, "/nko/search?q=пожилым&category=elderly")
    (next_link,) = re.findall(r'<a rel="next" href="([^"]+)"', html)
    query = parse_qs(urlsplit(next_link.replace("&amp;", "&")).query)

    assert query == {"q": ["пожилым"], "category": ["elderly"], "page": ["2"]}
    second = page(client, next_link.replace("&amp;", "&"))
    assert len(hit_titles(second)) == 1
    assert set(hit_titles(html)).isdisjoint(hit_titles(second))
    assert 'rel="prev"' in second and 'start="4"' in second


def test_user_text_is_escaped(client, world):
    nasty = '<script>alert("x")</script>'
    html = page(client, f"/nko/search?q={nasty}&category={nasty}")

    assert nasty not in html
    assert str(escape(nasty)) in html


def test_results_link_to_public_pages(client, world):
    html = page(client, "/nko/search?q=спортия&type=organization")
    assert 'href="/nko/organizations/sportiya"' in html

    html = page(client, "/nko/search?q=наркотики")
    assert f'href="/nko/projects/{world["project"].uuid}"' in html


def test_unpublished_records_disappear_from_the_page(client, session, world):
    mark_unpublished(session, world["project"], "moderator", "снято")
    session.commit()

    assert "Защитим детей" not in page(client, "/nko/search?q=наркотики")


def test_browsing_without_words_still_offers_filters(client, world):
    html = page(client, "/nko/search")

    assert "Все опубликованные сведения" in html
    assert "<legend>Стоимость</legend>" in html


def test_catalog_has_the_search_box(client, world):
    html = page(client, "/nko/")

    assert 'action="/nko/search"' in html
    assert '<label for="nko-search-q">' in html


def test_a_bad_page_number_is_page_one(client, world):
    html = page(client, "/nko/search?q=пожилым&page=-5")
    assert 'start="1"' in html
