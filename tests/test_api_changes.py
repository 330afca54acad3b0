"""The changes feed: upserts carry published objects, deletes are tombstones, no drafts leak."""

from __future__ import annotations

import html
import re
import threading
import time

import pytest
from api_support import Consumer, published_set, stage_edit
from factories import make_org, make_project, make_service

from nko_openness.models import Change
from nko_openness.publishing.workflow import (
    approve,
    commit_and_announce,
    mark_deleted,
    mark_published,
    mark_unpublished,
)


def feed(client, query="after=0&limit=1000", **kwargs):
    response = client.get(f"/nko/api/v1/changes?{query}", **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_publication_history_reaches_the_consumer(session, client, app):
    org = make_org(session, name="НКО «Рассвет»")
    service = make_service(session, org, name="Консультации юриста")
    make_service(session, org, name="Черновик", publish=False)
    page = feed(client)
    assert [(i["op"], i["type"], i["data"]["name"]) for i in page["items"]] == [
        ("upsert", "organization", "НКО «Рассвет»"), ("upsert", "service", "Консультации юриста")]
    assert page["has_more"] is False and page["next"] == page["latest_seq"]
    item = page["items"][1]
    assert list(item) == ["seq", "op", "type", "id", "modified", "data"]
    assert item["id"] == str(service.uuid) and item["modified"].endswith("Z")

    commit_and_announce(session, app, mark_unpublished(session, service, "mod", "устарело"))
    after_unpublish = feed(client, f"after={page['next']}")
    assert after_unpublish["items"] == [{
        "seq": after_unpublish["next"], "op": "delete", "type": "service",
        "id": str(service.uuid), "modified": after_unpublish["items"][0]["modified"],
        "data": None}]

    # Deleting an organization withdraws it and its live children.
    project = make_project(session, org, name="Проект")
    cursor = feed(client)["next"]
    commit_and_announce(session, app, mark_deleted(session, org, "mod"))
    tombstones = feed(client, f"after={cursor}")["items"]
    assert {(i["op"], i["type"], i["id"]) for i in tombstones} == {
        ("delete", "organization", str(org.uuid)), ("delete", "program", str(project.uuid))}


def test_an_upsert_withdrawn_later_is_left_out_and_its_tombstone_follows(session, client, app):
    org = make_org(session)
    service = make_service(session, org, name="Сначала видна")
    first_seq = feed(client)["items"][0]["seq"]
    commit_and_announce(session, app, mark_unpublished(session, service, "mod", "нет"))
    items = feed(client, f"after={first_seq}&limit=1")["items"]
    # The service's upsert row is the only row on this page, but it is no longer public.
    assert items == []
    rest = Consumer(client, limit=1)
    rest.pages()
    assert rest.replica == published_set(client)
    assert ("service", str(service.uuid)) not in rest.replica


def test_an_entity_appears_once_per_page_with_its_latest_state(session, client, app):
    org = make_org(session)
    service = make_service(session, org, name="v1")
    for n in (2, 3):
        stage_edit(session, service, name=f"v{n}")
        commit_and_announce(session, app, approve(session, service, "mod", service.version))
    items = [i for i in feed(client)["items"] if i["type"] == "service"]
    assert [(i["op"], i["data"]["name"]) for i in items] == [("upsert", "v3")]
    assert len(session.query(Change).filter_by(entity_uuid=service.uuid).all()) == 3


def test_a_draft_edit_of_a_published_record_never_leaks(session, client, app):
    org = make_org(session)
    service = make_service(session, org, name="Опубликованное имя")
    stage_edit(session, service, name="ЧЕРНОВИК-КАНАРЕЙКА", description="<p>секрет</p>")
    session.commit()
    for url in ("/nko/api/v1/changes?after=0", "/nko/api/v1/snapshot.json",
                "/nko/api/hsds/services", f"/nko/api/hsds/services/{service.uuid}",
                "/nko/api/hsds/services?format=ndjson"):
        body = client.get(url).get_data(as_text=True)
        assert "КАНАРЕЙКА" not in body and "секрет" not in body, url
        assert "Опубликованное имя" in body, url
    commit_and_announce(session, app, approve(session, service, "mod", service.version))
    assert "ЧЕРНОВИК-КАНАРЕЙКА" in client.get("/nko/api/v1/changes?after=0").get_data(
        as_text=True)


def test_an_organization_coming_back_brings_its_children(session, client, app):
    org = make_org(session)
    service = make_service(session, org)
    commit_and_announce(session, app, mark_unpublished(session, org, "mod", "пауза"))
    cursor = feed(client)["next"]
    assert published_set(client) == {}
    commit_and_announce(session, app, mark_published(session, org, "mod"))
    items = feed(client, f"after={cursor}")["items"]
    assert [(i["op"], i["type"]) for i in items] == [("upsert", "organization"),
                                                    ("upsert", "service")]
    assert items[1]["id"] == str(service.uuid)


def test_following_next_with_small_pages_gives_the_published_set(session, client, app):
    orgs = [make_org(session) for _ in range(3)]
    for org in orgs:
        make_service(session, org)
        make_project(session, org)
    commit_and_announce(session, app, mark_unpublished(session, orgs[1], "mod", "нет"))
    consumer = Consumer(client, limit=2)
    assert consumer.pages() > 3
    assert consumer.dump() == Consumer.dump_of(published_set(client))


def test_a_cursor_from_the_future_gets_an_empty_page(session, client):
    make_org(session)
    page = feed(client, "after=999999")
    assert page["items"] == [] and page["has_more"] is False and page["next"] == 999999
    assert page["latest_seq"] < 999999
    assert feed(client, f"after={2**63 - 1}")["items"] == []


BAD_QUERIES = [
    "after=-1", "after=abc", "after=1.5", "after=1e3", "after=%00", f"after={2**63}",
    "after=" + "9" * 40, "limit=0", "limit=1001", "limit=-5", "limit=ten", "after=%D9%A3",
]


def test_malformed_cursors_and_limits_are_a_clear_400(client):
    for query in BAD_QUERIES:
        response = client.get(f"/nko/api/v1/changes?{query}")
        assert response.status_code == 400, query
        error = response.get_json()["error"]
        assert error["code"] == "bad_parameter" and error["parameter"] in query
        assert error["message"].startswith("Параметр")
        assert error["message_en"].startswith("Parameter")


def test_feed_data_is_what_the_public_pages_show(session, client):
    """Every text the anonymous feed carries appears on the record's public page."""
    org = make_org(session, name="АНО «Открытость»", alternate_name="АНО Открытость",
                   description="<p>Описание <b>НКО</b></p>", mission="<p>Миссия НКО</p>",
                   phone="+7 111 222-33-44", email="open@example.ru",
                   website="https://open.example.ru", contact_role="председатель",
                   address="г. Белогорск, ул. Ленина, 1", kpp="280401001",
                   social_links=["https://vk.com/open"], year_incorporated=2010,
                   minjust_reports_url="https://unro.minjust.ru/x", categories=["elderly"])
    make_service(session, org, name="Услуга для проверки", url="https://open.example.ru/s",
                 eligibility_description="Пенсионеры", application_process="Позвонить",
                 fees_description="Бесплатно", schedule_description="пн–пт",
                 service_area="Белогорск", address="ул. Мира, 2", email="s@example.ru",
                 phone="+7 999 000-00-00", contact_role="куратор", categories=["elderly"])
    make_project(session, org, name="Проект для проверки", description="<p>О проекте</p>",
                 tasks="<p>Задачи</p>", geography="Амурская область", partners="Администрация",
                 url="https://open.example.ru/p")
    skip = {"id", "organization_id", "service_id", "link_id", "taxonomy_term_id", "uri",
            "last_modified", "legal_form", "legal_status", "activity_types", "status",
            "value", "link_type", "link_entity", "identifier_scheme", "identifier_type",
            "currency", "option", "modified", "start_date", "end_date"}
    checked = 0
    for item in feed(client)["items"]:
        page = client.get(item["data"]["uri"].replace("http://localhost", ""))
        assert page.status_code == 200
        text = html.unescape(page.get_data(as_text=True))
        for key, value in _leaves(item["data"]):
            if key in skip or not isinstance(value, str):
                continue
            assert value in text, f"{item['type']}.{key} = {value!r} is not on the public page"
            checked += 1
    assert checked > 30


def _leaves(data, key=None):
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _leaves(v, k)
    elif isinstance(data, list):
        for v in data:
            yield from _leaves(v, key)
    else:
        yield key, data


def test_pages_read_a_fixed_number_of_queries(session, client, app):
    from sqlalchemy import event

    engine = app.extensions["nko_openness"].db.engine
    statements = []

    def count(*_args):
        statements.append(1)

    def queries(limit):
        statements.clear()
        event.listen(engine, "before_cursor_execute", count)
        try:
            feed(client, f"after=0&limit={limit}")
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(statements)

    org = make_org(session)
    make_service(session, org)
    make_project(session, org)
    few = queries(3)
    for _ in range(4):
        make_service(session, org, categories=["elderly"])
        make_project(session, org, categories=["youth"])
    assert queries(1000) == few


def test_a_reader_never_skips_a_seq_that_is_still_being_committed(session, app, client):
    """PostgreSQL hands out seq 10 and 11 to two transactions; 11 may commit first."""
    engine = app.extensions["nko_openness"].db.engine
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has a single writer: seqs become visible in order")
    org = make_org(session)
    cursor = feed(client)["next"]
    slow = engine.connect()
    slow_tx = slow.begin()
    slow.execute(Change.__table__.insert().values(entity_type="organization",
                                                  entity_uuid=org.uuid, op="upsert"))
    # A second publisher commits a later seq while the first is still open.
    with engine.begin() as fast:
        fast.execute(Change.__table__.insert().values(entity_type="organization",
                                                      entity_uuid=org.uuid, op="upsert"))
    result = {}

    def read():
        result["page"] = feed(client, f"after={cursor}")

    reader = threading.Thread(target=read)
    reader.start()
    time.sleep(0.5)
    assert reader.is_alive(), "the reader must wait for the open publisher"
    slow_tx.commit()
    slow.close()
    reader.join(10)
    seqs = [i["seq"] for i in result["page"]["items"]]
    # Both rows are there (one item: the same entity twice collapses to its latest row).
    assert result["page"]["next"] == max(seqs) == cursor + 2


def test_a_publisher_stuck_mid_commit_gives_503_not_a_gap(session, app, client, monkeypatch):
    engine = app.extensions["nko_openness"].db.engine
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    from nko_openness.export import feed as feed_service

    monkeypatch.setattr(feed_service, "LOCK_TIMEOUT_MS", 200)
    org = make_org(session)
    with engine.connect() as stuck:
        stuck.execute(Change.__table__.insert().values(entity_type="organization",
                                                       entity_uuid=org.uuid, op="upsert"))
        response = client.get("/nko/api/v1/changes?after=0")
        stuck.rollback()
    assert response.status_code == 503 and response.headers["Retry-After"] == "1"
    assert response.get_json()["error"]["code"] == "busy"
    assert re.match(r"\d+", response.headers["Retry-After"])


def test_a_page_holding_several_rows_of_one_entity_applies_the_last(session, client, app):
    org = make_org(session)
    back = make_service(session, org, name="Вернётся")
    gone = make_service(session, org, name="Уйдёт")
    consumer = Consumer(client, limit=50)
    consumer.pages()
    # Withdrawn and published again, and edited then withdrawn, all within the next page.
    commit_and_announce(session, app, mark_unpublished(session, back, "mod", "пауза"))
    commit_and_announce(session, app, approve(session, back, "mod", back.version))
    stage_edit(session, gone, name="Уйдёт, изменена")
    commit_and_announce(session, app, approve(session, gone, "mod", gone.version))
    commit_and_announce(session, app, mark_unpublished(session, gone, "mod", "всё"))
    assert consumer.pages() == 1
    assert ("service", str(back.uuid)) in consumer.replica
    assert ("service", str(gone.uuid)) not in consumer.replica
    assert consumer.dump() == Consumer.dump_of(published_set(client))
