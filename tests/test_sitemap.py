"""sitemap.xml: every published page and nothing else, streamed in id order, split when large."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from factories import make_org, make_project, make_service

from nko_openness.catalog import structured, structured_data

NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def locs(response, tag="url"):
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    root = ET.fromstring(response.data)
    return [e.findtext("sm:loc", namespaces=NS) for e in root.findall(f"sm:{tag}", NS)]


@pytest.fixture
def world(session):
    org = make_org(session, slug="sportiya", categories=["youth"])
    service = make_service(session, org, name="Секция")
    project = make_project(session, org, name="Стартуют все")
    draft_service = make_service(session, org, name="Черновик", publish=False)
    hidden = make_org(session, slug="hidden", publish=False)
    hidden_service = make_service(session, hidden, name="Услуга скрытой НКО")
    return {"org": org, "service": service, "project": project, "draft": draft_service,
            "hidden": hidden, "hidden_service": hidden_service}


def test_sitemap_lists_published_pages_only(client, world):
    response = client.get("/nko/sitemap.xml")
    urls = locs(response)
    base = "http://localhost/nko"
    assert urls[:2] == [f"{base}/", f"{base}/categories/"]
    assert f"{base}/categories/elderly" in urls
    assert f"{base}/organizations/sportiya" in urls
    assert f"{base}/services/{world['service'].uuid}" in urls
    assert f"{base}/projects/{world['project'].uuid}" in urls
    for hidden in (f"{base}/organizations/hidden", f"{base}/services/{world['draft'].uuid}",
                   f"{base}/services/{world['hidden_service'].uuid}"):
        assert hidden not in urls
    assert len(urls) == len(set(urls))
    root = ET.fromstring(response.data)
    lastmods = [e.findtext("sm:lastmod", namespaces=NS) for e in root.findall("sm:url", NS)]
    assert world["org"].last_published_at.date().isoformat() in lastmods


def test_every_listed_page_opens(client, world):
    for url in locs(client.get("/nko/sitemap.xml")):
        assert client.get(url.removeprefix("http://localhost")).status_code == 200, url


@pytest.mark.parametrize("app_config", [{"NKO_BASE_URL": "https://belogorsk.example/nko"}])
def test_sitemap_uses_the_configured_base_url(client, world):
    urls = locs(client.get("/nko/sitemap.xml"))
    assert all(u.startswith("https://belogorsk.example/nko/") for u in urls)
    assert "https://belogorsk.example/nko/organizations/sportiya" in urls


def test_small_batches_still_cover_every_row(client, session, monkeypatch):
    monkeypatch.setattr(structured_data, "SITEMAP_BATCH", 2)
    slugs = {make_org(session).slug for _ in range(5)}
    urls = locs(client.get("/nko/sitemap.xml"))
    listed = {u.rsplit("/", 1)[1] for u in urls if "/organizations/" in u}
    assert listed == slugs


def test_large_sites_get_an_index_of_id_ranges(client, session, world, monkeypatch):
    full = set(locs(client.get("/nko/sitemap.xml")))
    monkeypatch.setattr(structured, "SITEMAP_MAX_URLS", 2)
    for _ in range(3):
        make_org(session)
    index = locs(client.get("/nko/sitemap.xml"), tag="sitemap")
    assert index[0] == "http://localhost/nko/sitemap-section.xml"
    assert "http://localhost/nko/sitemap-organizations-0.xml" in index
    seen = []
    for part in index:
        urls = locs(client.get(part.removeprefix("http://localhost")))
        if part != index[0]:
            assert len(urls) <= 2
        seen += urls
    assert len(seen) == len(set(seen))
    assert full <= set(seen)
    assert len([u for u in seen if "/organizations/" in u]) == 4  # sportiya and three more


def test_unknown_sitemap_part_is_404(client):
    assert client.get("/nko/sitemap-users-0.xml").status_code == 404
