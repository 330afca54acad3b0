"""A source that is down or sends garbage never stops the others, and is reported in Russian."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from click.testing import CliRunner
from factories import make_org, make_project, make_service
from sqlalchemy import create_engine, select
from test_harvester_support import LiveSite, assert_mirrors, replica_records

from nko_openness.harvester import Harvester, SourceConfig
from nko_openness.harvester.cli import main
from nko_openness.harvester.schema import source

ORG_ID = "0b6b3f8e-4a6c-4f7e-9a43-8f6f1c0b7a11"
GOOD_ITEM = {"seq": 5, "op": "upsert", "type": "organization", "id": ORG_ID,
             "modified": "2026-01-01T00:00:00Z", "data": {"id": ORG_ID, "name": "НКО"}}
HEADER = {"type": "snapshot", "as_of_seq": 5}
END = {"type": "end", "count": 1}


def ndjson(*lines) -> bytes:
    return "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines).encode()


# What the garbage source answers: (snapshot status, snapshot body, changes status, body).
GOOD_SNAPSHOT = (200, ndjson(HEADER, GOOD_ITEM, END))
EMPTY_PAGE = json.dumps({"items": [], "next": 5, "has_more": False, "latest_seq": 5}).encode()
MODES = {
    "http_500": ((500, b"<h1>Internal Server Error</h1>"), (500, b"")),
    "snapshot_not_json": ((200, b"<html>not json</html>\n"), (200, EMPTY_PAGE)),
    "snapshot_truncated": ((200, ndjson(HEADER, GOOD_ITEM)), (200, EMPTY_PAGE)),
    "snapshot_bad_item": ((200, ndjson(HEADER, {**GOOD_ITEM, "data": {"id": ORG_ID}}, END)),
                          (200, EMPTY_PAGE)),
    "changes_not_json": (GOOD_SNAPSHOT, (200, b"{\"items\": [")),
    "changes_bad_item": (GOOD_SNAPSHOT, (200, json.dumps({
        "items": [{**GOOD_ITEM, "seq": 6, "op": "remove"}], "next": 6, "has_more": False,
        "latest_seq": 6}).encode())),
    "changes_no_cursor": (GOOD_SNAPSHOT, (200, b"{\"items\": []}")),
    "unauthorized": ((401, json.dumps({"error": {"message": "Токен неизвестен или отозван."}})
                      .encode()), (401, b"")),
    "timeout": ((200, None), (200, None)),
}
MESSAGES = {
    "http_500": "ответил ошибкой HTTP 500",
    "snapshot_not_json": "Не JSON в первая строка снимка",
    "snapshot_truncated": "Снимок оборван: нет строки конца",
    "snapshot_bad_item": "у записи нет названия",
    "changes_not_json": "Источник вернул не JSON",
    "changes_bad_item": "op должен быть upsert или delete",
    "changes_no_cursor": "next=None",
    "unauthorized": "отказал в доступе (HTTP 401): проверьте токен: Токен неизвестен",
    "timeout": "не ответил за 0.5 с",
    "refused": "недоступен",
}


class GarbageSource:
    """A tiny http.server that answers the feed's URLs the way ``mode`` says."""

    def __init__(self, mode: str):
        snapshot, changes = MODES[mode]

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                status, body = snapshot if "/snapshot." in self.path else changes
                if body is None:
                    time.sleep(2)  # longer than the harvester's timeout
                    body = b""
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/nko/api"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def healthy(tmp_path_factory):
    site = LiveSite(tmp_path_factory.mktemp("healthy"), "belogorsk")
    with site.session() as session:
        for n in range(3):
            org = make_org(session, name=f"Здоровая НКО {n}")
            make_service(session, org)
            make_project(session, org)
    yield site
    site.close()


def closed_port_url() -> str:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = server.server_port
    server.server_close()
    return f"http://127.0.0.1:{port}/nko/api"


def test_broken_sources_are_reported_and_the_healthy_one_is_mirrored(database_url, healthy):
    # Every kind of garbage at once, before the healthy source: none of them stops the run.
    garbage = {mode: GarbageSource(mode) for mode in MODES}
    urls = {mode: server.url for mode, server in garbage.items()} | {"refused": closed_port_url()}
    sources = [SourceConfig(mode, url) for mode, url in urls.items()]
    sources.append(SourceConfig("belogorsk", healthy.url))
    try:
        with Harvester(database_url, sources, timeout=0.5, page_size=50) as harvester:
            report = harvester.run_once()
            status = {row["name"]: row for row in harvester.status()}
    finally:
        for server in garbage.values():
            server.close()
    *bad, good = report.results
    assert good.ok and good.bootstrapped, good.message
    assert_mirrors(database_url, healthy, "belogorsk")
    assert report.exit_code() == 0 and report.exit_code(strict=True) == 1
    for result in bad:
        mode = result.name
        assert not result.ok and MESSAGES[mode] in result.message, (mode, result.message)
        assert status[mode]["status"] == "error" and status[mode]["message"] == result.message
        # Whatever came before the garbage is kept, and nothing of the garbage is applied.
        kept = {("organization", ORG_ID)} if mode.startswith("changes_") else set()
        assert set(replica_records(database_url, mode)) == kept, mode
        assert status[mode]["cursor"] == (5 if kept else None), mode


def test_the_cli_reports_each_source_and_fails_only_when_all_fail(database_url, healthy,
                                                                 tmp_path):
    garbage = GarbageSource("http_500")
    config = tmp_path / "harvest.toml"
    config.write_text(f'''
database = "{database_url}"
timeout = 5

[[sources]]
name = "garbage"
url = "{garbage.url}"

[[sources]]
name = "belogorsk"
title = "Белогорск"
url = "{healthy.url}"
''', encoding="utf-8")
    runner = CliRunner()
    try:
        mixed = runner.invoke(main, ["harvest", "-c", str(config), "--no-progress"])
        strict = runner.invoke(main, ["harvest", "-c", str(config), "--strict",
                                      "--no-progress"])
        alone = runner.invoke(main, ["harvest", "-c", str(config), "-s", "garbage",
                                     "--no-progress"])
    finally:
        garbage.close()
    assert mixed.exit_code == 0, mixed.output
    assert "ОШИБКА garbage: Источник 127.0.0.1:" in mixed.output
    assert "ОК     belogorsk: Загружен снимок" in mixed.output
    assert "Итого источников: 2, с ошибкой: 1." in mixed.output
    assert strict.exit_code == 1 and "ОК     belogorsk: Новых изменений нет" in strict.output
    assert alone.exit_code == 1 and "belogorsk" not in alone.output

    shown = runner.invoke(main, ["status", "-c", str(config)])
    assert shown.exit_code == 0
    assert "garbage: статус error, записей 0, курсор нет (нужен снимок)" in shown.output
    assert "belogorsk: статус ok" in shown.output


def test_a_source_that_recovers_catches_up_from_where_it_stopped(database_url, healthy):
    engine = create_engine(database_url)
    with Harvester(database_url, [SourceConfig("belogorsk", closed_port_url())]) as harvester:
        assert not harvester.run_once().results[0].ok
    with Harvester(database_url, [SourceConfig("belogorsk", healthy.url)],
                   page_size=7) as harvester:
        result = harvester.run_once().results[0]
    assert result.ok and result.bootstrapped
    assert_mirrors(database_url, healthy, "belogorsk")
    with engine.connect() as conn:
        assert conn.execute(select(source.c.url)).scalar() == healthy.url
    engine.dispose()


def test_the_json_snapshot_bootstraps_the_same_replica(database_url, healthy):
    sources = [SourceConfig("belogorsk", healthy.url, snapshot_format="json")]
    with Harvester(database_url, sources) as harvester:
        result = harvester.run_once().results[0]
    assert result.ok and result.bootstrapped, result.message
    assert_mirrors(database_url, healthy, "belogorsk")


def test_scheduled_mode_runs_until_max_runs_and_shows_progress(database_url, healthy, tmp_path):
    config = tmp_path / "harvest.toml"
    config.write_text(f'database = "{database_url}"\n\n[[sources]]\nname = "belogorsk"\n'
                      f'url = "{healthy.url}"\n', encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(main, ["harvest", "-c", str(config), "--every", "1s",
                                  "--max-runs", "2", "--progress-interval", "0"])
    assert result.exit_code == 0, result.output
    assert result.output.count("Итого источников: 1, с ошибкой: 0.") == 2
    # Not a terminal: plain lines with the record count and the rate.
    assert "belogorsk: применение снимка…" in result.stderr
    assert "belogorsk: изменения — записей 0, " in result.stderr and "зап./с" in result.stderr
    for args, message in ((["--once", "--every", "5m"], "либо --once, либо --every"),
                          (["--max-runs", "2"], "только вместе с --every"),
                          (["--every", "soon"], "Непонятный интервал"),
                          (["-s", "nowhere"], "Нет таких источников в настройках: nowhere")):
        wrong = runner.invoke(main, ["harvest", "-c", str(config), *args])
        assert wrong.exit_code == 2 and message in wrong.output, wrong.output
    missing = runner.invoke(main, ["harvest", "-c", str(tmp_path / "none.toml")])
    assert missing.exit_code == 2 and "Файл настроек не найден" in missing.output
    reset = runner.invoke(main, ["reset", "-c", str(config), "belogorsk"])
    assert reset.exit_code == 0 and "будет загружен снимок" in reset.output
    again = runner.invoke(main, ["harvest", "-c", str(config), "--no-progress"])
    assert again.exit_code == 0 and "Загружен снимок" in again.output
    assert_mirrors(database_url, healthy, "belogorsk")
    gone = runner.invoke(main, ["forget", "-c", str(config), "belogorsk", "--yes"])
    assert gone.exit_code == 0 and "удалены" in gone.output
    assert "Реплика пуста" in runner.invoke(main, ["status", "-c", str(config)]).output
