"""Regional records: one organization per ОГРН (then ИНН) across all municipal sources.

Each organization record gets a ``regional_key``: ``ogrn:<ОГРН>`` when it has a valid ОГРН;
else ``ogrn:<ОГРН>`` of another record with the same ИНН that has one (an ИНН belongs to one
legal entity), else ``inn:<ИНН>``; else ``record:<source id>:<uuid>`` (an association without
a legal entity stays a record of its own). ``harvest_regional_organization`` holds one row per
key with its sources listed, and is refreshed for the touched keys in the transaction that
applied the items, so it never disagrees with the records.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, insert, select, update

from nko_openness.harvester.schema import record, regional_organization, source, utcnow
from nko_openness.harvester.store import Affected, chunks

NAMESPACE = uuid.UUID("6f1c3b52-2a8e-5d7e-9a43-8f6f1c0b7a11")


def regional_id(key: str) -> str:
    return str(uuid.uuid5(NAMESPACE, key))


def refresh(conn: Connection, affected: Affected) -> None:
    """Recompute the keys of the touched organizations and rebuild the rows of those keys."""
    org = record.c
    candidates: dict[tuple[int, str], Any] = {}
    by_source: dict[int, list[str]] = defaultdict(list)
    for source_id, ident in affected.organizations:
        by_source[source_id].append(ident)
    columns = (org.source_id, org.entity_id, org.ogrn, org.inn, org.regional_key)
    for source_id, idents in by_source.items():
        for batch in chunks(idents):
            for row in conn.execute(select(*columns).where(
                    org.source_id == source_id, org.entity_type == "organization",
                    org.entity_id.in_(batch))):
                candidates[(row.source_id, row.entity_id)] = row
    # Records known only by ИНН follow whatever ОГРН that ИНН now has anywhere.
    for batch in chunks(affected.inns):
        for row in conn.execute(select(*columns).where(
                org.entity_type == "organization", org.ogrn.is_(None), org.inn.in_(batch))):
            candidates[(row.source_id, row.entity_id)] = row
    inn_ogrn = _ogrn_by_inn(conn, {r.inn for r in candidates.values() if r.inn and not r.ogrn})

    rebuild = set(affected.keys)
    changes = []
    for row in candidates.values():
        key = _key(row, inn_ogrn)
        rebuild.add(key)
        if row.regional_key != key:
            if row.regional_key:
                rebuild.add(row.regional_key)
            changes.append({"s": row.source_id, "e": row.entity_id, "k": key})
    if changes:
        conn.execute(
            update(record).where(org.source_id == bindparam("s"),
                                 org.entity_type == "organization",
                                 org.entity_id == bindparam("e"))
            .values(regional_key=bindparam("k")),
            changes)
    _rebuild(conn, rebuild)


def _ogrn_by_inn(conn: Connection, inns: set[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for batch in chunks(inns):
        found.update(conn.execute(
            select(record.c.inn, func.min(record.c.ogrn))
            .where(record.c.entity_type == "organization", record.c.ogrn.is_not(None),
                   record.c.inn.in_(batch))
            .group_by(record.c.inn)).all())
    return found


def _key(row, inn_ogrn: dict[str, str]) -> str:
    if row.ogrn:
        return f"ogrn:{row.ogrn}"
    if row.inn:
        ogrn = inn_ogrn.get(row.inn)
        return f"ogrn:{ogrn}" if ogrn else f"inn:{row.inn}"
    return f"record:{row.source_id}:{row.entity_id}"


def _rebuild(conn: Connection, keys: set[str]) -> None:
    now = utcnow()
    for batch in chunks(sorted(keys)):
        members: dict[str, list] = defaultdict(list)
        for row in conn.execute(
                select(record.c.regional_key, record.c.entity_id, record.c.name, record.c.uri,
                       record.c.ogrn, record.c.inn, record.c.modified,
                       source.c.name.label("source"), source.c.title)
                .join(source, source.c.id == record.c.source_id)
                .where(record.c.entity_type == "organization",
                       record.c.regional_key.in_(batch))):
            members[row.regional_key].append(row)
        conn.execute(delete(regional_organization)
                     .where(regional_organization.c.key.in_(batch)))
        rows = [_regional_row(key, rows, now) for key, rows in members.items()]
        if rows:
            conn.execute(insert(regional_organization), rows)


def _regional_row(key: str, rows: list, now) -> dict[str, Any]:
    rows = sorted(rows, key=lambda r: (r.source, r.entity_id))
    # The name most recently published anywhere is the regional name.
    newest = max(rows, key=lambda r: (r.modified or "", r.source))
    ogrn = key[5:] if key.startswith("ogrn:") else next((r.ogrn for r in rows if r.ogrn), None)
    inn = next((r.inn for r in rows if r.inn), None)
    return {
        "key": key, "id": regional_id(key), "name": newest.name, "ogrn": ogrn, "inn": inn,
        "source_count": len({r.source for r in rows}),
        "sources": [{"source": r.source, "title": r.title, "id": r.entity_id, "name": r.name,
                     "uri": r.uri, "modified": r.modified} for r in rows],
        "updated_at": now,
    }
