"""Helpers for the export API tests: HSDS schema validation and a tiny feed consumer."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from conftest import shared_path
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from nko_openness.export import hsds

BASE = "https://hsds.example/3.1/schema/"


@cache
def _registry(profile_json: str) -> Registry:
    folder: Path = shared_path("standards", "hsds-3.1")
    patches = json.loads(profile_json)["schemas"]
    resources = []
    for path in folder.glob("*.json"):
        if path.name == "openapi.json":
            continue
        schema = json.loads(path.read_text("utf-8"))
        if path.name in patches:
            schema = hsds.merge_patch(schema, patches[path.name])
        resources.append((BASE + path.name,
                          Resource.from_contents(schema, default_specification=DRAFT202012)))
    return Registry().with_resources(resources)


def validator(hsds_type: str, profile: dict | None = None) -> Draft202012Validator:
    """A validator for one HSDS object type with the profile's merge patches applied."""
    profile = profile or hsds.profile(None)
    registry = _registry(json.dumps(profile, sort_keys=True))
    return Draft202012Validator({"$ref": BASE + f"{hsds_type}.json"}, registry=registry,
                                format_checker=FormatChecker())


def assert_valid(hsds_type: str, obj: dict, profile: dict | None = None) -> None:
    errors = sorted(validator(hsds_type, profile).iter_errors(obj), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


def ndjson(response) -> list:
    return [json.loads(line) for line in response.get_data(as_text=True).splitlines() if line]


class Consumer:
    """A Resource Centre in miniature: a replica keyed by (type, id) and a cursor."""

    def __init__(self, client, headers=None, limit=7):
        self.client, self.headers, self.limit = client, headers or {}, limit
        self.replica: dict[tuple[str, str], dict] = {}
        self.cursor = 0

    def apply(self, item: dict) -> None:
        key = (item["type"], item["id"])
        if item["op"] == "upsert":
            self.replica[key] = item["data"]
        else:
            self.replica.pop(key, None)

    def pages(self, max_pages: int | None = None) -> int:
        """Follow ``next`` until ``has_more`` is false (or ``max_pages``); returns pages read."""
        read = 0
        while max_pages is None or read < max_pages:
            response = self.client.get(f"/nko/api/v1/changes?after={self.cursor}"
                                       f"&limit={self.limit}", headers=self.headers)
            assert response.status_code == 200, response.get_data(as_text=True)
            page = response.get_json()
            for item in page["items"]:
                self.apply(item)
            self.cursor = page["next"]
            read += 1
            if not page["has_more"]:
                break
        return read

    def bootstrap(self) -> None:
        response = self.client.get("/nko/api/v1/snapshot.ndjson", headers=self.headers)
        assert response.status_code == 200
        lines = ndjson(response)
        assert lines[0]["type"] == "snapshot" and lines[-1] == {"type": "end",
                                                                 "count": len(lines) - 2}
        self.replica = {}
        for item in lines[1:-1]:
            self.apply(item)
        self.cursor = lines[0]["as_of_seq"]

    def dump(self) -> str:
        return canonical(self.replica)


def canonical(replica: dict) -> str:
    return json.dumps(sorted(replica.items()), ensure_ascii=False)


def published_set(client, headers=None) -> dict[tuple[str, str], dict]:
    """What the HSDS API lists right now (a separate code path from the feed)."""
    found = {}
    for kind, hsds_type in (("organizations", "organization"), ("services", "service"),
                            ("programs", "program")):
        response = client.get(f"/nko/api/hsds/{kind}?format=ndjson", headers=headers or {})
        assert response.status_code == 200
        for obj in ndjson(response):
            found[(hsds_type, obj["id"])] = obj
    return found


def stage_edit(session, record, **changes) -> None:
    """An editor's save: a live record keeps its row and gets a draft revision (cabinet rules)."""
    from nko_openness.models import Revision
    from nko_openness.publishing.workflow import apply_snapshot, entity_type, save_revision
    from nko_openness.publishing.workflow import snapshot as record_snapshot

    data = {**record_snapshot(record), **changes}
    if not record.live:
        apply_snapshot(session, record, data)
        save_revision(session, record, "editor")
        return
    record.version += 1
    record.has_unpublished_changes = True
    session.add(Revision(entity_type=entity_type(record), entity_uuid=record.uuid,
                         number=record.version, data=data, author_id="editor"))
    session.flush()


Consumer.dump_of = staticmethod(canonical)
