"""The example municipal site mounts the module and serves the Belogorsk demo end to end."""

from __future__ import annotations

import re

import pytest

from examples.host_site.app import create_app
from nko_openness.devdata.demo import load_demo
from nko_openness.migrate import upgrade


@pytest.fixture
def site(database_url, tmp_path):
    app = create_app({
        "TESTING": True,
        "NKO_DATABASE_URL": database_url,
        "NKO_UPLOAD_FOLDER": str(tmp_path / "uploads"),
    })
    upgrade(app, "head")
    with app.app_context():
        load_demo(app.extensions["nko_openness"].db.session, app)
    yield app
    app.extensions["nko_openness"].db.engine.dispose()


def test_module_pages_are_framed_by_the_host_layout(site):
    client = site.test_client()
    home = client.get("/").get_data(as_text=True)
    assert "Официальный сайт администрации города Белогорск" in home
    catalog = client.get("/nko/").get_data(as_text=True)
    assert 'aria-label="Главное меню"' in catalog  # the host's menu
    assert "Социально ориентированные некоммерческие организации" in catalog
    assert "Раздел «Некоммерческие организации» создан по резолюции" in catalog


def test_resident_reaches_the_resolution_projects_by_following_links(site):
    client = site.test_client()
    catalog = client.get("/nko/?category=youth").get_data(as_text=True)
    org_link = re.search(r'href="(/nko/organizations/[^"]+)">[^<]*СПОРТиЯ', catalog)
    assert org_link, "СПОРТиЯ is listed for young people"
    profile = client.get(org_link.group(1)).get_data(as_text=True)
    project_link = re.search(r'href="(/nko/projects/[^"]+)">Стартуют все<', profile)
    assert project_link
    project = client.get(project_link.group(1)).get_data(as_text=True)
    assert "<h1>Стартуют все</h1>" in project and "Финансирование" in project


def test_demo_drafts_never_reach_the_public(site):
    from sqlalchemy import select

    from nko_openness.models import Organization

    with site.app_context():
        session = site.extensions["nko_openness"].db.session
        drafts = session.scalars(select(Organization).where(Organization.live.is_(False))).all()
        assert drafts
        client = site.test_client()
        catalog_pages = client.get("/nko/").get_data(as_text=True)
        for org in drafts:
            assert client.get(f"/nko/organizations/{org.slug}").status_code == 404
            assert org.name not in catalog_pages
