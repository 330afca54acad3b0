"""The harvest loop: per source a snapshot once, then changes by cursor; failures isolated."""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

import httpx
from sqlalchemy import Engine, func, insert, select, text, update
from sqlalchemy.exc import SQLAlchemyError

from nko_openness.harvester import regional, store
from nko_openness.harvester.client import FeedClient, FeedError, Snapshot
from nko_openness.harvester.config import (
    DEFAULT_PAGE_SIZE,
    DEFAULT_TIMEOUT,
    HarvestConfig,
    SourceConfig,
)
from nko_openness.harvester.progress import Progress
from nko_openness.harvester.schema import (
    create_schema,
    record,
    regional_organization,
    replica_engine,
    source,
    utcnow,
)
from nko_openness.harvester.store import Affected, CursorMoved
from nko_openness.harvester.validate import FeedFormatError

log = logging.getLogger("nko_openness.harvester")
SNAPSHOT_BATCH = 500


@dataclass
class SourceResult:
    """How one source went in one run; ``message`` is Russian, for the operator."""

    name: str
    ok: bool
    message: str
    applied: int = 0
    bootstrapped: bool = False
    cursor: int | None = None
    seconds: float = 0.0

    @property
    def status(self) -> str:
        return "ok" if self.ok else "error"


@dataclass
class RunReport:
    results: list[SourceResult] = field(default_factory=list)
    started_at: datetime | None = None
    skipped: str | None = None  # why nothing ran (another harvester holds the replica)

    @property
    def failed(self) -> list[SourceResult]:
        return [r for r in self.results if not r.ok]

    def exit_code(self, strict: bool = False) -> int:
        """1 when every source failed, or (``strict``) when any did; else 0."""
        if self.failed and (strict or len(self.failed) == len(self.results)):
            return 1
        return 0


class Harvester:
    """Keeps a replica of many municipal feeds in one database (SQLite or PostgreSQL)."""

    def __init__(self, database: str | Engine, sources: Sequence[SourceConfig], *,
                 page_size: int = DEFAULT_PAGE_SIZE, timeout: float = DEFAULT_TIMEOUT,
                 progress: Progress | None = None, retries: int = 2,
                 transport: httpx.BaseTransport | None = None,
                 sleep: Callable[[float], None] = time.sleep, lock_wait: float = 5.0):
        self._owns_engine = isinstance(database, str)
        self.engine = replica_engine(database) if isinstance(database, str) else database
        if self.engine.dialect.name not in ("sqlite", "postgresql"):
            raise ValueError("Реплика поддерживает только SQLite и PostgreSQL.")
        create_schema(self.engine)
        self.sources = list(sources)
        self.page_size, self.timeout, self.retries = page_size, timeout, retries
        self.progress = progress or Progress()
        self.transport, self.sleep, self.lock_wait = transport, sleep, lock_wait

    @classmethod
    def from_config(cls, config: HarvestConfig, database: str | None = None, **kwargs):
        url = database or config.database
        if not url:
            raise ValueError("Не задана база реплики: параметр database в настройках "
                             "или --database.")
        return cls(url, config.sources, page_size=config.page_size, timeout=config.timeout,
                   **kwargs)

    def close(self) -> None:
        if self._owns_engine:
            self.engine.dispose()

    def __enter__(self):
        return self

    def __exit__(self, *_exc):
        self.close()

    # -- runs ---------------------------------------------------------------------------------

    def run_once(self, only: Iterable[str] | None = None) -> RunReport:
        """Harvest every configured source (or those named in ``only``) once."""
        wanted = set(only) if only else None
        report = RunReport(started_at=utcnow())
        with self._run_lock() as locked:
            if not locked:
                report.skipped = ("Другой процесс харвестера уже обновляет эту реплику; "
                                  "запуск пропущен.")
                return report
            for cfg in self.sources:
                if wanted is None or cfg.name in wanted:
                    report.results.append(self.harvest_source(cfg))
        return report

    @contextmanager
    def _run_lock(self) -> Iterator[bool]:
        """One harvest at a time per replica (PostgreSQL advisory lock, per schema).

        The cursor check already keeps two harvesters from applying a page twice; the lock
        also spares them fighting over regional rows. SQLite has one writer at a time anyway.
        """
        if self.engine.dialect.name != "postgresql":
            yield True
            return
        key = text("SELECT hashtext('nko_openness.harvester:' || current_schema())")
        with self.engine.connect() as conn:
            lock_id = conn.execute(key).scalar()
            deadline = time.monotonic() + self.lock_wait
            while True:
                locked = conn.execute(text("SELECT pg_try_advisory_lock(:k)"),
                                      {"k": lock_id}).scalar()
                conn.commit()
                if locked or time.monotonic() >= deadline:
                    break
                self.sleep(0.1)  # a killed harvester's session may take a moment to end
            try:
                yield bool(locked)
            finally:
                if locked:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": lock_id})
                    conn.commit()

    def harvest_source(self, cfg: SourceConfig) -> SourceResult:
        """Bring one source's records up to date; whatever goes wrong stays in its result."""
        started = time.monotonic()
        result = SourceResult(cfg.name, ok=False, message="")
        client = None
        try:
            source_id, cursor, etag = self._register(cfg)
            client = FeedClient(cfg.url, cfg.token, self.timeout, retries=self.retries,
                                transport=self.transport, sleep=self.sleep)
            notes = []
            if cursor is None:
                cursor = self._bootstrap(client, cfg, source_id, None, result)
                notes.append(f"Загружен снимок (записей: {result.applied}, seq {cursor}).")
                etag = None
            before = result.applied
            cursor = self._follow(client, cfg, source_id, cursor, etag, result, notes)
            changes = result.applied - before
            notes.append(f"Применено изменений: {changes}, курсор {cursor}." if changes
                         else f"Новых изменений нет, курсор {cursor}.")
            result.ok, result.cursor, result.message = True, cursor, " ".join(notes)
        except (FeedError, FeedFormatError, CursorMoved) as exc:
            result.message = str(exc)
        except SQLAlchemyError as exc:
            log.exception("harvest %s: replica database error", cfg.name)
            orig = getattr(exc, "orig", None) or exc
            result.message = f"Ошибка базы реплики: {orig.__class__.__name__}: {orig}"
        except Exception as exc:  # one broken source must never stop the others
            log.exception("harvest %s: unexpected error", cfg.name)
            result.message = f"Непредвиденная ошибка: {exc.__class__.__name__}: {exc}"
        finally:
            if client is not None:
                client.close()
            self.progress.end(cfg.name)
        if not result.ok and result.applied:
            result.message += f" До ошибки применено записей: {result.applied}."
        result.seconds = time.monotonic() - started
        self._record_status(cfg, result)
        return result

    # -- steps ------------------------------------------------------------------------------

    def _register(self, cfg: SourceConfig) -> tuple[int, int | None, str | None]:
        with self.engine.begin() as conn:
            row = conn.execute(select(source.c.id, source.c.cursor, source.c.etag,
                                      source.c.url, source.c.title)
                               .where(source.c.name == cfg.name)).first()
            if row is None:
                new_id = conn.execute(insert(source).values(
                    name=cfg.name, title=cfg.title, url=cfg.url, status="new",
                    applied_total=0)).inserted_primary_key[0]
                return new_id, None, None
            if (row.url, row.title) != (cfg.url, cfg.title):
                conn.execute(update(source).where(source.c.id == row.id)
                             .values(url=cfg.url, title=cfg.title))
            return row.id, row.cursor, row.etag

    def _bootstrap(self, client: FeedClient, cfg: SourceConfig, source_id: int,
                   expected: int | None, result: SourceResult) -> int:
        """Download the snapshot, then replace the source's records with it in one transaction."""
        with tempfile.TemporaryFile() as fh:
            self.progress.begin(cfg.name, "загрузка снимка", unit="bytes")
            client.download_snapshot(cfg.snapshot_format, fh,
                                     lambda n: self.progress.advance(cfg.name, n))
            self.progress.end(cfg.name)
            self.progress.begin(cfg.name, "применение снимка")
            snapshot = Snapshot(fh, cfg.snapshot_format)
            applied = 0
            with self.engine.begin() as conn:
                store.claim_cursor(conn, source_id, expected, snapshot.as_of_seq,
                                   etag=None, latest_seq=snapshot.as_of_seq,
                                   bootstrapped_at=utcnow())
                affected = Affected()
                store.clear_source(conn, source_id, affected)
                for batch in store.chunks(snapshot.items(), SNAPSHOT_BATCH):
                    applied += store.apply_items(conn, source_id, batch, affected)
                    self.progress.advance(cfg.name, len(batch))
                regional.refresh(conn, affected)
            self.progress.end(cfg.name)
        result.applied += applied
        result.bootstrapped = True
        return snapshot.as_of_seq

    def _follow(self, client: FeedClient, cfg: SourceConfig, source_id: int, cursor: int,
                etag: str | None, result: SourceResult, notes: list[str]) -> int:
        """Apply changes pages from ``cursor`` until ``has_more`` is false; the new cursor."""
        self.progress.begin(cfg.name, "изменения")
        rebootstrapped = False
        while True:
            page = client.changes(cursor, self.page_size, etag)
            etag = None  # only the first request may be answered "nothing new"
            if page is None:
                break
            items, next_seq, has_more, latest, page_etag = page
            if latest is not None and latest < cursor and not rebootstrapped:
                # The source's outbox went back (restored from a backup, or a new database):
                # its seqs no longer mean what our cursor means. Start over from a snapshot.
                notes.append(f"Источник вернулся к seq {latest} (у нас {cursor}): "
                             "реплика загружена заново из снимка.")
                self.progress.end(cfg.name)
                cursor = self._bootstrap(client, cfg, source_id, cursor, result)
                rebootstrapped = True
                self.progress.begin(cfg.name, "изменения")
                continue
            with self.engine.begin() as conn:
                store.claim_cursor(conn, source_id, cursor, next_seq, latest_seq=latest,
                                   etag=None if has_more else page_etag)
                affected = Affected()
                store.apply_items(conn, source_id, items, affected)
                regional.refresh(conn, affected)
            result.applied += len(items)
            self.progress.advance(cfg.name, len(items))
            cursor = next_seq
            if not has_more:
                break
        return cursor

    def _record_status(self, cfg: SourceConfig, result: SourceResult) -> None:
        now = utcnow()
        values = {"last_run_at": now, "status": result.status, "message": result.message,
                  "applied_total": source.c.applied_total + result.applied}
        if result.ok:
            values["last_success_at"] = now
        try:
            with self.engine.begin() as conn:
                conn.execute(update(source).where(source.c.name == cfg.name).values(**values))
        except SQLAlchemyError:
            log.exception("harvest %s: could not record the status", cfg.name)

    # -- maintenance --------------------------------------------------------------------------

    def reset(self, name: str) -> bool:
        """Make the next harvest of ``name`` start from a snapshot; False if it is unknown."""
        with self.engine.begin() as conn:
            source_id = conn.execute(select(source.c.id).where(source.c.name == name)).scalar()
            if source_id is None:
                return False
            store.reset_cursor(conn, source_id)
        return True

    def forget(self, name: str) -> bool:
        """Drop a source with its records (and its share of the regional records)."""
        with self.engine.begin() as conn:
            source_id = conn.execute(select(source.c.id).where(source.c.name == name)).scalar()
            if source_id is None:
                return False
            affected = Affected()
            store.clear_source(conn, source_id, affected)
            conn.execute(source.delete().where(source.c.id == source_id))
            regional.refresh(conn, affected)
        return True

    def status(self) -> list[dict]:
        """Every source in the replica with its record count, for ``nko-openness status``."""
        with self.engine.connect() as conn:
            counts = dict(conn.execute(select(record.c.source_id, func.count())
                                       .group_by(record.c.source_id)).all())
            rows = conn.execute(select(source).order_by(source.c.name)).mappings().all()
        configured = {s.name for s in self.sources}
        return [{**row, "records": counts.get(row["id"], 0),
                 "configured": row["name"] in configured} for row in rows]

    def regional_summary(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            total = conn.execute(select(func.count()).select_from(regional_organization)).scalar()
            shared = conn.execute(select(func.count()).select_from(regional_organization)
                                  .where(regional_organization.c.source_count > 1)).scalar()
        return {"organizations": total or 0, "shared": shared or 0}


def run_scheduled(harvester: Harvester, every: float, *, max_runs: int | None = None,
                  only: Iterable[str] | None = None,
                  on_report: Callable[[RunReport], None] | None = None,
                  sleep: Callable[[float], None] = time.sleep,
                  clock: Callable[[], float] = time.monotonic) -> RunReport:
    """Run every ``every`` seconds (start to start; an overrun starts the next at once)."""
    runs = 0
    report = RunReport()
    next_start = clock()
    while max_runs is None or runs < max_runs:
        wait = next_start - clock()
        if wait > 0:
            sleep(wait)
        started = clock()
        report = harvester.run_once(only)
        runs += 1
        if on_report:
            on_report(report)
        next_start = max(started + every, clock())
    return report
