"""The Resource Centre push against a real HTTP receiver that fails, times out and recovers."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from factories import make_org, make_project, make_service
from sqlalchemy import select

import nko_resource_centre
from nko_openness.export import feed, hsds
from nko_openness.models import Change
from nko_openness.publishing import workflow
from nko_resource_centre import state
from nko_resource_centre.delivery import backoff, deliver_pass

SECRET = "общий-секрет-for-tests"
TIMEOUT = 0.25


class Receiver:
    """The Resource Centre's side: verifies signatures, answers as the test scripts it."""

    def __init__(self):
        self.mode = "ok"  # ok | fail | slow | flaky (every other request fails)
        self.requests: list[dict] = []  # everything that arrived
        self.acked: list[dict] = []  # items answered 2xx in time: the acknowledged ones
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
                signed = hmac.compare_digest(self.headers.get("X-NKO-Signature", ""), expected)
                item = json.loads(body)
                with receiver.lock:
                    mode = receiver.mode
                    receiver.requests.append({"item": item, "signed": signed, "mode": mode,
                                              "key": self.headers.get("Idempotency-Key")})
                    if mode == "flaky":
                        failing = len(receiver.requests) % 2 == 1
                    else:
                        failing = mode == "fail"
                if not signed:
                    return self._answer(401)
                if failing:
                    return self._answer(500)
                if mode == "slow":
                    time.sleep(TIMEOUT + 0.25)  # processed, but the answer comes too late
                    return self._answer(200)
                with receiver.lock:
                    receiver.acked.append(item)
                self._answer(200)

            def _answer(self, status):
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/nko-push"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    found = Receiver()
    yield found
    found.stop()


@pytest.fixture
def rc_config(receiver):
    return {"NKO_RC_URL": receiver.url, "NKO_RC_SECRET": SECRET, "NKO_RC_TIMEOUT": TIMEOUT,
            "NKO_RC_MAX_ATTEMPTS": 2, "NKO_RC_BACKOFF_BASE": 0.01, "NKO_RC_BACKOFF_MAX": 0.02,
            "NKO_RC_BATCH": 3, "NKO_RC_PUSH_ON_PUBLISH": False}


@pytest.fixture
def app_config(rc_config):
    return {"NKO_PLUGINS": ["nko_resource_centre"], "NKO_BASE_URL": "https://belogorsk.example/nko",
            **rc_config}


def deliver(runner, *args):
    return runner.invoke(args=["nko", "deliver", *args])


def feed_state(app, session) -> dict:
    """What a consumer of the changes feed ends with, from seq 0: (type, id) -> data."""
    ctx = hsds.ExportContext(base_url="https://belogorsk.example/nko", app=app)
    mark = feed.high_water_mark(app.extensions["nko_openness"].db.engine)
    return apply_items(feed.changes_page(session, ctx, 0, 10_000, mark).items)


def apply_items(items) -> dict:
    mirror = {}
    for item in items:
        if item["op"] == "delete":
            mirror.pop((item["type"], item["id"]), None)
        else:
            mirror[(item["type"], item["id"])] = item["data"]
    return mirror


def some_changes(session, n=2):
    org = make_org(session, categories=("disabled",))
    services = [make_service(session, org) for _ in range(n)]
    make_project(session, org)
    return org, services


def test_down_then_timing_out_then_recovering_loses_and_duplicates_nothing(
        app, session, runner, receiver):
    org, services = some_changes(session)

    receiver.mode = "fail"
    result = deliver(runner)
    assert result.exit_code == 1
    assert "приёмник не подтвердил доставку" in result.output and "HTTP 500" in result.output
    assert receiver.acked == [] and len(receiver.requests) == 2  # one item, two attempts
    engine = app.extensions["nko_openness"].db.engine
    assert state.read(engine, "resource_centre").acked_seq == 0
    assert state.read(engine, "resource_centre").failures == 1

    receiver.mode = "slow"
    result = deliver(runner)
    assert result.exit_code == 1 and "timed out" in result.output.lower()
    assert receiver.acked == []

    # Changes keep coming while the receiver is down: an edit, a withdrawal, a new service.
    workflow.mark_unpublished(session, services[0], "moderator", "устарела")
    session.commit()
    services[1].name = "Новое название"
    workflow.mark_published(session, services[1], "moderator")
    session.commit()
    make_service(session, org)

    receiver.mode = "flaky"  # every other request fails: each item needs its retry
    result = deliver(runner)
    assert result.exit_code == 0, result.output
    assert "всё доставлено" in result.output

    seqs = [item["seq"] for item in receiver.acked]
    assert seqs == sorted(set(seqs)), "acknowledged items must be in order and unique"
    assert all(r["signed"] for r in receiver.requests)
    assert apply_items(receiver.acked) == feed_state(app, session)
    latest = session.scalar(select(Change.seq).order_by(Change.seq.desc()).limit(1))
    cursor = state.read(engine, "resource_centre")
    assert cursor.acked_seq == latest and cursor.failures == 0
    assert cursor.delivered == len(receiver.acked)

    # Caught up: another pass sends nothing and exits 0.
    before = len(receiver.requests)
    result = deliver(runner)
    assert result.exit_code == 0 and "доставлено 0" in result.output
    assert len(receiver.requests) == before


def test_the_body_is_the_changes_feed_item_and_the_seq_is_the_idempotency_key(
        app, session, runner, receiver):
    org, _ = some_changes(session, n=1)
    assert deliver(runner).exit_code == 0
    ctx = hsds.ExportContext(base_url="https://belogorsk.example/nko", app=app)
    mark = feed.high_water_mark(app.extensions["nko_openness"].db.engine)
    expected = feed.changes_page(session, ctx, 0, 100, mark).items
    assert receiver.acked == json.loads(json.dumps(expected))
    assert [r["key"] for r in receiver.requests] == [
        f"https://belogorsk.example/nko#{item['seq']}" for item in expected]
    assert receiver.acked[0]["type"] == "organization"
    assert receiver.acked[0]["data"]["id"] == str(org.uuid)

    status = deliver(runner, "--status").output
    assert f"Подтверждено до изменения: {expected[-1]['seq']}" in status
    assert f"Доставлено всего: {len(expected)}" in status
    # A new receiver wants everything again: the cursor goes back and it all comes again.
    assert "установлен на 0" in deliver(runner, "--reset-to", "0").output
    assert deliver(runner).exit_code == 0
    assert receiver.acked == json.loads(json.dumps(expected)) * 2


def test_a_timeout_after_processing_redelivers_the_same_seq(app, session, runner, receiver):
    make_org(session)
    receiver.mode = "slow"
    assert deliver(runner).exit_code == 1
    receiver.mode = "ok"
    assert deliver(runner).exit_code == 0
    # At-least-once: the receiver saw the item twice, under one idempotency key.
    keys = [r["key"] for r in receiver.requests]
    assert len(keys) == 3 and len(set(keys)) == 1
    assert [item["seq"] for item in receiver.acked] == [receiver.requests[0]["item"]["seq"]]


def test_a_receiver_that_is_gone_makes_the_command_fail_with_a_message(
        app, session, runner, receiver):
    make_org(session)
    receiver.stop()
    result = deliver(runner)
    assert result.exit_code == 1
    assert "Connection" in result.output or "refused" in result.output.lower()


def test_loop_mode_keeps_going_until_the_receiver_recovers(app, session, runner, receiver):
    some_changes(session)
    receiver.mode = "fail"
    passes = []
    original = nko_resource_centre.cli.deliver_pass

    def counting_pass(app_):
        passes.append(1)
        if len(passes) == 2:
            receiver.mode = "ok"  # back up before the second pass
        return original(app_)

    nko_resource_centre.cli.deliver_pass = counting_pass
    try:
        result = deliver(runner, "--loop", "--max-passes", "3", "--interval", "0.01")
    finally:
        nko_resource_centre.cli.deliver_pass = original
    assert result.exit_code == 0, result.output
    assert len(passes) == 3
    assert apply_items(receiver.acked) == feed_state(app, session)


def test_nko_after_publish_and_nko_after_unpublish_push_at_once(app, session, receiver):
    app.config["NKO_RC_PUSH_ON_PUBLISH"] = True
    org = make_org(session, publish=False)
    workflow.commit_and_announce(session, app, workflow.mark_published(session, org, "mod"))
    nko_resource_centre.wait_for_pushes(app)
    assert [(i["op"], i["id"]) for i in receiver.acked] == [("upsert", str(org.uuid))]

    outcome = workflow.mark_unpublished(session, org, "moderator", "по просьбе НКО")
    workflow.commit_and_announce(session, app, outcome)
    nko_resource_centre.wait_for_pushes(app)
    assert [(i["op"], i["id"]) for i in receiver.acked][-1] == ("delete", str(org.uuid))


def test_a_second_runner_waits_for_the_lease(app, session, receiver):
    make_org(session)
    engine = app.extensions["nko_openness"].db.engine
    state.ensure_tables(engine)
    assert state.acquire_lease(engine, "resource_centre", "other-runner", 60)
    assert deliver_pass(app).status == "busy"
    assert receiver.requests == []
    state.release_lease(engine, "resource_centre", "other-runner")
    assert deliver_pass(app).status == "ok" and len(receiver.acked) == 1


@pytest.mark.parametrize("rc_config", [{}], indirect=False)
def test_without_an_endpoint_the_plugin_does_nothing_and_says_so(app, session, runner):
    make_org(session)
    result = deliver(runner)
    assert result.exit_code == 0
    assert "NKO_RC_URL не задан" in result.output
    assert deliver_pass(app).status == "disabled"


def test_the_command_refuses_when_the_plugin_is_not_enabled(database_url, tmp_path):
    from conftest import make_app

    other = make_app(database_url, tmp_path)
    result = other.test_cli_runner().invoke(args=["nko", "deliver"])
    assert result.exit_code != 0 and "не включён" in result.output
    other.extensions["nko_openness"].db.engine.dispose()


def test_backoff_is_exponential_capped_and_jittered():
    assert backoff(1, 1, 60, rand=lambda: 0) == 0.5
    assert backoff(1, 1, 60, rand=lambda: 1) == 1
    assert backoff(4, 1, 60, rand=lambda: 1) == 8
    assert backoff(20, 1, 60, rand=lambda: 1) == 60
    assert 30 <= backoff(20, 1, 60) <= 60
