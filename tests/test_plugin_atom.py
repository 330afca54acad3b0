"""Atom feeds of new services and projects: valid RFC 4287 that feedparser reads cleanly."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import feedparser
import pytest
from factories import make_org, make_project, make_service

import nko_atom.entries
from nko_openness.export.exporters import get_exporter
from nko_openness.publishing import workflow

A = "{http://www.w3.org/2005/Atom}"
BASE = "http://localhost/nko"


@pytest.fixture
def app_config():
    return {"NKO_PLUGINS": ["nko_atom"], "NKO_SITE_NAME": "НКО Белогорска"}


@pytest.fixture
def records(session):
    help_org = make_org(session, name="АНО «Рука помощи»", slug="ruka")
    other = make_org(session, name="Фонд «Старшее поколение»", slug="starshee")
    service = make_service(session, help_org, name="Консультация юриста",
                           categories=("disabled",),
                           description='<p>По <a href="https://example.org">записи</a>.</p>')
    project = make_project(session, other, name="Серебряный волонтёр", categories=("elderly",))
    draft = make_service(session, help_org, name="Черновик услуги", publish=False)
    withdrawn = make_project(session, help_org, name="Снятый проект")
    workflow.mark_unpublished(session, withdrawn, "moderator", "устарел")
    session.commit()
    return {"help_org": help_org, "other": other, "service": service, "project": project,
            "draft": draft}


def fetch(client, path):
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    body = response.get_data()
    parsed = feedparser.parse(body)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return parsed, ET.fromstring(body)


def test_the_site_feed_is_valid_atom_with_the_latest_publications(client, records):
    parsed, root = fetch(client, "/nko/feeds/new.atom")
    assert root.tag == f"{A}feed"
    assert root.findtext(f"{A}id").startswith("urn:uuid:")
    assert root.findtext(f"{A}title") == "НКО Белогорска: новые услуги и проекты"
    assert root.findtext(f"{A}updated").endswith("Z")
    links = {link.get("rel"): link.get("href") for link in root.findall(f"{A}link")}
    assert links == {"self": f"{BASE}/feeds/new.atom", "alternate": f"{BASE}/"}
    assert parsed.version == "atom10"

    # Newest publication first; drafts and withdrawn records are not news.
    assert [e.title for e in parsed.entries] == ["Серебряный волонтёр", "Консультация юриста"]
    service = parsed.entries[1]
    assert service.id == f"urn:uuid:{records['service'].uuid}"
    assert service.link == f"{BASE}/services/{records['service'].uuid}"
    assert service.author == "АНО «Рука помощи»"
    assert service.author_detail.href == f"{BASE}/organizations/ruka"
    assert service.content[0].type == "text/html"
    assert '<a href="https://example.org" rel="nofollow noopener">записи</a>' in \
        service.content[0].value
    assert {t.term for t in service.tags} == {"service", "disabled"}
    for element in root.findall(f"{A}entry"):
        for required in ("id", "title", "updated", "author", "content"):
            assert element.find(f"{A}{required}") is not None, required
        assert element.find(f"{A}content").get("type") == "html"


def test_feeds_per_organization_and_per_category(client, records, session):
    parsed, root = fetch(client, "/nko/feeds/organizations/ruka.atom")
    assert [e.title for e in parsed.entries] == ["Консультация юриста"]
    assert parsed.feed.title == "АНО «Рука помощи»: новые услуги и проекты"
    links = {link.get("rel"): link.get("href") for link in root.findall(f"{A}link")}
    assert links["self"] == f"{BASE}/feeds/organizations/ruka.atom"

    parsed, _ = fetch(client, "/nko/feeds/categories/elderly.atom")
    assert [e.title for e in parsed.entries] == ["Серебряный волонтёр"]
    parsed, _ = fetch(client, "/nko/feeds/organizations/starshee.atom")
    assert [e.title for e in parsed.entries] == ["Серебряный волонтёр"]

    assert client.get("/nko/feeds/organizations/no-such-org.atom").status_code == 404
    assert client.get("/nko/feeds/categories/no-such-category.atom").status_code == 404
    workflow.mark_unpublished(session, records["other"], "moderator", "закрыта")
    session.commit()
    assert client.get("/nko/feeds/organizations/starshee.atom").status_code == 404


def test_an_empty_feed_is_still_valid(client):
    parsed, root = fetch(client, "/nko/feeds/new.atom")
    assert parsed.entries == [] and root.find(f"{A}author") is not None


def test_a_rare_category_is_found_beyond_the_outbox_walk(client, records, session,
                                                       monkeypatch):
    monkeypatch.setattr(nko_atom.entries, "CHANGES_PER_STEP", 1)
    monkeypatch.setattr(nko_atom.entries, "MAX_CHANGES_SCANNED", 1)
    parsed, _ = fetch(client, "/nko/feeds/categories/disabled.atom")
    assert [e.title for e in parsed.entries] == ["Консультация юриста"]


def test_the_feed_answers_304_to_a_reader_that_has_it(client, records):
    first = client.get("/nko/feeds/new.atom")
    again = client.get("/nko/feeds/new.atom", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_pages_announce_their_feeds(client, records):
    catalog = client.get("/nko/").get_data(as_text=True)
    assert (f'<link rel="alternate" type="application/atom+xml" href="{BASE}/feeds/new.atom"'
            in catalog)
    org = client.get("/nko/organizations/ruka").get_data(as_text=True)
    assert f'href="{BASE}/feeds/organizations/ruka.atom"' in org
    assert '<nav class="nko-link-list" aria-label="Подписка на новости">' in org
    category = client.get("/nko/categories/elderly").get_data(as_text=True)
    assert f'type="application/atom+xml" href="{BASE}/feeds/categories/elderly.atom"' in category
    service = client.get(f"/nko/services/{records['service'].uuid}").get_data(as_text=True)
    assert "application/atom+xml" not in service


def test_the_feed_is_an_exporter_too(app, session, records):
    exporter = get_exporter(app, "atom")
    assert exporter.media_type == "application/atom+xml; charset=utf-8"
    with app.test_request_context("/"):
        body = "".join(exporter.render(app, session, {"category": "disabled"}))
    parsed = feedparser.parse(body)
    assert not parsed.bozo and [e.title for e in parsed.entries] == ["Консультация юриста"]
