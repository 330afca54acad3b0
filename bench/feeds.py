"""The export feed: pages of the changes feed, following it, and the snapshot against a plain dump.

The snapshot runs in a child process (``python -m bench.feeds URL ours|baseline``) so its
peak RSS is its own: the VmHWM of a fresh interpreter, imports included.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from dataclasses import dataclass, field

from flask import Flask
from sqlalchemy import func, select

from nko_openness.models import Change

from .stats import Sample, per_call_ms

CHANGES_URL = "/nko/api/v1/changes"
SNAPSHOT_URL = "/nko/api/v1/snapshot.ndjson"
PAGE = 500
# Changes a consumer follows in-process from the start (the harvester follows 100,000 over HTTP).
FOLLOW_LIMIT = 20_000


def has_feed(app: Flask) -> bool:
    return any(rule.rule == CHANGES_URL for rule in app.url_map.iter_rules())


@dataclass
class FeedResult:
    start: Sample = field(default_factory=Sample)  # wall ms
    end: Sample = field(default_factory=Sample)
    start_cpu: Sample = field(default_factory=Sample)  # process CPU ms (SQLite's whole cost)
    end_cpu: Sample = field(default_factory=Sample)
    total_changes: int = 0
    items: dict = field(default_factory=dict)  # items on the page (one per entity at most)


def measure_pages(apps: dict[str, Flask], rounds: int) -> dict[str, FeedResult]:
    """A page of 500 at the start and at the end of the Change table, at each scale.

    Rounds alternate between the scales, as the pages' do, so a burst of load from a
    neighbour slows both sides of a growth ratio alike.
    """
    results, urls = {}, {}
    for scale, app in apps.items():
        with app.app_context():
            session = app.extensions["nko_openness"].db.session
            top = session.scalar(select(func.max(Change.seq))) or 0
        result = results[scale] = FeedResult(total_changes=top)
        client = app.test_client()
        for name, after in (("start", 0), ("end", max(0, top - PAGE))):
            url = f"{CHANGES_URL}?after={after}&limit={PAGE}"
            response = client.get(url)  # also warms the caches before the first round
            assert response.status_code == 200, (url, response.status_code)
            result.items[name] = len(response.get_json()["items"])
            urls[(scale, name)] = (client, url)
    for _ in range(rounds):
        for (scale, name), (client, url) in urls.items():
            wall, cpu = per_call_ms(lambda u=url, c=client: c.get(u).close(), 3)
            result = results[scale]
            getattr(result, name).values.append(wall)
            getattr(result, f"{name}_cpu").values.append(cpu)
    return results


def follow(app: Flask, limit: int = FOLLOW_LIMIT) -> dict:
    """Follow ``next`` from after=0 like a consumer catching up: changes and items per second."""
    client = app.test_client()
    after, changes, items, pages = 0, 0, 0, 0
    started = time.perf_counter()
    while changes < limit:
        response = client.get(f"{CHANGES_URL}?after={after}&limit={PAGE}")
        if response.status_code != 200:
            raise RuntimeError(f"changes feed answered {response.status_code} after={after}")
        body = response.get_json()
        changes += body["next"] - after
        items += len(body["items"])
        pages += 1
        after = body["next"]
        if not body["has_more"]:
            break
    seconds = time.perf_counter() - started
    return {"changes": changes, "items": items, "pages": pages, "seconds": round(seconds, 2),
            "changes_per_s": round(changes / seconds), "items_per_s": round(items / seconds)}


def snapshot(url: str, mode: str) -> dict:
    """Run one snapshot in a fresh process; wall seconds, items, bytes and peak RSS in MB."""
    output = subprocess.run([sys.executable, "-m", "bench.feeds", url, mode],
                            capture_output=True, text=True, check=True).stdout
    return json.loads(output.strip().splitlines()[-1])


# -- the child process ------------------------------------------------------------------------

def _ours(url: str) -> tuple[int, int]:
    """The module's streamed NDJSON snapshot, read through WSGI without buffering."""
    from werkzeug.test import EnvironBuilder

    from .host import make_host

    app = make_host(url)
    environ = EnvironBuilder(path=SNAPSHOT_URL, base_url="http://bench.local").get_environ()
    size = lines = 0
    with open("/dev/null", "wb") as sink:
        result = app.wsgi_app(environ, lambda status, headers, exc_info=None: None)
        try:
            for chunk in result:
                sink.write(chunk)
                size += len(chunk)
                lines += chunk.count(b"\n")
        finally:
            getattr(result, "close", lambda: None)()
    return lines - 2, size  # without the header and trailer lines


def _baseline(url: str) -> tuple[int, int]:
    """The floor: select the same public rows with Core and json.dumps each to /dev/null."""
    from sqlalchemy import create_engine

    from nko_openness.models import Organization, Project, Service

    engine = create_engine(url)
    org = Organization.__table__
    statements = [select(org).where(org.c.live.is_(True)).order_by(org.c.id)]
    for model in (Service, Project):
        table = model.__table__
        statements.append(
            select(table).join(org, table.c.organization_id == org.c.id)
            .where(table.c.live.is_(True), org.c.live.is_(True)).order_by(table.c.id))
    size = items = 0
    with engine.connect() as conn, open("/dev/null", "w") as sink:
        for stmt in statements:
            for row in conn.execution_options(yield_per=1000).execute(stmt):
                line = json.dumps(row._asdict(), default=str, ensure_ascii=False) + "\n"
                sink.write(line)
                size += len(line)
                items += 1
    return items, size


def _child(url: str, mode: str) -> None:
    started = time.perf_counter()
    items, size = (_ours if mode == "ours" else _baseline)(url)
    seconds = time.perf_counter() - started
    print(json.dumps({
        "mode": mode, "items": items, "mb": round(size / 2**20, 1),
        "seconds": round(seconds, 2), "items_per_s": round(items / seconds),
        "peak_rss_mb": round(_peak_rss_kb() / 1024, 1),
    }))


def _peak_rss_kb() -> int:
    # VmHWM belongs to this program's memory map; ru_maxrss would carry over the high-water
    # mark of the benchmark process that forked this one (Linux keeps it across exec).
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


if __name__ == "__main__":
    _child(sys.argv[1], sys.argv[2])
