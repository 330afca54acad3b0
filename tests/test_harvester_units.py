"""The harvester's parts: configuration, snapshot parsing, HTTP retries, matching, scheduling."""

from __future__ import annotations

import io
import json
import re

import httpx
import pytest
from factories import valid_inn, valid_ogrn
from sqlalchemy import select
from test_harvester_support import regional_rows

from nko_openness.harvester import (
    ConfigError,
    FeedClient,
    FeedFormatError,
    Harvester,
    LineProgress,
    RunReport,
    Snapshot,
    SourceConfig,
    SourceResult,
    load_config,
    parse_duration,
    regional,
    run_scheduled,
    store,
)
from nko_openness.harvester.config import parse_config
from nko_openness.harvester.schema import record, source
from nko_openness.harvester.validate import check_page

ORG = "0b6b3f8e-4a6c-4f7e-9a43-8f6f1c0b7a1{}"


def org_item(n: int, seq: int, name="НКО", ogrn=None, inn=None, op="upsert") -> dict:
    ident = ORG.format(n)
    ids = [{"identifier_scheme": s, "identifier": v}
           for s, v in (("RU-OGRN", ogrn), ("RU-INN", inn)) if v]
    data = {"id": ident, "name": name, "organization_identifiers": ids}
    return {"seq": seq, "op": op, "type": "organization", "id": ident,
            "modified": f"2026-01-0{n}T00:00:00Z", "data": data if op == "upsert" else None}


# -- configuration ------------------------------------------------------------------------------


def test_a_config_file_lists_sources_with_tokens_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SVOBODNY_TOKEN", "nko_secret")
    path = tmp_path / "harvest.toml"
    path.write_text('''
database = "sqlite:///replica.sqlite3"
page_size = 200
timeout = 10

[[sources]]
name = "belogorsk"
title = "Белогорск"
url = "https://belogorsk.example/nko/api/"

[[sources]]
name = "svobodny"
url = "https://svobodny.example/nko/api"
token_env = "SVOBODNY_TOKEN"
snapshot_format = "json"
''', encoding="utf-8")
    config = load_config(path)
    assert config.database == "sqlite:///replica.sqlite3"
    assert (config.page_size, config.timeout) == (200, 10.0)
    first, second = config.sources
    assert (first.name, first.label, first.url) == ("belogorsk", "Белогорск",
                                                    "https://belogorsk.example/nko/api")
    assert (second.token, second.snapshot_format, second.label) == ("nko_secret", "json",
                                                                    "svobodny")
    assert "nko_secret" not in repr(second)


@pytest.mark.parametrize(("data", "message"), [
    ({}, "нет источников"),
    ({"sources": [{"name": "a", "url": "ftp://x"}]}, "url должен быть адресом http(s)"),
    ({"sources": [{"name": "a b", "url": "http://x"}]}, "name — латиница"),
    ({"sources": [{"name": "a", "url": "http://x"}, {"name": "a", "url": "http://y"}]},
     "повторяются: a"),
    ({"sources": [{"name": "a", "url": "http://x", "tokn": "1"}]}, "неизвестные параметры tokn"),
    ({"sources": [{"name": "a", "url": "http://x", "token_env": "NKO_NO_SUCH_VAR"}]},
     "NKO_NO_SUCH_VAR"),
    ({"page_size": 5000, "sources": [{"name": "a", "url": "http://x"}]}, "page_size"),
    ({"dtabase": "x", "sources": [{"name": "a", "url": "http://x"}]}, "dtabase"),
])
def test_config_mistakes_are_explained_in_russian(data, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        parse_config(data)


def test_broken_toml_names_the_file(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[[sources]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="Ошибка в файле настроек"):
        load_config(path)
    with pytest.raises(ConfigError, match="не найден"):
        load_config(tmp_path / "missing.toml")


def test_intervals():
    assert parse_duration("15m") == 900
    assert parse_duration("1h30m") == 5400
    assert parse_duration("90") == 90
    assert parse_duration("2d") == 172800
    for bad in ("0s", "soon", "15 minutes", "5m later"):
        with pytest.raises(ConfigError):
            parse_duration(bad)


# -- snapshots ----------------------------------------------------------------------------------


class Trickle(io.RawIOBase):
    """A file that hands out at most three bytes a read: every boundary gets crossed."""

    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def readable(self):
        return True

    def read(self, n=-1):
        chunk = self.data[self.pos:self.pos + 3]
        self.pos += len(chunk)
        return chunk


def json_snapshot(items, count=None, tail="") -> bytes:
    # The module's own layout (api/views.py): header keys, streamed items, a count trailer.
    body = ",".join("\n" + json.dumps(i, ensure_ascii=False) for i in items)
    count = len(items) if count is None else count
    return (f'{{"as_of_seq":12345,"hsds_version":"3.1","items":[{body}\n],"count":{count}}}\n'
            + tail).encode()


def test_json_snapshot_is_read_item_by_item_across_any_boundary():
    items = [org_item(n, 12345, name=f"НКО «Ёлка» №{n}") for n in range(1, 6)]
    snapshot = Snapshot(Trickle(json_snapshot(items)), "json")
    assert snapshot.as_of_seq == 12345
    assert list(snapshot.items()) == items
    empty = Snapshot(io.BytesIO(json_snapshot([])), "json")
    assert list(empty.items()) == []


@pytest.mark.parametrize(("data", "message"), [
    (json_snapshot([org_item(1, 1)])[:-40], "оборван"),
    (json_snapshot([org_item(1, 1)], count=2), "неполон"),
    (json_snapshot([org_item(1, 1)], tail="{}"), "лишние данные"),
    (b'{"as_of_seq": 1, "count": 0}', "нет списка items"),
    (b"[]", "не начинается с объекта"),
])
def test_broken_json_snapshots_are_refused(data, message):
    with pytest.raises(FeedFormatError, match=message):
        list(Snapshot(Trickle(data), "json").items())


def test_ndjson_snapshot_must_end_with_its_count():
    lines = [{"type": "snapshot", "as_of_seq": 7}, org_item(1, 7), {"type": "end", "count": 1}]
    text = "".join(json.dumps(line) + "\n" for line in lines).encode()
    assert [i["id"] for i in Snapshot(io.BytesIO(text), "ndjson").items()] == [ORG.format(1)]
    with pytest.raises(FeedFormatError, match="неполон"):
        list(Snapshot(io.BytesIO(text.replace(b'"count": 1', b'"count": 3')), "ndjson").items())
    with pytest.raises(FeedFormatError, match="as_of_seq"):
        Snapshot(io.BytesIO(b'{"type": "snapshot"}\n'), "ndjson")
    with pytest.raises(FeedFormatError, match="пуст"):
        Snapshot(io.BytesIO(b""), "ndjson")


def test_a_changes_page_must_keep_its_order():
    good = {"items": [org_item(1, 3), org_item(2, 5)], "next": 5, "has_more": False}
    assert check_page(good, 2)[1:3] == (5, False)
    with pytest.raises(FeedFormatError, match="вне порядка"):
        check_page({**good, "items": [org_item(1, 5), org_item(2, 3)]}, 2)
    with pytest.raises(FeedFormatError, match="вне порядка"):
        check_page(good, 4)  # an item at or before the cursor
    with pytest.raises(FeedFormatError, match="неподвижном курсоре"):
        check_page({"items": [], "next": 2, "has_more": True}, 2)


# -- HTTP ---------------------------------------------------------------------------------------


def test_busy_sources_are_retried_as_they_ask_and_a_stored_etag_means_nothing_new():
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if len(seen) == 1:
            return httpx.Response(503, headers={"Retry-After": "1"}, json={"error": {}})
        if request.headers.get("If-None-Match") == '"v1"':
            return httpx.Response(304)
        return httpx.Response(200, headers={"ETag": '"v1"'},
                              json={"items": [], "next": 9, "has_more": False, "latest_seq": 9})

    waits = []
    client = FeedClient("https://city.example/nko/api", token="nko_t", sleep=waits.append,
                        transport=httpx.MockTransport(handler))
    assert client.changes(9, 100) == ([], 9, False, 9, '"v1"')
    assert waits == [1.0]
    assert seen[-1].headers["Authorization"] == "Bearer nko_t"
    assert seen[-1].url.params["after"] == "9" and seen[-1].url.path == "/nko/api/v1/changes"
    assert client.changes(9, 100, etag='"v1"') is None
    client.close()


def test_a_source_whose_outbox_went_back_is_loaded_again_from_its_snapshot(database_url):
    state = {"items": [org_item(1, 40, name="Старая"), org_item(2, 40)], "as_of": 40}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/snapshot.ndjson"):
            lines = [{"type": "snapshot", "as_of_seq": state["as_of"]}, *state["items"],
                     {"type": "end", "count": len(state["items"])}]
            return httpx.Response(200, text="".join(json.dumps(x) + "\n" for x in lines))
        after = int(request.url.params["after"])
        return httpx.Response(200, json={"items": [], "next": max(after, state["as_of"]),
                                         "has_more": False, "latest_seq": state["as_of"]})

    sources = [SourceConfig("city", "https://city.example/nko/api")]
    with Harvester(database_url, sources, transport=httpx.MockTransport(handler)) as harvester:
        assert harvester.run_once().results[0].cursor == 40
        # Restored from an old backup: seq 3 now, and only the first organization, renamed.
        state.update(items=[org_item(1, 3, name="Из резервной копии")], as_of=3)
        result = harvester.run_once().results[0]
        assert result.ok and result.cursor == 3 and "загружена заново" in result.message
        with harvester.engine.connect() as conn:
            names = conn.execute(select(record.c.name)).scalars().all()
    assert names == ["Из резервной копии"]


# -- matching -----------------------------------------------------------------------------------


def test_organizations_are_matched_by_ogrn_then_inn(database_url):
    ogrn, inn = valid_ogrn(7001), valid_inn(7001)
    harvester = Harvester(database_url, [])
    with harvester.engine.begin() as conn:
        ids = [conn.execute(source.insert().values(name=n, url="http://x", status="new",
                                                   applied_total=0)).inserted_primary_key[0]
               for n in ("a", "b", "c")]

    def apply(source_id, *items):
        with harvester.engine.begin() as conn:
            affected = store.Affected()
            store.apply_items(conn, source_id, list(items), affected)
            regional.refresh(conn, affected)

    def groups():
        return sorted(sorted((s["source"], s["id"][-1]) for s in row["sources"])
                      for row in regional_rows(database_url))

    apply(ids[1], org_item(2, 1, name="Только ИНН", inn=inn))
    apply(ids[2], org_item(3, 1, name="Без номеров"), org_item(4, 2, inn="2800000000"))
    assert groups() == [[("b", "2")], [("c", "3")], [("c", "4")]]
    keys = {r["sources"][0]["id"][-1]: r["key"] for r in regional_rows(database_url)}
    # A number with a wrong check digit is never used to match.
    assert keys["2"] == f"inn:{inn}" and keys["4"].startswith("record:")
    # The ОГРН arrives from another municipality: the ИНН-only record joins it.
    apply(ids[0], org_item(1, 1, name="С ОГРН", ogrn=ogrn, inn=inn))
    assert groups() == [[("a", "1"), ("b", "2")], [("c", "3")], [("c", "4")]]
    row = next(r for r in regional_rows(database_url) if r["source_count"] == 2)
    assert (row["key"], row["ogrn"], row["inn"]) == (f"ogrn:{ogrn}", ogrn, inn)
    assert row["name"] == "Только ИНН"  # published last (2026-01-02 against 2026-01-01)
    # It leaves again: the ИНН-only record falls back to a regional record of its own.
    apply(ids[0], org_item(1, 2, op="delete"))
    assert groups() == [[("b", "2")], [("c", "3")], [("c", "4")]]
    assert {r["key"] for r in regional_rows(database_url)} >= {f"inn:{inn}"}
    # Back again, then the whole source is forgotten: the match goes with it.
    apply(ids[0], org_item(1, 3, name="С ОГРН", ogrn=ogrn, inn=inn))
    assert harvester.forget("a") and not harvester.forget("a")
    assert groups() == [[("b", "2")], [("c", "3")], [("c", "4")]]
    harvester.close()


def test_a_cursor_moved_by_another_harvester_is_not_overwritten(database_url):
    harvester = Harvester(database_url, [])
    with harvester.engine.begin() as conn:
        sid = conn.execute(source.insert().values(name="a", url="http://x", status="new",
                                                  applied_total=0, cursor=10)
                           ).inserted_primary_key[0]
    with pytest.raises(store.CursorMoved, match="другим процессом"), \
            harvester.engine.begin() as conn:
        store.claim_cursor(conn, sid, 5, 20)
    with harvester.engine.connect() as conn:
        assert conn.execute(select(source.c.cursor)).scalar() == 10
    harvester.close()


# -- runs ---------------------------------------------------------------------------------------


def test_exit_codes():
    ok, bad = SourceResult("a", True, ""), SourceResult("b", False, "")
    assert RunReport([ok, bad]).exit_code() == 0
    assert RunReport([ok, bad]).exit_code(strict=True) == 1
    assert RunReport([bad]).exit_code() == 1
    assert RunReport([ok]).exit_code(strict=True) == 0


def test_scheduled_runs_start_every_interval_and_stop_after_max_runs():
    now = {"t": 0.0}
    durations = iter([10.0, 75.0, 5.0])

    class Fake:
        def run_once(self, only=None):
            now["t"] += next(durations)
            return RunReport([SourceResult("a", True, "")])

    sleeps = []

    def sleep(seconds):
        sleeps.append(seconds)
        now["t"] += seconds

    reports = []
    run_scheduled(Fake(), 60, max_runs=3, sleep=sleep, clock=lambda: now["t"],
                  on_report=reports.append)
    # 10 s run, wait 50; a 75 s run overruns, so the third starts at once.
    assert sleeps == [50.0] and len(reports) == 3


def test_progress_lines_show_records_and_rate():
    now = {"t": 0.0}
    lines = []
    progress = LineProgress(echo=lines.append, interval=5, clock=lambda: now["t"])
    progress.begin("belogorsk", "изменения")
    now["t"] = 2.0
    progress.advance("belogorsk", 100)  # too soon for a line
    now["t"] = 10.0
    progress.advance("belogorsk", 400)
    progress.end("belogorsk")
    assert lines == ["belogorsk: изменения…",
                     "belogorsk: изменения — записей 500, 50 зап./с, 10.0 с",
                     "belogorsk: изменения — записей 500, 50 зап./с, 10.0 с"]


def test_a_second_harvester_on_the_same_replica_skips_its_run(database_url, backend):
    if backend == "sqlite":
        pytest.skip("SQLite has one writer at a time; the lock is PostgreSQL's")
    first = Harvester(database_url, [SourceConfig("a", "http://127.0.0.1:9/nko/api")])
    second = Harvester(database_url, first.sources, lock_wait=0.2, sleep=lambda s: None)
    with first._run_lock() as locked:
        assert locked
        report = second.run_once()
    assert report.results == [] and "уже обновляет эту реплику" in report.skipped
    assert report.exit_code() == 0
    assert second.run_once().results[0].name == "a"  # released: the next run goes ahead
    first.close()
    second.close()
