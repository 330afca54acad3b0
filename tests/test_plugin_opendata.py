"""The open-data sets (methodology v3.0): register, passports, structures, data, links."""

from __future__ import annotations

import csv
import io
import re

import pytest
from factories import make_org, make_project, make_service

import nko_opendata.files
from nko_openness import hookimpl
from nko_openness.export.exporters import exporters
from nko_openness.publishing import workflow

INN = "2804008317"
BASE = "http://localhost/nko"


class CityFields:
    @hookimpl
    def nko_extra_fields(self, entity):
        if entity == "project":
            return [
                {"name": "district", "label_ru": "Микрорайон", "label_en": "District",
                 "type": "choice", "choices": [("north", "Северный"), ("south", "Южный")]},
                {"name": "nko_day", "label_ru": "Участвует в Дне НКО", "type": "boolean"},
                {"name": "budget_code", "label_ru": "Код бюджета", "public": False},
                {"name": "note", "label_ru": "Заметка", "exported": False},
            ]


@pytest.fixture
def app_config():
    return {"NKO_PLUGINS": ["nko_opendata", CityFields()], "NKO_OPENDATA_OWNER_INN": INN,
            "NKO_OPENDATA_CREATOR": "Администрация города Белогорск",
            "NKO_OPENDATA_PUBLISHER_NAME": "Иванова Мария Петровна",
            "NKO_OPENDATA_PUBLISHER_EMAIL": "opendata@belogorsk.example"}


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.status_code
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    body = response.get_data()
    assert not body.startswith(b"\xef\xbb\xbf")  # UTF-8 without a byte order mark
    return list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))


def path_of(url: str) -> str:
    assert url.startswith(BASE + "/"), url
    return url[len("http://localhost"):]


def passport(client, identifier) -> dict[str, str]:
    rows = read_csv(client.get(f"/nko/opendata/{identifier}/meta.csv"))
    assert rows[0] == ["property", "value"]
    return dict(rows[1:])


@pytest.fixture
def records(session):
    org = make_org(session, name="АНО «Рука помощи»", categories=("disabled",))
    hidden_org = make_org(session, name="Черновик", publish=False)
    service = make_service(session, org, name="Юридическая консультация", is_free=True,
                           description="<p>Раз в неделю, <b>бесплатно</b>.</p>")
    make_service(session, org, name="Неопубликованная услуга", publish=False)
    make_service(session, hidden_org, name="Услуга черновика")
    project = make_project(session, org, name="Доступная среда", categories=("disabled",),
                           extra={"district": "north", "nko_day": True, "budget_code": "77",
                                  "note": "для себя"})
    gone = make_project(session, org, name="Снятый проект")
    workflow.mark_unpublished(session, gone, "moderator", "по просьбе НКО")
    session.commit()
    return {"org": org, "service": service, "project": project}


def test_the_register_lists_three_sets_with_their_passports(client, records):
    rows = read_csv(client.get("/nko/opendata/list.csv"))
    assert rows[0] == ["property", "title", "value", "format"]
    assert rows[1] == ["standardversion", "Версия методических рекомендаций",
                       "http://opendata.gosmonitor.ru/standard/3.0", ""]
    assert [r[0] for r in rows[2:]] == [f"{INN}-nkoorganizations", f"{INN}-nkoservices",
                                        f"{INN}-nkoprojects"]
    for identifier, _title, url, fmt in rows[2:]:
        assert url == f"{BASE}/opendata/{identifier}/meta.csv" and fmt == "csv"
        assert client.get(path_of(url)).status_code == 200


def test_each_passport_links_its_current_data_and_structure(client, records):
    meta = passport(client, f"{INN}-nkoprojects")
    assert meta["standardversion"] == "http://opendata.gosmonitor.ru/standard/3.0"
    assert meta["identifier"] == f"{INN}-nkoprojects"
    assert meta["title"] == "Проекты социально ориентированных НКО"
    assert meta["creator"] == "Администрация города Белогорск"
    assert meta["format"] == "csv" and meta["subject"] and meta["description"]
    assert meta["publishername"] == "Иванова Мария Петровна"
    assert meta["publishermbox"] == "opendata@belogorsk.example"
    assert "publisherphone" not in meta  # not configured: left out, not empty
    assert re.fullmatch(r"\d{8}", meta["created"]) and meta["modified"] >= meta["created"]
    data_keys = [k for k in meta if k.startswith("data-")]
    structure_keys = [k for k in meta if k.startswith("structure-")]
    assert len(data_keys) == 1 and len(structure_keys) == 1
    assert re.fullmatch(r"data-\d{8}-structure-\d{8}", data_keys[0])
    assert data_keys[0] == f"data-{meta['modified']}-{structure_keys[0]}"
    assert meta[data_keys[0]].endswith(f"/{data_keys[0]}.csv")
    assert client.get(path_of(meta[structure_keys[0]])).status_code == 200


def data_and_structure(client, identifier):
    meta = passport(client, identifier)
    data_url = next(v for k, v in meta.items() if k.startswith("data-"))
    structure_url = next(v for k, v in meta.items() if k.startswith("structure-"))
    return read_csv(client.get(path_of(data_url))), read_csv(client.get(path_of(structure_url)))


def test_data_has_published_records_only_with_public_exported_plugin_fields(client, records):
    data, structure = data_and_structure(client, f"{INN}-nkoprojects")
    header = data[0]
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", name) for name in header)
    assert structure[0] == ["field name", "english description", "russian description",
                            "format"]
    assert [row[0] for row in structure[1:]] == header
    assert header[-2:] == ["extra_district", "extra_nko_day"]  # not internal, not unexported
    formats = {row[0]: row[3] for row in structure[1:]}
    assert formats["extra_nko_day"] == "boolean" and formats["start_date"] == "date"
    assert {row[0]: row[2] for row in structure[1:]}["extra_district"] == "Микрорайон"

    rows = [dict(zip(header, row, strict=True)) for row in data[1:]]
    assert [r["name"] for r in rows] == ["Доступная среда"]
    project = rows[0]
    assert project["id"] == str(records["project"].uuid)
    assert project["organization_name"] == "АНО «Рука помощи»"
    assert project["extra_district"] == "Северный" and project["extra_nko_day"] == "true"
    assert "77" not in data[1] and "для себя" not in data[1]
    assert project["page_url"] == f"{BASE}/projects/{records['project'].uuid}"


def test_services_data_is_plain_text_of_public_services_of_public_organizations(client, records):
    data, _ = data_and_structure(client, f"{INN}-nkoservices")
    rows = [dict(zip(data[0], row, strict=True)) for row in data[1:]]
    assert [r["name"] for r in rows] == ["Юридическая консультация"]
    assert rows[0]["description"] == "Раз в неделю, бесплатно."
    assert rows[0]["is_free"] == "true"
    assert rows[0]["organization_inn"] == records["org"].inn
    data, _ = data_and_structure(client, f"{INN}-nkoorganizations")
    assert [row[data[0].index("name")] for row in data[1:]] == ["АНО «Рука помощи»"]


def test_stable_links_redirect_to_the_current_version(client, records):
    meta = passport(client, f"{INN}-nkoservices")
    current = next(v for k, v in meta.items() if k.startswith("data-"))
    for name in ("data.csv", "data-20200101-structure-20200101.csv"):
        response = client.get(f"/nko/opendata/{INN}-nkoservices/{name}")
        assert response.status_code == 302 and response.headers["Location"] == current
    assert client.get(f"/nko/opendata/{INN}-nkoservices/structure-19990101.csv"
                      ).status_code == 404
    assert client.get("/nko/opendata/0000000000-nkoservices/meta.csv").status_code == 404
    assert client.get(f"/nko/opendata/{INN}-nkoservices/other.txt").status_code == 404


def test_data_is_streamed_in_chunks(client, records, session, monkeypatch):
    for n in range(4):
        make_service(session, records["org"], name=f"Услуга {n}")
    monkeypatch.setattr(nko_opendata.files, "ROWS_PER_CHUNK", 2)
    meta = passport(client, f"{INN}-nkoservices")
    url = next(v for k, v in meta.items() if k.startswith("data-"))
    response = client.get(path_of(url))
    assert response.is_streamed
    chunks = list(response.response)
    assert len(chunks) >= 3
    assert sum(c.decode("utf-8").count("\r\n") for c in chunks) == 1 + 5


def test_the_catalog_links_the_open_data(client, records):
    page = client.get("/nko/").get_data(as_text=True)
    assert '<nav class="nko-link-list" aria-label="Открытые данные">' in page
    assert f'href="{BASE}/opendata/list.csv"' in page
    assert f'href="{BASE}/opendata/{INN}-nkoprojects/data.csv"' in page
    assert "Открытые данные" not in client.get(
        f"/nko/organizations/{records['org'].slug}").get_data(as_text=True)


def test_the_data_files_are_exporters(app):
    found = exporters(app)
    assert {"opendata-nkoorganizations", "opendata-nkoservices",
            "opendata-nkoprojects"} <= set(found)
    assert found["opendata-nkoprojects"].media_type == "text/csv; charset=utf-8"


def test_identifiers_without_an_owner_inn(app, client, records):
    app.config["NKO_OPENDATA_OWNER_INN"] = None
    rows = read_csv(client.get("/nko/opendata/list.csv"))
    assert [r[0] for r in rows[2:]] == ["nkoorganizations", "nkoservices", "nkoprojects"]
    assert passport(client, "nkoservices")["identifier"] == "nkoservices"


def test_the_example_site_runs_all_first_party_plugins(database_url, tmp_path):
    import feedparser

    from examples.host_site.app import create_app
    from nko_openness.devdata.demo import load_demo
    from nko_openness.migrate import upgrade

    site = create_app({"TESTING": True, "NKO_DATABASE_URL": database_url,
                       "NKO_UPLOAD_FOLDER": str(tmp_path / "uploads"),
                       "NKO_RC_URL": None, "NKO_RC_SECRET": None})
    try:
        assert {"nko_opendata", "nko_atom", "nko_resource_centre"} <= set(
            site.config["NKO_PLUGINS"])
        upgrade(site, "head")
        with site.app_context():
            load_demo(site.extensions["nko_openness"].db.session, site)
        client = site.test_client()
        register = read_csv(client.get("/nko/opendata/list.csv"))
        for identifier, *_ in register[2:]:
            data, structure = data_and_structure(client, identifier)
            assert len(data) > 1 and [r[0] for r in structure[1:]] == data[0]
        projects, _ = data_and_structure(client, "2804008317-nkoprojects")
        assert "extra_district" in projects[0]  # the city's own field is exported
        parsed = feedparser.parse(client.get("/nko/feeds/new.atom").get_data())
        assert not parsed.bozo and parsed.entries
        result = site.test_cli_runner().invoke(args=["nko", "deliver"])
        assert result.exit_code == 0 and "NKO_RC_URL не задан" in result.output
    finally:
        site.extensions["nko_openness"].db.engine.dispose()
