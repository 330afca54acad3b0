"""The Resource Centre's harvester against the benchmark site: catching up 100,000 changes.

The site runs under gunicorn (one worker) on the full-scale database; the harvester keeps an
SQLite replica whose cursor starts CATCH_UP changes before the end of the feed, as for a
harvester that was down for a while. (Its bootstrap is the snapshot, measured on its own.)
"""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import insert

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
    from nko_openness.harvester.schema import create_schema, replica_engine, source
    from nko_openness.harvester.sync import Harvester

    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(replica) + suffix).unlink(missing_ok=True)
    back = max(0, total_changes - CATCH_UP)
    with gunicorn(site_url) as base:
        config = SourceConfig(name="bench", url=f"{base}/nko/api")
        engine = replica_engine(f"sqlite:///{replica}")
        create_schema(engine)
        with engine.begin() as conn:  # a source that was last seen CATCH_UP changes ago
            conn.execute(insert(source).values(name=config.name, url=config.url, cursor=back,
                                               status="ok", applied_total=0))
        with Harvester(engine, [config]) as harvester:
            say(f"  harvester: catching up {total_changes - back} changes")
            started = time.perf_counter()
            result = harvester.run_once().results[0]
            seconds = time.perf_counter() - started
        engine.dispose()
    if not result.ok:
        raise RuntimeError(f"harvester failed: {result.message}")
    return {"changes": result.cursor - back, "applied": result.applied,
            "catch_up_seconds": round(seconds, 1),
            "changes_per_s": round((result.cursor - back) / seconds)}
