"""Snapshot and changes feed load records in batches of Core rows: the ORM's output exactly."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest
from api_support import ndjson
from factories import make_org, make_project, make_service

from nko_openness import hookimpl
from nko_openness.api import views as api
from nko_openness.export import feed, hsds_query, hsds_rows
from nko_openness.export.hsds import HSDS_TYPES, ExportContext, iso, sub_id, to_hsds
from nko_openness.models import ProjectFunding, ProjectResult
from nko_openness.publishing.workflow import commit_and_announce, mark_unpublished


class DistrictField:
    """A plugin field on every entity, exported, plus an internal one on organizations."""

    @hookimpl
    def nko_extra_fields(self, entity):
        fields = [{"name": "district", "label_ru": "Микрорайон", "type": "text"}]
        if entity == "organization":
            fields.append({"name": "curator_note", "label_ru": "Заметка куратора",
                           "type": "text", "public": False})
        return fields


@pytest.fixture
def app_config():
    return {"NKO_PLUGINS": [DistrictField()]}


@pytest.fixture
def published(session):
    """Five organizations, each with services and a project, categories and plugin values."""
    records = []
    for n in range(5):
        org = make_org(session, categories=("elderly", "children")[: n % 3],
                       phone=f"+7 900 000-00-0{n}", contact_role="приёмная",
                       social_links=[f"https://vk.com/nko{n}"],
                       extra={"district": f"Район {n}", "curator_note": "внутреннее"})
        records.append(org)
        for k in range(2):
            records.append(make_service(session, org, categories=("youth", "elderly")[k:],
                                        extra={"district": f"Район {n}.{k}"},
                                        schedule_description="пн–пт", is_free=bool(k)))
        project = make_project(session, org, categories=("children",),
                               extra={"district": f"Район {n}"},
                               start_date=date(2025, 3, 1))
        project.results = [
            ProjectResult(position=p, indicator=f"Показатель {p}", unit="чел.",
                          planned=Decimal("120"), achieved=Decimal("87.5"))
            for p in (1, 0)
        ]
        project.fundings = [ProjectFunding(position=0, funder="Фонд", amount=Decimal("1500.50"),
                                           award_date=date(2025, 1, 20))]
        session.commit()
        records.append(project)
    hidden = make_service(session, records[0], publish=False)
    return records, hidden


def _one_by_one(engine, ctx, as_of):
    """The item-by-item result: each record through the ORM and to_hsds."""
    items = []
    with feed.consistent_session(engine) as session:
        for model in feed.SNAPSHOT_ORDER:
            for record in hsds_query.iterate(session, model, chunk=1):
                items.append({"seq": as_of, "op": "upsert", "type": HSDS_TYPES[model],
                              "id": str(record.uuid), "modified": iso(record.last_published_at),
                              "data": to_hsds(record, ctx)})
    return items


@pytest.mark.parametrize("internal", [False, True])
@pytest.mark.parametrize("chunk", [1, 3, 1000])
def test_a_snapshot_in_batches_equals_the_item_by_item_result(app, published, chunk, internal):
    engine = app.extensions["nko_openness"].db.engine
    ctx = ExportContext("http://x/nko", internal=internal, app=app)
    expected = _one_by_one(engine, ctx, 7)
    assert len(expected) == 5 * 4
    assert list(feed.snapshot_items(engine, ctx, 7, chunk=chunk)) == expected


def test_plugin_fields_are_in_every_item(app, published):
    records, hidden = published
    engine = app.extensions["nko_openness"].db.engine
    items = list(feed.snapshot_items(engine, ExportContext("http://x/nko", app=app), 0, chunk=2))
    assert len(items) == len(records) and str(hidden.uuid) not in {i["id"] for i in items}
    assert all(i["data"]["extra"]["district"].startswith("Район") for i in items)
    # Internal fields only for token holders.
    assert all("curator_note" not in i["data"]["extra"] for i in items)
    orgs = [i for i in items if i["type"] == "organization"]
    assert [o["data"]["activity_types"] for o in orgs] == [["social_support"]] * 5
    program = next(i["data"] for i in items if i["type"] == "program")
    assert [r["indicator"] for r in program["results"]] == ["Показатель 0", "Показатель 1"]
    assert program["funding"] == [{"funder": "Фонд", "amount": 1500.5, "currency": "RUB",
                                   "award_date": "2025-01-20"}]


def test_changes_page_items_equal_the_orm_serialization(app, session, published):
    records, hidden = published
    withdrawn = records[1]
    commit_and_announce(session, app, mark_unpublished(session, withdrawn, "mod", "нет"))
    engine = app.extensions["nko_openness"].db.engine
    ctx = ExportContext("http://x/nko", app=app)
    page = feed.changes_page(session, ctx, 0, 1000, feed.high_water_mark(engine))
    upserts = {i["id"]: i["data"] for i in page.items if i["op"] == "upsert"}
    public = {str(r.uuid): r for r in records if r is not withdrawn}
    assert set(upserts) == set(public)
    for public_id, record in public.items():
        session.refresh(record)
        assert upserts[public_id] == to_hsds(record, ctx)


def test_the_response_is_the_same_whatever_the_chunk_size(client, published, monkeypatch):
    whole = client.get("/nko/api/v1/snapshot.ndjson")
    monkeypatch.setattr(api, "CHUNK_CHARS", 1)
    response = client.get("/nko/api/v1/snapshot.ndjson", buffered=False)
    chunks = list(response.response)
    response.close()
    assert len(chunks) == 1 + 20 + 1  # header, one per item, trailer
    assert b"".join(c if isinstance(c, bytes) else c.encode() for c in chunks) == whole.data
    lines = ndjson(whole)
    assert lines[-1] == {"type": "end", "count": 20} and len(lines) == 22
    monkeypatch.setattr(api, "CHUNK_CHARS", 4096)
    assert client.get("/nko/api/v1/snapshot.json").get_json()["count"] == 20


def test_sub_id_is_uuid5():
    for n in range(200):
        parent = uuid.uuid4()
        for name in ("phone", f"attribute:дети-{n}", f"website:{n}", ""):
            assert sub_id(parent, name) == str(uuid.uuid5(parent, name))


def test_by_uuid_returns_only_public_records(app, session, published):
    """Liveness is checked in Python: withdrawn, never published, children of a withdrawn
    organization and unknown uuids are left out; everything else is there."""
    records, hidden = published
    withdrawn_org = records[4]
    commit_and_announce(session, app, mark_unpublished(session, withdrawn_org, "mod", "нет"))
    gone = {withdrawn_org.uuid, hidden.uuid, *(r.uuid for r in records[5:8])}
    for model in feed.SNAPSHOT_ORDER:
        mine = [r for r in [*records, hidden] if isinstance(r, model)]
        asked = [r.uuid for r in mine] + [uuid.uuid4()]
        found = hsds_rows.BatchLoader(session, model).by_uuid(asked)
        assert {r.uuid for r in found} == {r.uuid for r in mine} - gone, model
