"""The snapshot: the whole published set with as_of_seq, consistent, streamed in constant memory."""

from __future__ import annotations

import json
import tracemalloc
import uuid

import pytest
from api_support import Consumer, canonical, ndjson, published_set
from factories import make_org, make_service
from sqlalchemy import insert

from nko_openness.export import feed
from nko_openness.export.hsds import ExportContext
from nko_openness.models import Organization
from nko_openness.publishing.workflow import commit_and_announce, mark_unpublished


def test_json_and_ndjson_carry_the_published_set_and_as_of_seq(session, client, app):
    org = make_org(session)
    make_service(session, org)
    hidden = make_service(session, org, publish=False)
    response = client.get("/nko/api/v1/snapshot.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    body = json.loads(response.get_data(as_text=True))
    latest = client.get("/nko/api/v1/changes?after=0").get_json()["latest_seq"]
    assert body["as_of_seq"] == latest == int(response.headers["X-NKO-As-Of-Seq"])
    assert body["count"] == len(body["items"]) == 2
    assert [i["type"] for i in body["items"]] == ["organization", "service"]
    assert str(hidden.uuid) not in response.get_data(as_text=True)
    item = body["items"][1]
    assert list(item) == ["seq", "op", "type", "id", "modified", "data"]
    assert item["op"] == "upsert" and item["seq"] == latest
    replica = {(i["type"], i["id"]): i["data"] for i in body["items"]}
    assert canonical(replica) == canonical(published_set(client))

    lines = ndjson(client.get("/nko/api/v1/snapshot.ndjson"))
    assert lines[0]["type"] == "snapshot" and lines[0]["as_of_seq"] == latest
    assert lines[0]["changes_url"].endswith(f"/nko/api/v1/changes?after={latest}")
    assert lines[1:-1] == body["items"] and lines[-1] == {"type": "end", "count": 2}


def test_an_empty_site_has_an_empty_snapshot(client):
    body = client.get("/nko/api/v1/snapshot.json").get_json()
    assert body["items"] == [] and body["count"] == 0 and body["as_of_seq"] == 0


def test_bootstrap_then_follow_converges(session, client, app):
    org = make_org(session)
    service = make_service(session, org)
    consumer = Consumer(client)
    consumer.bootstrap()
    commit_and_announce(session, app, mark_unpublished(session, service, "mod", "нет"))
    make_service(session, org, name="Новая услуга")
    consumer.pages()
    assert consumer.dump() == canonical(published_set(client))


def _wal(engine) -> None:
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA journal_mode=WAL")


def test_snapshot_sees_one_moment_while_publishers_write(session, app):
    """Rows committed while the snapshot streams are not in it (one transaction)."""
    engine = app.extensions["nko_openness"].db.engine
    _wal(engine)
    first = make_org(session, name="Первая")
    mark = feed.high_water_mark(engine)
    items = feed.snapshot_items(engine, ExportContext("http://x/nko"), mark.seq, chunk=1)
    assert next(items)["id"] == str(first.uuid)
    # A second organization is published while the snapshot is half-way through.
    make_org(session, name="Вторая")
    assert list(items) == []


def test_sqlite_without_wal_never_blocks_publishers(session, app, client):
    engine = app.extensions["nko_openness"].db.engine
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite journal modes only")
    # The module turns WAL on for its own files; a host's shared engine may not have it.
    engine.dispose()
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode=DELETE").scalar() == "delete"
    make_org(session, name="Первая")
    consumer = Consumer(client)
    consumer.cursor = feed.high_water_mark(engine).seq
    items = feed.snapshot_items(engine, ExportContext("http://localhost/nko"), consumer.cursor,
                                chunk=1)
    consumer.apply(next(items))
    make_org(session, name="Вторая")  # would raise "database is locked" under a read lock
    for item in items:
        consumer.apply(item)
    consumer.pages()
    assert consumer.dump() == canonical(published_set(client))


def _bulk_orgs(session, start: int, n: int) -> None:
    rows = [{"slug": f"bulk-{i}", "name": f"Организация {i}", "sort_name": f"организация {i}",
             "legal_form": "ano", "description": "<p>" + "Описание деятельности. " * 20 + "</p>",
             "live": True, "status": "published", "social_links": [], "extra": {},
             "uuid": uuid.uuid4()}
            for i in range(start, start + n)]
    session.execute(insert(Organization), rows)
    session.commit()


def _peak(engine, chunk: int) -> tuple[int, int]:
    ctx = ExportContext("http://x/nko")
    tracemalloc.start()
    try:
        count = sum(1 for _ in feed.snapshot_items(engine, ctx, 0, chunk=chunk))
        return count, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_snapshot_memory_does_not_grow_with_the_data(session, app):
    engine = app.extensions["nko_openness"].db.engine
    _bulk_orgs(session, 0, 150)
    _peak(engine, chunk=50)  # warm caches (compiled SQL, mappers) before measuring
    small_count, small = _peak(engine, chunk=50)
    _bulk_orgs(session, 150, 1350)
    big_count, big = _peak(engine, chunk=50)
    assert (small_count, big_count) == (150, 1500)
    # Ten times the records: an accumulating dump would need ~10x; streaming stays flat.
    assert big < small * 2, (small, big)
