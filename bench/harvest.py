"""The Resource Centre's harvester against the benchmark site: bootstrap, then 100,000 changes.

The site runs under gunicorn (one worker) on the full-scale database; the harvester keeps an
SQLite replica. The first run loads the snapshot; then the replica's cursor is moved back by
CATCH_UP changes and a second run follows the feed to the end, as a harvester that was down
for a while would.
"""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import update

from .http import gunicorn

CATCH_UP = 100_000


def available() -> bool:
    try:
        import nko_openness.harvester.sync  # noqa: F401
    except ImportError:
        return False
    return True


def measure(site_url: str, replica: Path, total_changes: int, say) -> dict:
    from nko_openness.harvester.config import SourceConfig
    from nko_openness.harvester.schema import source
    from nko_openness.harvester.sync import Harvester

    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(replica) + suffix).unlink(missing_ok=True)
    with gunicorn(site_url) as base:
        config = SourceConfig(name="bench", url=f"{base}/nko/api")
        with Harvester(f"sqlite:///{replica}", [config]) as harvester:
            say("  harvester: bootstrap from the snapshot")
            started = time.perf_counter()
            first = harvester.run_once().results[0]
            bootstrap = time.perf_counter() - started
            if not first.ok:
                raise RuntimeError(f"harvester bootstrap failed: {first.message}")
            back = max(0, (first.cursor or total_changes) - CATCH_UP)
            with harvester.engine.begin() as conn:
                conn.execute(update(source).values(cursor=back, etag=None))
            say(f"  harvester: catching up {first.cursor - back} changes")
            started = time.perf_counter()
            second = harvester.run_once().results[0]
            catch_up = time.perf_counter() - started
            if not second.ok:
                raise RuntimeError(f"harvester catch-up failed: {second.message}")
    return {"bootstrap_items": first.applied, "bootstrap_seconds": round(bootstrap, 1),
            "bootstrap_items_per_s": round(first.applied / bootstrap),
            "changes": first.cursor - back, "applied": second.applied,
            "catch_up_seconds": round(catch_up, 1),
            "changes_per_s": round((first.cursor - back) / catch_up)}
