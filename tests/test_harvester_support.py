"""Live example sites on 127.0.0.1 ports and replica readers for the harvester tests (no tests)."""

from __future__ import annotations

import atexit
import json
import shutil
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path
from urllib.request import urlopen

from sqlalchemy import create_engine, select
from werkzeug.serving import make_server

from examples.host_site.app import create_app
from nko_openness.devdata.demo import load_demo
from nko_openness.harvester.schema import record, regional_organization, source
from nko_openness.migrate import upgrade

_templates: dict[bool, Path] = {}


def _template(demo: bool) -> Path:
    """A migrated site database (with the Belogorsk demo or empty), built once per process."""
    if demo not in _templates:
        folder = Path(tempfile.mkdtemp(prefix="nko-harvest-template-"))
        atexit.register(shutil.rmtree, folder, True)
        app = create_app(_config(folder))
        upgrade(app, "head")
        if demo:
            with app.app_context():
                load_demo(app.extensions["nko_openness"].db.session, app)
        app.extensions["nko_openness"].db.engine.dispose()
        _templates[demo] = folder / "site.sqlite3"
    return _templates[demo]


def _config(folder: Path) -> dict:
    return {
        "TESTING": True,
        "NKO_DATABASE_URL": f"sqlite:///{folder / 'site.sqlite3'}",
        "NKO_UPLOAD_FOLDER": str(folder / "uploads"),
        "NOTIFY_OUTBOX": str(folder / "outbox"),
        "NKO_API_RATE_LIMIT": "100000/minute",
        "NKO_API_TOKEN_RATE_LIMIT": "100000/minute",
    }


class LiveSite:
    """The example municipal site with its own SQLite file, served by werkzeug in a thread.

    ``demo`` starts it with the Belogorsk demo data (copied from a database built once).
    """

    def __init__(self, folder: Path, name: str, demo: bool = False):
        folder.mkdir(parents=True, exist_ok=True)
        self.name = name
        shutil.copyfile(_template(demo), folder / "site.sqlite3")
        self.app = create_app(_config(folder))
        upgrade(self.app, "head")  # a no-op on the copy: proves it is at head
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,),
                                       daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/nko/api"

    @contextmanager
    def session(self):
        with self.app.app_context():
            session = self.app.extensions["nko_openness"].db.session
            try:
                yield session
            finally:
                session.rollback()

    def published(self) -> dict[tuple[str, str], dict]:
        """The site's own snapshot over HTTP: what the replica must equal for this source."""
        with urlopen(self.url + "/v1/snapshot.ndjson", timeout=30) as response:
            lines = [json.loads(line) for line in response if line.strip()]
        assert lines[-1] == {"type": "end", "count": len(lines) - 2}
        return {(item["type"], item["id"]): item["data"] for item in lines[1:-1]}

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)
        self.app.extensions["nko_openness"].db.engine.dispose()


def replica_records(database_url: str, source_name: str) -> dict[tuple[str, str], dict]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            source_id = conn.execute(select(source.c.id)
                                     .where(source.c.name == source_name)).scalar_one()
            rows = conn.execute(select(record.c.entity_type, record.c.entity_id, record.c.data)
                                .where(record.c.source_id == source_id)).all()
    finally:
        engine.dispose()
    found = {(r.entity_type, r.entity_id): r.data for r in rows}
    assert len(found) == len(rows), "no record twice"
    return found


def regional_rows(database_url: str) -> list[dict]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return [dict(r) for r in conn.execute(select(regional_organization)).mappings()]
    finally:
        engine.dispose()


def canonical(records: dict) -> str:
    """Byte-comparable form: JSONB on PostgreSQL keeps the values, not the key order."""
    return json.dumps(sorted(records.items()), ensure_ascii=False, sort_keys=True)


def assert_mirrors(database_url: str, site: LiveSite, source_name: str) -> None:
    assert canonical(replica_records(database_url, source_name)) == canonical(site.published())
