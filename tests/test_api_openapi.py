"""The OpenAPI 3.1 description: every route documented, examples and live answers valid."""

from __future__ import annotations

import json
import re

import pytest
from api_support import assert_valid, ndjson
from factories import make_org, make_project, make_service
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from nko_openness.export import hsds

DOC_URI = "https://nko.example/openapi.json"


@pytest.fixture
def doc(client):
    response = client.get("/nko/api/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def validator(doc, ref: str) -> Draft202012Validator:
    registry = Registry().with_resource(
        DOC_URI, Resource.from_contents(doc, default_specification=DRAFT202012))
    return Draft202012Validator({"$ref": DOC_URI + ref}, registry=registry,
                                format_checker=FormatChecker())


def check(doc, ref: str, instance) -> None:
    errors = list(validator(doc, ref).iter_errors(instance))
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors]


def test_every_route_is_documented(app, doc):
    assert doc["openapi"].startswith("3.1")
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("nko_api.") and rule.endpoint != "nko_api.unknown":
            path = rule.rule.removeprefix("/nko/api")
            routes.add(re.sub(r"<[^>]+>", "{id}", path))
    assert routes == set(doc["paths"])
    for path, item in doc["paths"].items():
        operation = item["get"]
        assert operation["summary"] and "200" in operation["responses"], path
        if "{id}" in path:
            assert {"$ref": "#/components/parameters/id"} in operation["parameters"], path


def test_examples_are_valid(doc):
    schemas = doc["components"]["schemas"]
    examples = {name: s["example"] for name, s in schemas.items() if "example" in s}
    assert {"Organization", "Service", "Program", "ChangesPage", "Error", "Snapshot"} <= set(
        examples)
    for name, example in examples.items():
        check(doc, f"#/components/schemas/{name}", example)
    # The HSDS objects are held to the full HSDS 3.1 schemas and the profile, too.
    assert_valid("organization", examples["Organization"])
    assert_valid("service", examples["Service"])
    assert_valid("program", examples["Program"])
    for item in examples["ChangesPage"]["items"] + examples["Snapshot"]["items"]:
        if item["data"] is not None:
            assert_valid(item["type"], item["data"])


def test_live_answers_match_the_documented_schemas(session, client, doc):
    org = make_org(session, categories=["elderly"])
    service = make_service(session, org)
    project = make_project(session, org)
    ids = {"/hsds/organizations/{id}": org.uuid, "/hsds/services/{id}": service.uuid,
           "/hsds/programs/{id}": project.uuid,
           "/hsds/taxonomies/{id}": hsds.BENEFICIARY_TAXONOMY_ID,
           "/hsds/taxonomy_terms/{id}": hsds.term_id("elderly")}
    checked = 0
    for path, item in doc["paths"].items():
        url = "/nko/api" + path.replace("{id}", str(ids.get(path, "")))
        response = client.get(url)
        assert response.status_code == 200, url
        content = item["get"]["responses"]["200"].get("content", {})
        media = response.mimetype
        assert media in content, (url, media)
        schema = content[media]["schema"]
        ref_doc = {**doc, "x-check": schema}
        if media == "application/x-ndjson":
            for line in ndjson(response):
                check(ref_doc, "#/x-check", line)
        else:
            check(ref_doc, "#/x-check", json.loads(response.get_data(as_text=True)))
        checked += 1
    assert checked == len(doc["paths"])


def test_documented_errors_match(client, doc):
    response = client.get("/nko/api/v1/changes?after=x")
    assert response.status_code == 400
    check(doc, "#/components/schemas/Error", response.get_json())
    assert "400" in doc["paths"]["/v1/changes"]["get"]["responses"]
