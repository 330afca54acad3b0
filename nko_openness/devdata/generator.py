"""`flask nko generate`: deterministic synthetic NKOs at any scale, bulk-loaded for benchmarks.

Rows are planned in chunks of organizations (``generator_plan``), each chunk from its own
seeded Random, and written with SQLAlchemy Core ``insert()`` executemany batches; on
PostgreSQL the large tables go through ``COPY``. Change rows are written last, in time order,
so ``seq`` follows the simulated history the way a real outbox would.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import Flask
from sqlalchemy import Connection, func, inspect, select, text

from nko_openness.core.state import get_state
from nko_openness.devdata.generator_plan import RETURN_COMMENT, Plan, Planner, Record
from nko_openness.devdata.generator_writers import WRITERS, Writer
from nko_openness.models import (
    Base,
    Change,
    Organization,
    OrganizationActivity,
    Project,
    ProjectFunding,
    ProjectResult,
    Revision,
    Service,
    WorkflowEvent,
    organization_categories,
    project_categories,
    service_categories,
)
from nko_openness.publishing.vocabulary import categories_by_slug, seed_categories

GENERATOR_AUTHOR = "generate"  # revisions and events name the generator, as demo data does
CHUNK = 1000  # organizations planned and written per transaction

_TABLES = {
    "organization": Organization.__table__, "service": Service.__table__,
    "program": Project.__table__,
}
_LINKS = {
    "organization": (organization_categories, "organization_id"),
    "service": (service_categories, "service_id"),
    "program": (project_categories, "project_id"),
}
_ID_TABLES = (Organization.__table__, Service.__table__, Project.__table__,
              ProjectResult.__table__, ProjectFunding.__table__, Revision.__table__,
              WorkflowEvent.__table__)


class GeneratorError(RuntimeError):
    """The database is not ready for generated data; the message says what to do."""


@dataclass
class GenerateStats:
    organizations: int = 0
    services: int = 0
    projects: int = 0
    unpublished_records: int = 0  # drafts, withdrawn and archived rows the public never sees
    deleted_records: int = 0  # planned, published, then deleted: only their history remains
    revisions: int = 0
    changes: int = 0
    seconds: float = 0.0  # loading the rows, without the search index
    search_documents: int = 0
    search_seconds: float = 0.0

    def summary(self) -> str:
        return (f"Создано: организаций {_n(self.organizations)}, услуг {_n(self.services)}, "
                f"проектов {_n(self.projects)} (не опубликовано {_n(self.unpublished_records)}, "
                f"удалено после публикации {_n(self.deleted_records)}); редакций "
                f"{_n(self.revisions)}, изменений в ленте {_n(self.changes)}; "
                f"{self.seconds:.0f} с; поисковый индекс: документов "
                f"{_n(self.search_documents)}, {self.search_seconds:.0f} с.")


def _n(value: int) -> str:
    """Thousands separated by a space, as Russian text writes them."""
    return f"{value:,}".replace(",", "\u00a0")


def _dt(t: int | None) -> datetime | None:
    return None if t is None else datetime.fromtimestamp(t, UTC)


class _Chunk:
    """Rows of one chunk, table by table, with ids taken from the running counters."""

    def __init__(self, ids: dict):
        self.ids = ids
        self.rows: dict = {}

    def add(self, table, row: dict) -> None:
        self.rows.setdefault(table, []).append(row)

    def next_id(self, table) -> int:
        self.ids[table] += 1
        return self.ids[table]

    def record(self, record: Record, stats: GenerateStats, org_id: int | None = None) -> None:
        """The record's revisions always; its row and links unless it was deleted."""
        self._revisions(record)
        stats.revisions += len(record.saves)
        if record.deleted:
            stats.deleted_records += 1
            return
        table = _TABLES[record.kind]
        record.id = self.next_id(table)
        row = {k: v for k, v in record.row.items() if not k.startswith("_")}
        pending = record.pending is not None
        row.update(
            id=record.id, uuid=record.uuid, status=record.pending or record.status,
            live=record.live, has_unpublished_changes=pending or record.live_version is None,
            version=record.version, live_version=record.live_version,
            first_published_at=_dt(record.first_published),
            last_published_at=_dt(record.last_published),
            created_at=_dt(record.created), updated_at=_dt(record.updated),
        )
        if org_id is not None:
            row["organization_id"] = org_id
        self.add(table, row)
        stats.unpublished_records += not record.live
        link, key = _LINKS[record.kind]
        for category_id in record.categories:
            self.add(link, {key: record.id, "category_id": category_id})
        if record.kind == "organization":
            for activity in record.row["_activities"]:
                self.add(OrganizationActivity.__table__,
                         {"organization_id": record.id, "activity": activity})
        elif record.kind == "program":
            for table, items in ((ProjectResult.__table__, record.row["_results"]),
                                 (ProjectFunding.__table__, record.row["_fundings"])):
                for item in items:
                    self.add(table, {"id": self.next_id(table), "project_id": record.id, **item})
        if pending:
            self._review_events(record)

    def _revisions(self, record: Record) -> None:
        table = Revision.__table__
        draft = record.snapshot
        if record.pending and record.live_version is not None:
            # The waiting draft differs from the live version: one more category.
            draft = {**draft, "categories": sorted({*draft["categories"], "residents"})}
        # Revisions other than the live and the latest one keep only their categories: the
        # moderator compares those two, and the history table stays a fraction of the data.
        older = {"categories": record.snapshot["categories"]}
        last = len(record.saves)
        for number, t in enumerate(record.saves, start=1):
            data = (draft if number == last
                    else record.snapshot if number == record.live_version else older)
            self.add(table, {
                "id": self.next_id(table), "entity_type": record.kind,
                "entity_uuid": record.uuid, "number": number, "data": data,
                "author_id": GENERATOR_AUTHOR, "created_at": _dt(t),
            })

    def _review_events(self, record: Record) -> None:
        # Only the review steps the moderation queue shows; the full audit log would
        # dwarf every other table without changing what the public pages read.
        table = WorkflowEvent.__table__
        if record.pending == "draft":
            return
        steps = [("submit", "draft", "submitted", None)]
        if record.pending == "returned":
            steps.append(("return", "submitted", "returned", RETURN_COMMENT))
        for action, before, after, comment in steps:
            self.add(table, {
                "id": self.next_id(table), "entity_type": record.kind,
                "entity_uuid": record.uuid, "action": action, "from_status": before,
                "to_status": after, "revision_number": record.version,
                "user_id": GENERATOR_AUTHOR, "comment": comment,
                "created_at": _dt(record.updated),
            })


def _prepare(conn: Connection) -> None:
    if conn.dialect.name == "sqlite":
        # A benchmark database is rebuilt, never recovered: trade durability for speed.
        conn.exec_driver_sql("PRAGMA synchronous=OFF")
        conn.exec_driver_sql("PRAGMA cache_size=-1000000")
        conn.commit()


def _finish(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        for table in (*_ID_TABLES, Change.__table__):
            column = "seq" if table is Change.__table__ else "id"
            conn.execute(text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', '{column}'), "
                f"coalesce((SELECT max({column}) FROM {table.name}), 0) + 1, false)"))
        conn.commit()
        for table in Base.metadata.sorted_tables:  # only the module's tables, not the host's
            conn.exec_driver_sql(f"ANALYZE {table.name}")
    else:
        conn.exec_driver_sql("PRAGMA analysis_limit=2000")
        conn.exec_driver_sql("ANALYZE")
    conn.commit()


def generate(app: Flask, orgs: int, seed: int = 1,
             progress: Callable[[str], None] | None = None,
             search_index: bool = True) -> GenerateStats:
    """Add ``orgs`` synthetic organizations (with services, projects and history) to the DB.

    The same seed on the same starting database gives the same rows, uuids and timestamps.
    The search index is then rebuilt, as publishing would have kept it, unless told not to.
    """
    state = get_state(app)
    engine = state.db.engine
    if not inspect(engine).has_table(Organization.__tablename__):
        raise GeneratorError("Таблиц модуля нет: сначала выполните flask nko db upgrade.")
    with app.app_context():
        session = state.db.session
        seed_categories(session, app)
        session.commit()
        category_ids = {slug: c.id for slug, c in categories_by_slug(session).items()}
    say = progress or (lambda _message: None)
    stats = GenerateStats()
    started = time.monotonic()
    gc_was_enabled = gc.isenabled()
    gc.disable()  # millions of small objects live until the end: collection only costs
    try:
        with engine.connect() as conn:
            _prepare(conn)
            writer = WRITERS.get(conn.dialect.name, Writer)(conn)
            ids = {t: conn.scalar(select(func.max(t.c.id))) or 0 for t in _ID_TABLES}
            first_number = ids[Organization.__table__] + 1
            changes = _write_records(conn, writer, ids, first_number, orgs, seed,
                                     category_ids, stats, say, started)
            _write_changes(conn, writer, changes, stats, say)
            say("Обновление статистики планировщика (ANALYZE)…")
            _finish(conn)
    finally:
        if gc_was_enabled:
            gc.enable()
    stats.seconds = time.monotonic() - started
    if search_index:
        _rebuild_search_index(app, stats, say)
    return stats


def _rebuild_search_index(app: Flask, stats: GenerateStats, say) -> None:
    from nko_openness.search import index as search_index

    say("Поисковый индекс…")
    started = time.monotonic()
    state = get_state(app)
    search_index.ensure_index(state.db.engine)
    with app.app_context():
        session = state.db.session
        every = 10_000
        stats.search_documents = search_index.rebuild(
            session, app, batch=500,
            progress=lambda done, total: say(f"  поисковый индекс: {_n(done)} из {_n(total)}")
            if done % every < 500 or done == total else None)
        session.commit()
    stats.search_seconds = time.monotonic() - started


def _write_records(conn, writer, ids, first_number, orgs, seed, category_ids, stats, say,
                   started) -> list:
    changes: list = []
    for chunk_start in range(0, orgs, CHUNK):
        chunk = _Chunk(ids)
        for plan in _plan_chunk(chunk_start, seed, first_number, orgs, category_ids):
            org = plan.org
            chunk.record(org, stats)
            stats.organizations += not org.deleted
            for child in org.children:
                if org.deleted:
                    child.deleted = True
                chunk.record(child, stats, org.id)
                if not child.deleted:
                    stats.services += child.kind == "service"
                    stats.projects += child.kind == "program"
            changes.extend((t, len(changes), kind, uid, op) for t, kind, uid, op in plan.changes)
        for table, rows in chunk.rows.items():
            writer.write(table, rows)
        conn.commit()
        done = min(orgs, chunk_start + CHUNK)
        say(f"  организации: {_n(done)} из {_n(orgs)}, услуг {_n(stats.services)}, "
            f"проектов {_n(stats.projects)}, {time.monotonic() - started:.0f} с")
    return changes


def _plan_chunk(chunk_start: int, seed: int, first_number: int, orgs: int,
                category_ids: dict[str, int]) -> list[Plan]:
    # Each chunk has its own Random, so its rows do not depend on how earlier ones went.
    planner = Planner(_chunk_rng(seed, first_number, chunk_start), category_ids, orgs)
    return [planner.plan(first_number + ordinal, ordinal)
            for ordinal in range(chunk_start, min(orgs, chunk_start + CHUNK))]


def _chunk_rng(seed: int, first_number: int, chunk_start: int):
    from random import Random

    return Random(f"nko-generate:{seed}:{first_number}:{chunk_start}")


def _write_changes(conn, writer, changes: list, stats: GenerateStats, say) -> None:
    say(f"Лента изменений: {_n(len(changes))} записей…")
    changes.sort()
    table = Change.__table__
    seq = conn.scalar(select(func.max(table.c.seq))) or 0
    step = 200_000
    for start in range(0, len(changes), step):
        rows = []
        for t, _order, kind, uid, op in changes[start:start + step]:
            seq += 1
            rows.append({"seq": seq, "entity_type": kind, "entity_uuid": uid, "op": op,
                         "created_at": _dt(t)})
        writer.write(table, rows)
        conn.commit()
    stats.changes = len(changes)
