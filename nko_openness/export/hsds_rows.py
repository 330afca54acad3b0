"""Published records read with Core, in batches, as light objects the HSDS serializers accept.

The snapshot and the changes feed serialize every public record; building ORM instances
(identity map, instrumented attributes, relationship loaders) cost them more than the JSON.
A batch here is one keyset query for the rows and one query per relationship the
serializers read, for all the batch's ids at once. The objects carry the model's attribute
names (columns, ``categories``, ``organization.uuid``, ``activity_rows``, ``results``,
``fundings`` and the properties the serializers use), so ``hsds.to_hsds`` gives exactly the
object it gives for the ORM record.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from nko_openness.export.hsds_query import LINK_KEYS, LINKS
from nko_openness.models import (
    BeneficiaryCategory,
    Organization,
    OrganizationActivity,
    Project,
    ProjectFunding,
    ProjectResult,
    Service,
)


class _Record:
    """A row's columns as attributes; the loader adds the relationships."""

    def __init__(self, keys, row):
        self.__dict__ = dict(zip(keys, row, strict=True))


class OrganizationRecord(_Record):
    legal_form_label = Organization.legal_form_label
    identifiers = Organization.identifiers


class ServiceRecord(_Record):
    pass


class ProjectRecord(_Record):
    pass


RECORD_CLASSES = {Organization: OrganizationRecord, Service: ServiceRecord,
                  Project: ProjectRecord}


class _OrganizationRef:
    """``service.organization`` as the serializers read it: only its public id."""

    __slots__ = ("uuid",)

    def __init__(self, public_id):
        self.uuid = public_id


class _Category:
    __slots__ = ("slug",)

    def __init__(self, slug: str):
        self.slug = slug


def _rows(model) -> Select:
    # Only the record's own table: with the organization joined, SQLite (without ANALYZE
    # statistics) walked every live organization and sorted all their services for each
    # batch, which made the snapshot quadratic. The organization's side of
    # hsds_query.public_select is checked per batch, by primary key, in _build.
    table = model.__table__
    return select(*[c for c in table.c if c.name not in _UNEXPORTED])


# Workflow and bookkeeping columns no HSDS object shows: not fetched, not converted.
_UNEXPORTED = frozenset({"sort_name", "status", "has_unpublished_changes", "version",
                         "live_version", "first_published_at", "created_at", "updated_at"})


class BatchLoader:
    """Loads public records of one model, a batch at a time, inside one session."""

    def __init__(self, session: Session, model):
        if session.autoflush:
            session.flush()  # what an ORM query would do: pending changes are read too
        # Core statements on the session's connection: Session.execute would still send each
        # row through the ORM's result machinery.
        self.conn = session.connection()
        self.model = model
        self.keyset = _rows(model)
        self._categories: dict[int, tuple[int, int, _Category]] | None = None

    def batches(self, chunk: int) -> Iterator[list[_Record]]:
        """Every matching record in id order, ``chunk`` rows per query (keyset, flat memory)."""
        table = self.model.__table__
        last_id = 0
        while True:
            # Every row by primary key, liveness checked here: with ``live`` in the WHERE,
            # SQLite's statistics at 220,000 organizations chose the (live, name, id) index
            # and sorted all live rows for each batch (3 s a batch, the snapshot quadratic).
            result = self.conn.execute(
                self.keyset.where(table.c.id > last_id).order_by(table.c.id).limit(chunk))
            rows = result.all()
            if not rows:
                return
            first_id, last_id = rows[0].id, rows[-1].id
            rows = [row for row in rows if row.live]
            records = self._build(result.keys(), rows, (first_id, last_id)) if rows else []
            if records:  # all of a batch may be withdrawn, or belong to withdrawn organizations
                yield records

    def by_uuid(self, public_ids: Iterable[Any]) -> list[_Record]:
        """The public records among ``public_ids`` (withdrawn or unknown ones are left out)."""
        public_ids = list(public_ids)
        if not public_ids:
            return []
        table = self.model.__table__
        # Liveness checked here, not in the WHERE: with ``live`` there, SQLite's statistics
        # chose the (live, name, id) index for a few hundred uuids (at 1,000 organizations)
        # and walked every live row, a plan whose cost grows with the table. Only the uuid
        # index is left to choose. (Sorting the uuids would change nothing: SQLite sorts an
        # IN list itself.)
        result = self.conn.execute(self.keyset.where(table.c.uuid.in_(public_ids)))
        return self._build(result.keys(), [row for row in result.all() if row.live])

    # -- one batch --------------------------------------------------------------------------

    def _build(self, keys, rows, id_range: tuple[int, int] | None = None) -> list[_Record]:
        """Records with the relationships the serializers read, a query per relationship.

        A keyset batch asks for its children by the range of its ids: one index range scan,
        and two parameters instead of a thousand to render, send and parse (the few rows of
        records that are not public are skipped here).
        """
        cls, keys = RECORD_CLASSES[self.model], list(keys)
        records = [cls(keys, row) for row in rows]
        if self.model is not Organization:
            records = self._with_live_organization(records)
        if not records:
            return records
        by_id = {r.id: r for r in records}

        def of_batch(column):
            if id_range is not None:
                return column.between(*id_range)
            return column.in_(list(by_id))

        self._attach_categories(by_id, of_batch)
        if self.model is Organization:
            self._attach_children(by_id, of_batch, OrganizationActivity, "organization_id",
                                  "activity_rows", OrganizationActivity.activity)
        if self.model is Project:
            self._attach_children(by_id, of_batch, ProjectResult, "project_id", "results",
                                  ProjectResult.position, ProjectResult.id)
            self._attach_children(by_id, of_batch, ProjectFunding, "project_id", "fundings",
                                  ProjectFunding.position, ProjectFunding.id)
        return records

    def _with_live_organization(self, records: list[_Record]) -> list[_Record]:
        org = Organization.__table__
        wanted = list({r.organization_id for r in records})
        live = {
            row.id: _OrganizationRef(row.uuid)
            for row in self.conn.execute(
                select(org.c.id, org.c.uuid).where(org.c.id.in_(wanted), org.c.live.is_(True)))
        }
        kept = []
        for record in records:
            ref = live.get(record.organization_id)
            if ref is not None:
                record.organization = ref
                kept.append(record)
        return kept

    def _category_map(self) -> dict[int, tuple[int, int, _Category]]:
        # The vocabulary is small and the same for every batch of one session.
        if self._categories is None:
            table = BeneficiaryCategory.__table__
            self._categories = {
                row.id: (row.position, row.id, _Category(row.slug))
                for row in self.conn.execute(
                    select(table.c.id, table.c.slug, table.c.position))
            }
        return self._categories

    def _attach_categories(self, by_id: dict[int, _Record], of_batch) -> None:
        link = LINKS[self.model]
        key = link.c[LINK_KEYS[self.model]]
        found: dict[int, list] = {record_id: [] for record_id in by_id}
        rows = self.conn.execute(select(key, link.c.category_id).where(of_batch(key))).all()
        terms = self._category_map()
        for record_id, category_id in rows:
            term = terms.get(category_id)
            if term is not None and record_id in found:
                found[record_id].append(term)
        for record_id, record in by_id.items():
            # The relationship's order: the vocabulary's position (then id, for ties).
            record.categories = [term[2] for term in sorted(found[record_id])]

    def _attach_children(self, by_id: dict[int, _Record], of_batch, model, fk: str,
                         name: str, *order) -> None:
        table = model.__table__
        key = table.c[fk]
        found: dict[int, list] = {record_id: [] for record_id in by_id}
        result = self.conn.execute(select(table).where(of_batch(key)).order_by(key, *order))
        keys = list(result.keys())
        position = keys.index(fk)
        for row in result.all():
            children = found.get(row[position])
            if children is not None:
                children.append(_Record(keys, row))
        for record_id, record in by_id.items():
            setattr(record, name, found[record_id])
