"""The HSDS 3.1 API subset: published data only, valid against HSDS and the ru-nko profile."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from api_support import assert_valid, ndjson
from factories import make_org, make_project, make_service

from nko_openness.export import hsds
from nko_openness.models import ProjectFunding, ProjectResult
from nko_openness.publishing.workflow import mark_unpublished


@pytest.fixture
def data(session):
    org = make_org(session, name="АНО «Добрые руки»", categories=["elderly", "disabled"],
                   activities=["social_support", "charity_volunteering"], kpp="280401001",
                   phone="+7 (41641) 2-00-00", email="ruki@example.ru",
                   website="https://ruki.example.ru", contact_role="приёмная",
                   social_links=["https://vk.com/ruki"], year_incorporated=2015,
                   description="<p>Помогаем пожилым</p>", in_registry=True)
    service = make_service(session, org, name="Сиделка на дому", categories=["elderly"],
                           phone="+7 900 000-00-00", minimum_age=60, service_area="Белогорск",
                           schedule_description="пн–пт 9–18", is_free=True)
    project = make_project(session, org, name="Тёплый дом", categories=["elderly"],
                           start_date=date(2025, 3, 1), end_date=date(2026, 2, 28),
                           tasks="<ul><li>одна</li></ul>")
    project.results = [ProjectResult(position=0, indicator="Получатели помощи", unit="чел.",
                                     planned=Decimal("120"), achieved=Decimal("87.5"))]
    project.fundings = [ProjectFunding(position=0, funder="Фонд президентских грантов",
                                       programme="Конкурс 2025", amount=Decimal("1500000.00"),
                                       award_date=date(2025, 1, 20))]
    session.commit()
    other = make_org(session, name="Клуб «Спорт»", categories=["youth"])
    sport = make_service(session, other, name="Футбол во дворе", categories=["youth"])
    draft = make_service(session, org, name="Черновик услуги", publish=False)
    hidden_org = make_org(session, name="Скрытая НКО")
    hidden_child = make_service(session, hidden_org, name="Услуга скрытой НКО")
    mark_unpublished(session, hidden_org, "mod", "проверка")
    session.commit()
    return {"org": org, "service": service, "project": project, "other": other,
            "sport": sport, "draft": draft, "hidden_org": hidden_org,
            "hidden_child": hidden_child}


def test_root_points_to_profile_and_openapi(client, app):
    body = client.get("/nko/api/hsds/").get_json()
    assert body["version"] == "3.1"
    assert body["profile"] == "http://localhost/nko/api/hsds/profile"
    assert body["openapi_url"] == "http://localhost/nko/api/openapi.json"
    assert client.get("/nko/api/hsds/profile").get_json()["name"] == "ru-nko"


def test_every_object_validates_against_hsds_and_the_profile(client, data):
    for kind, hsds_type in (("organizations", "organization"), ("services", "service"),
                            ("programs", "program")):
        page = client.get(f"/nko/api/hsds/{kind}").get_json()
        assert page["contents"], kind
        for obj in page["contents"]:
            assert_valid(hsds_type, obj)
            single = client.get(f"/nko/api/hsds/{kind}/{obj['id']}")
            assert single.status_code == 200
            assert single.get_json() == obj
    for term in client.get("/nko/api/hsds/taxonomy_terms").get_json()["contents"]:
        assert_valid("taxonomy_term", term)
    for taxonomy in client.get("/nko/api/hsds/taxonomies").get_json()["contents"]:
        assert_valid("taxonomy", taxonomy)


def test_profile_rejects_undocumented_fields_and_bad_codes(data, client):
    org = client.get(f"/nko/api/hsds/organizations/{data['org'].uuid}").get_json()
    with pytest.raises(AssertionError):
        assert_valid("organization", {**org, "secret_note": "x"})
    with pytest.raises(AssertionError):
        assert_valid("organization", {**org, "legal_form": "llc"})
    program = client.get(f"/nko/api/hsds/programs/{data['project'].uuid}").get_json()
    with pytest.raises(AssertionError):
        assert_valid("program", {**program, "results": [{"unit": "чел."}]})


def test_organization_carries_russian_identifiers_and_profile_fields(data, client):
    org = data["org"]
    body = client.get(f"/nko/api/hsds/organizations/{org.uuid}").get_json()
    schemes = {i["identifier_scheme"]: i["identifier"] for i in body["organization_identifiers"]}
    assert schemes == {"RU-OGRN": org.ogrn, "RU-INN": org.inn}
    assert body["tax_id"] == org.inn and body["kpp"] == "280401001"
    assert body["legal_form"] == "ano"
    assert body["legal_status"].startswith("Автономная некоммерческая")
    assert body["activity_types"] == ["charity_volunteering", "social_support"]
    assert body["uri"] == f"http://localhost/nko/organizations/{org.slug}"
    assert body["additional_websites"][0]["url"] == "https://vk.com/ruki"
    assert body["phones"][0]["number"] == "+7 (41641) 2-00-00"
    assert body["in_registry"] is True
    terms = {a["value"]: a["taxonomy_term_id"] for a in body["attributes"]}
    assert terms == {"elderly": hsds.term_id("elderly"), "disabled": hsds.term_id("disabled")}
    # Nested ids are stable: the same object twice is byte for byte the same.
    again = client.get(f"/nko/api/hsds/organizations/{org.uuid}").get_data()
    assert again == client.get(f"/nko/api/hsds/organizations/{org.uuid}").get_data()


def test_program_has_goal_results_and_funding(data, client):
    body = client.get(f"/nko/api/hsds/programs/{data['project'].uuid}").get_json()
    assert body["organization_id"] == str(data["org"].uuid)
    assert body["goal"] == "<p>Цель проекта</p>"
    assert body["start_date"] == "2025-03-01" and body["end_date"] == "2026-02-28"
    assert body["results"] == [{"indicator": "Получатели помощи", "unit": "чел.",
                                "planned": 120, "achieved": 87.5}]
    assert body["funding"] == [{"funder": "Фонд президентских грантов",
                                "programme": "Конкурс 2025", "amount": 1500000,
                                "currency": "RUB", "award_date": "2025-01-20"}]


def test_only_published_records_are_listed(data, client):
    names = {s["name"] for s in client.get("/nko/api/hsds/services").get_json()["contents"]}
    assert names == {"Сиделка на дому", "Футбол во дворе"}
    orgs = {o["name"] for o in client.get("/nko/api/hsds/organizations").get_json()["contents"]}
    assert "Скрытая НКО" not in orgs
    for record, kind in ((data["draft"], "services"), (data["hidden_child"], "services"),
                         (data["hidden_org"], "organizations")):
        assert client.get(f"/nko/api/hsds/{kind}/{record.uuid}").status_code == 404


def test_filters(data, client):
    def names(query):
        response = client.get(f"/nko/api/hsds/services?{query}")
        assert response.status_code == 200, response.get_data(as_text=True)
        return {s["name"] for s in response.get_json()["contents"]}

    assert names(f"organization_id={data['other'].uuid}") == {"Футбол во дворе"}
    assert names(f"taxonomy_term_id={hsds.term_id('youth')}") == {"Футбол во дворе"}
    assert names("taxonomy_term_id=elderly") == {"Сиделка на дому"}
    assert names("taxonomy_term_id=no-such-term") == set()
    assert names("search=сиделка") == {"Сиделка на дому"}
    assert names("search=ФУТБОЛ") == {"Футбол во дворе"}
    assert names("search=50%25_") == set()
    assert names("modified_after=2000-01-01") == {"Сиделка на дому", "Футбол во дворе"}
    assert names("modified_after=2999-01-01T00:00:00Z") == set()
    orgs = client.get("/nko/api/hsds/organizations?taxonomy_term_id=youth").get_json()
    assert [o["name"] for o in orgs["contents"]] == ["Клуб «Спорт»"]


def test_page_envelope_and_links(data, client):
    first = client.get("/nko/api/hsds/services?per_page=1&search=%D0%B0").get_json()
    assert first["total_items"] == 2 and first["total_pages"] == 2
    assert first["page_number"] == 1 and first["size"] == 1
    assert first["first_page"] and not first["last_page"] and not first["empty"]
    response = client.get(first["links"]["next"].replace("http://localhost", ""))
    second = response.get_json()
    assert second["last_page"] and second["links"]["next"] is None
    assert {first["contents"][0]["id"], second["contents"][0]["id"]} == {
        str(data["service"].uuid), str(data["sport"].uuid)}
    assert 'rel="prev"' in response.headers["Link"] and "search=%D0%B0" in response.headers["Link"]
    beyond = client.get("/nko/api/hsds/services?page=9").get_json()
    assert beyond["contents"] == [] and beyond["last_page"]
    empty = client.get("/nko/api/hsds/services?search=nothing-like-this").get_json()
    assert empty["empty"] and empty["total_items"] == 0


def test_ndjson_streams_everything_and_minimal_is_small(data, client):
    response = client.get("/nko/api/hsds/services?format=ndjson&per_page=1")
    assert response.mimetype == "application/x-ndjson"
    assert {s["name"] for s in ndjson(response)} == {"Сиделка на дому", "Футбол во дворе"}
    small = client.get("/nko/api/hsds/services?minimal=true").get_json()["contents"]
    assert all(set(s) == {"id", "last_modified"} for s in small)


def test_taxonomy_terms_are_hierarchical_and_stable(session, client):
    page = client.get("/nko/api/hsds/taxonomy_terms").get_json()
    by_code = {t["code"]: t for t in page["contents"]}
    assert by_code["orphans"]["parent_id"] == hsds.term_id("children")
    assert by_code["orphans"]["taxonomy_id"] == hsds.BENEFICIARY_TAXONOMY_ID
    top = client.get("/nko/api/hsds/taxonomy_terms?top_only=true").get_json()["contents"]
    assert "orphans" not in {t["code"] for t in top} and "children" in {t["code"] for t in top}
    children = client.get(f"/nko/api/hsds/taxonomy_terms?parent_id={hsds.term_id('children')}")
    assert "orphans" in {t["code"] for t in children.get_json()["contents"]}
    one = client.get(f"/nko/api/hsds/taxonomy_terms/{hsds.term_id('orphans')}").get_json()
    assert one == by_code["orphans"]
    assert client.get("/nko/api/hsds/taxonomy_terms/nope").status_code == 404
    assert client.get(f"/nko/api/hsds/taxonomies/{hsds.BENEFICIARY_TAXONOMY_ID}").status_code \
        == 200


def test_queries_do_not_grow_with_the_page(session, client, app):
    from sqlalchemy import event

    org = make_org(session)
    for _ in range(3):
        make_service(session, org, categories=["youth"])
    engine = app.extensions["nko_openness"].db.engine
    counted = []

    def count(*_args):
        counted.append(1)

    def statements(url):
        counted.clear()
        event.listen(engine, "before_cursor_execute", count)
        try:
            assert client.get(url).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(counted)

    few = statements("/nko/api/hsds/services?per_page=1")
    for _ in range(6):
        make_service(session, org, categories=["elderly", "youth"])
    assert statements("/nko/api/hsds/services?per_page=9") == few
