"""Writes to the replica: per-source records and the cursor, in the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from sqlalchemy import Connection, and_, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from nko_openness.harvester.schema import record, source, utcnow
from nko_openness.harvester.validate import registration_numbers

CHUNK = 500


class CursorMoved(RuntimeError):
    """Another harvester moved this source's cursor first; this run's page is not applied."""


@dataclass
class Affected:
    """What a transaction touched that the regional matching must look at again."""

    ogrns: set[str] = field(default_factory=set)
    inns: set[str] = field(default_factory=set)
    keys: set[str] = field(default_factory=set)
    organizations: set[tuple[int, str]] = field(default_factory=set)  # (source_id, uuid)

    def note(self, source_id: int, entity_id: str, ogrn, inn, key=None) -> None:
        self.organizations.add((source_id, entity_id))
        for value, bucket in ((ogrn, self.ogrns), (inn, self.inns), (key, self.keys)):
            if value:
                bucket.add(value)


def chunks(values: Iterable[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    iterator = iter(values)
    while batch := list(islice(iterator, size)):
        yield batch


def claim_cursor(conn: Connection, source_id: int, expected: int | None, new: int,
                 **values: Any) -> None:
    """Move the cursor from ``expected`` to ``new`` in this transaction, or raise CursorMoved.

    Done first in the transaction that applies the items, so the cursor and the items commit
    together, and a second harvester working on the same source waits here and then fails.
    """
    current = source.c.cursor.is_(None) if expected is None else source.c.cursor == expected
    result = conn.execute(update(source).where(source.c.id == source_id, current)
                          .values(cursor=new, **values))
    if result.rowcount != 1:
        raise CursorMoved("Курсор источника сдвинут другим процессом харвестера; "
                          "страница не применена, повторите запуск.")


def reset_cursor(conn: Connection, source_id: int) -> None:
    """The next harvest starts with a snapshot (the records stay until it replaces them)."""
    conn.execute(update(source).where(source.c.id == source_id)
                 .values(cursor=None, etag=None))


def clear_source(conn: Connection, source_id: int, affected: Affected) -> None:
    """Drop every record of a source before its snapshot is applied in the same transaction."""
    rows = conn.execute(select(record.c.entity_id, record.c.ogrn, record.c.inn,
                               record.c.regional_key)
                        .where(record.c.source_id == source_id,
                               record.c.entity_type == "organization"))
    for row in rows:
        affected.note(source_id, row.entity_id, row.ogrn, row.inn, row.regional_key)
    conn.execute(delete(record).where(record.c.source_id == source_id))


def apply_items(conn: Connection, source_id: int, items: list[dict[str, Any]],
                affected: Affected) -> int:
    """Apply checked feed items in order: upserts store the object, deletes drop the record."""
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for item in items:  # items are states, not diffs: an entity's last item is all that counts
        latest.pop((item["type"], item["id"]), None)
        latest[(item["type"], item["id"])] = item
    org_ids = [ident for kind, ident in latest if kind == "organization"]
    for batch in chunks(org_ids):
        for row in conn.execute(
                select(record.c.entity_id, record.c.ogrn, record.c.inn, record.c.regional_key)
                .where(record.c.source_id == source_id, record.c.entity_type == "organization",
                       record.c.entity_id.in_(batch))):
            affected.note(source_id, row.entity_id, row.ogrn, row.inn, row.regional_key)
    now = utcnow()
    upserts, deletes = [], []
    for (kind, ident), item in latest.items():
        if item["op"] == "delete":
            deletes.append((kind, ident))
            if kind == "organization":
                affected.organizations.add((source_id, ident))
            continue
        row = _row(source_id, item, now)
        if kind == "organization":
            affected.note(source_id, ident, row["ogrn"], row["inn"])
        upserts.append(row)
    for kind in {k for k, _ in deletes}:
        ids = [i for k, i in deletes if k == kind]
        for batch in chunks(ids):
            conn.execute(delete(record).where(and_(
                record.c.source_id == source_id, record.c.entity_type == kind,
                record.c.entity_id.in_(batch))))
    for batch in chunks(upserts):
        conn.execute(_upsert(conn), batch)
    return len(items)


def _row(source_id: int, item: dict[str, Any], now) -> dict[str, Any]:
    data = item["data"]
    ogrn = inn = None
    if item["type"] == "organization":
        ogrn, inn = registration_numbers(data)
    uri = data.get("uri")
    return {
        "source_id": source_id, "entity_type": item["type"], "entity_id": item["id"],
        "seq": item["seq"], "modified": item.get("modified"),
        "organization_id": data.get("organization_id"), "name": data["name"],
        "uri": uri[:2000] if isinstance(uri, str) else None,
        "ogrn": ogrn, "inn": inn, "regional_key": None, "data": data, "harvested_at": now,
    }


def _upsert(conn: Connection):
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stmt = insert(record)
    keys = ("source_id", "entity_type", "entity_id")
    # The regional key is recomputed by regional.refresh in the same transaction.
    return stmt.on_conflict_do_update(
        index_elements=list(keys),
        set_={c.name: stmt.excluded[c.name] for c in record.columns if c.name not in keys},
    )
