"""The example site's own plugin: its fields reach forms, pages and the catalog; its footer."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from examples.host_site.app import create_app
from nko_openness.devdata.demo import load_demo
from nko_openness.fields.forms import extend_form
from nko_openness.fields.specs import field_specs
from nko_openness.migrate import upgrade
from nko_openness.models import Organization, Project

PLUGIN = "examples.host_site.local_plugin"


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


def test_the_example_site_enables_its_local_plugin(site):
    assert PLUGIN in site.config["NKO_PLUGINS"]
    assert [s.name for s in field_specs(site, "project")] == ["district", "nko_day"]
    assert [s.name for s in field_specs(site, "organization")] == ["district"]
    result = site.test_cli_runner().invoke(args=["nko", "plugins"])
    assert f"{PLUGIN} [module]: nko_extra_fields, nko_page_context" in result.output


def test_the_fields_appear_in_the_project_form(site):
    from nko_openness.cabinet.forms import ProjectForm

    form_class = extend_form(ProjectForm, site, "project")
    with site.test_request_context():
        form = form_class()
        assert str(form.extra_district.label.text) == "Микрорайон Белогорска"
        assert ("whole_city", "Весь город") in [(v, str(label)) for v, label, *_ in
                                                form.extra_district.iter_choices()]
        assert "Да" in form.extra_nko_day()


def test_values_show_on_pages_and_filter_the_catalog(site):
    with site.app_context():
        session = site.extensions["nko_openness"].db.session
        project = session.scalars(select(Project).where(Project.live.is_(True))).first()
        project.extra = {"district": "north", "nko_day": True}
        org = project.organization
        org.extra = {"district": "north"}
        others = session.scalars(select(Organization).where(Organization.live.is_(True),
                                                            Organization.id != org.id)).all()
        session.commit()
        project_uuid, org_slug, org_name = project.uuid, org.slug, org.name
        other_names = [o.name for o in others]

    client = site.test_client()
    page = client.get(f"/nko/projects/{project_uuid}").get_data(as_text=True)
    assert re.search(r"Микрорайон Белогорска</dt>\s*<dd[^>]*>Северный</dd>", page)
    assert re.search(r"Участвует в Дне НКО</dt>\s*<dd[^>]*>Да</dd>", page)
    assert "Северный" in client.get(f"/nko/organizations/{org_slug}").get_data(as_text=True)

    catalog = client.get("/nko/?extra_district=north").get_data(as_text=True)
    assert 'name="extra_district"' in catalog
    assert org_name.replace("\"", "&#34;") in catalog or org_name in catalog
    assert not [name for name in other_names if f">{name}</a>" in catalog]


def test_the_footer_shows_the_curator_on_nko_pages(site):
    client = site.test_client()
    nko_page = client.get("/nko/").get_data(as_text=True)
    footer = nko_page[nko_page.index('<footer class="site-footer">'):]
    assert "Отдел по работе с общественными организациями" in footer
    assert '<a href="tel:+74164100000">+7 (41641) 0-00-00</a>' in footer
    assert "Отдел по работе с общественными организациями" not in client.get(
        "/").get_data(as_text=True)  # the host's own pages do not call the hook
