"""The category tally: published services and projects per category, kept as counters.

``search_index`` is the one place that adds and removes public documents, so it calls these
in the same transaction: each service or project document has an entry per category of its
own, and the tally is the count of entries per category. Reading the counts is then a
handful of rows however many records there are (issue 7).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from sqlalchemy import delete, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from nko_openness.models.tally import CategoryTally, CategoryTallyEntry

tally_table = CategoryTally.__table__
entry_table = CategoryTallyEntry.__table__
_UPSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def remove_entries(session: Session, document_ids) -> Counter[int]:
    """Delete the entries of ``document_ids`` (a subquery); returns the change they make."""
    # One GROUP BY over the leaving documents only: an organization's own at most.
    removed = session.execute(
        select(entry_table.c.category_id, func.count())
        .where(entry_table.c.document_id.in_(document_ids))
        .group_by(entry_table.c.category_id)
    ).all()
    if removed:
        session.execute(delete(entry_table).where(entry_table.c.document_id.in_(document_ids)))
    return Counter({category_id: -count for category_id, count in removed})


def add_entries(session: Session, documents: Iterable[tuple[int, Iterable[int]]]
                ) -> Counter[int]:
    """Entries for newly written service and project documents, given as
    ``(document id, category ids)``; returns the change."""
    rows = [{"document_id": document_id, "category_id": category_id}
            for document_id, category_ids in documents
            for category_id in sorted(set(category_ids))]
    if rows:
        session.execute(insert(entry_table), rows)
    return Counter(row["category_id"] for row in rows)


def apply(session: Session, delta: Counter[int]) -> None:
    """Add ``delta`` (category id → change) to the tally, in the caller's transaction.

    One upsert per category, ``items = items + change``: concurrent publications add up
    instead of overwriting each other. Net changes only, in id order, so a re-publication
    that keeps its categories writes nothing and two transactions lock rows in one order.
    """
    rows = [{"category_id": category_id, "items": change}
            for category_id, change in sorted(delta.items()) if change]
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    if dialect not in _UPSERT:
        raise NotImplementedError(f"Счётчики категорий не поддерживают {dialect}.")
    stmt = _UPSERT[dialect](tally_table)
    # ``c["items"]``: ``c.items`` is the column collection's own method.
    stmt = stmt.on_conflict_do_update(
        index_elements=[tally_table.c.category_id],
        set_={"items": tally_table.c["items"] + stmt.excluded["items"]})
    session.execute(stmt, rows)


def clear(session: Session) -> None:
    """Empty the tally and its entries (before a rebuild of the whole index)."""
    session.execute(delete(entry_table))
    session.execute(delete(tally_table))


def counts(session: Session) -> dict[int, int]:
    """Category id → published services and projects (categories with none left out)."""
    return dict(session.execute(
        select(CategoryTally.category_id, CategoryTally.items).where(CategoryTally.items > 0)
    ).all())
