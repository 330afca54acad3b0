"""The bulk rebuild of the search index: published records read with Core selects in batches.

Building ORM objects and their selectin collections was a third of the rebuild's time
(issue 7). The rows here carry every column of their model under its attribute name and the
collections the index reads, in the same order as the ORM relationships sort them (ties by
id), and ``search_index`` builds the same documents from them as from ORM records.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from types import SimpleNamespace
from typing import Any

from flask import Flask
from sqlalchemy import Table, delete, func, select, text
from sqlalchemy.orm import Session, selectinload

from nko_openness.catalog import category_tally
from nko_openness.models import BeneficiaryCategory, Organization, Project, Service
from nko_openness.models.organization import OrganizationActivity
from nko_openness.models.project import ProjectFunding, ProjectResult
from nko_openness.models.search import SearchDocument, SearchFacet
from nko_openness.models.tally import CategoryTallyEntry
from nko_openness.models.vocabulary import (
    organization_categories,
    project_categories,
    service_categories,
)
from nko_openness.search import index as search_index


class OrganizationRow(SimpleNamespace):
    """An organization's columns, ``activities`` and ``categories``."""

    entity_type = "organization"


class ServiceRow(SimpleNamespace):
    """A service's columns, ``categories`` and ``organization``."""

    entity_type = "service"


class ProjectRow(SimpleNamespace):
    """A project's columns, ``categories``, ``results``, ``fundings`` and ``organization``."""

    entity_type = "program"


class CategoryRow(SimpleNamespace):
    """A beneficiary category: ``id``, ``slug``, ``name``, ``position``, ``parent``."""


def _columns(model) -> list:
    # Attribute names, not column names: the rows stand in for the ORM objects.
    return [attr.columns[0].label(attr.key) for attr in model.__mapper__.column_attrs]


def load_categories(session: Session) -> dict[int, CategoryRow]:
    """Every category by id, parents linked (a few dozen rows, read once per rebuild)."""
    rows = session.execute(select(*_columns(BeneficiaryCategory))).mappings().all()
    categories = {row["id"]: CategoryRow(**row) for row in rows}
    for category in categories.values():
        category.parent = categories.get(category.parent_id)
    return categories


class BatchLoader:
    """Reads published organizations by id, ``limit`` at a time, with their live children."""

    def __init__(self, session: Session):
        self.session = session
        self.categories = load_categories(session)

    def _category_lists(self, association: Table, owner, condition) -> dict[int, list]:
        """Owner id → its categories, for the owners ``owner`` (a table) ``condition`` picks."""
        key = association.c[f"{owner.name.removeprefix('nko_')}_id"]
        rows = self.session.execute(
            select(key, association.c.category_id).join(owner, owner.c.id == key)
            .where(condition))
        found: dict[int, list] = defaultdict(list)
        for owner_id, category_id in rows:
            found[owner_id].append(self.categories[category_id])
        for items in found.values():
            items.sort(key=lambda c: (c.position, c.id))  # the relationship's order_by
        return found

    def _children(self, model, row_class, org_by_id, condition) -> list:
        table = model.__table__
        rows = self.session.execute(
            select(*_columns(model)).where(condition)
            .order_by(table.c.organization_id, table.c.name, table.c.id)
        ).mappings()
        children = []
        for row in rows:
            org = org_by_id.get(row["organization_id"])
            # The id range also holds unpublished organizations and records.
            if org is not None and row["live"]:
                children.append(row_class(**row, organization=org))
        return children

    def _texts(self, model, column: str, condition) -> dict[int, list]:
        table, projects = model.__table__, Project.__table__
        found: dict[int, list] = defaultdict(list)
        rows = self.session.execute(
            select(table.c.project_id, table.c[column])
            .join(projects, projects.c.id == table.c.project_id).where(condition)
            .order_by(table.c.position, table.c.id))  # the relationship's order_by
        for project_id, value in rows:
            found[project_id].append(SimpleNamespace(**{column: value}))
        return found

    def batch(self, after_id: int, limit: int) -> tuple[list[OrganizationRow], list]:
        """The next ``limit`` published organizations after ``after_id``, and every public
        record among them and their children in index order (each organization, then its
        services, then its projects)."""
        orgs_table = Organization.__table__
        orgs = [OrganizationRow(**row) for row in self.session.execute(
            select(*_columns(Organization))
            .where(orgs_table.c.live.is_(True), orgs_table.c.id > after_id)
            .order_by(orgs_table.c.id).limit(limit)
        ).mappings()]
        if not orgs:
            return [], []
        by_id = {org.id: org for org in orgs}
        # Organization id ranges rather than long IN lists, and ``live`` checked here: with
        # it in the query, SQLite without statistics walked the (live, name) indexes through
        # every published record for each batch.
        first, last = orgs[0].id, orgs[-1].id
        activity_table = OrganizationActivity.__table__
        activities: dict[int, list[str]] = defaultdict(list)
        for org_id, activity in self.session.execute(
                select(activity_table.c.organization_id, activity_table.c.activity)
                .where(activity_table.c.organization_id.between(first, last))
                .order_by(activity_table.c.organization_id, activity_table.c.activity)):
            activities[org_id].append(activity)
        org_categories = self._category_lists(organization_categories, orgs_table,
                                              orgs_table.c.id.between(first, last))
        for org in orgs:
            org.activities = activities.get(org.id, [])
            org.categories = org_categories.get(org.id, [])
        children: dict[int, list] = defaultdict(list)
        for model, row_class, association in ((Service, ServiceRow, service_categories),
                                              (Project, ProjectRow, project_categories)):
            table = model.__table__
            in_range = table.c.organization_id.between(first, last)
            records = self._children(model, row_class, by_id, in_range)
            categories = self._category_lists(association, table, in_range)
            for record in records:
                record.categories = categories.get(record.id, [])
                children[record.organization_id].append(record)
            if model is Project:
                results = self._texts(ProjectResult, "indicator", in_range)
                fundings = self._texts(ProjectFunding, "funder", in_range)
                for record in records:
                    record.results = results.get(record.id, [])
                    record.fundings = fundings.get(record.id, [])
        return orgs, [r for org in orgs for r in (org, *children[org.id])]


def orm_batches(session: Session):
    """Like :meth:`BatchLoader.batch`, with ORM records (for facets that read anything)."""
    def batch(after_id: int, limit: int) -> tuple[list[Organization], list]:
        orgs = session.scalars(
            select(Organization).where(Organization.live.is_(True), Organization.id > after_id)
            .order_by(Organization.id).limit(limit)
            .options(selectinload(Organization.categories),
                     selectinload(Organization.activity_rows),
                     selectinload(Organization.services).selectinload(Service.categories),
                     selectinload(Organization.projects).selectinload(Project.categories),
                     selectinload(Organization.projects).selectinload(Project.results),
                     selectinload(Organization.projects).selectinload(Project.fundings))
        ).all()
        return orgs, [r for org in orgs for r in (org, *org.services, *org.projects) if r.live]
    return batch


def rebuild(session: Session, app: Flask | None = None, *, batch: int = 200,
            progress: Callable[[int, int], None] | None = None) -> int:
    """Rebuild the whole index and the category tally in the caller's transaction.

    Returns the documents written. Walks published organizations by id in batches, so memory
    stays flat however many there are. A facet registered with ``register_facet`` may read
    anything on a record: then ORM records are loaded instead of Core rows.
    """
    sqlite = session.get_bind().dialect.name == "sqlite"
    category_tally.clear(session)
    if sqlite:
        session.execute(delete(search_index.fts_table))
    session.execute(delete(SearchFacet), execution_options={"synchronize_session": False})
    session.execute(delete(SearchDocument), execution_options={"synchronize_session": False})
    facet_list = search_index.facets(app)
    orm = search_index.has_registered_facets(app)
    load = orm_batches(session) if orm else BatchLoader(session).batch
    total = session.scalar(
        select(func.count()).select_from(Organization).where(Organization.live.is_(True)))
    tally: Counter[int] = Counter()
    done = written = 0
    # SQLite works in this process: a worker thread only took turns with it for the GIL.
    for count, prepared in _prepared_batches(
            load, batch, partial(search_index.prepare_documents, facet_list=facet_list,
                                 fts=sqlite), overlap=not (orm or sqlite)):
        tally.update(search_index.store_documents(session, prepared, fresh=True))
        written += len(prepared.documents)
        done += count
        if orm:
            session.flush()
            session.expunge_all()
        if progress:
            progress(done, total)
    category_tally.apply(session, tally)
    # Fresh statistics, or the planner guesses one row and walks the wrong index.
    for table_name in (SearchDocument.__tablename__, SearchFacet.__tablename__,
                       CategoryTallyEntry.__tablename__):
        session.execute(text(f"ANALYZE {table_name}"))
    return written


def _prepared_batches(load, limit: int, build, *, overlap: bool) -> Iterator[tuple[int, Any]]:
    """(organizations, their prepared documents) per batch of ``load``.

    With ``overlap`` a worker thread builds a batch's documents while the caller stores the
    previous one (PostgreSQL works in its own process then, and the GIL is free).
    """
    last_id = 0
    if not overlap:
        while True:
            orgs, records = load(last_id, limit)
            if not orgs:
                return
            last_id = orgs[-1].id
            yield len(orgs), build(records)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="nko-reindex") as pool:
        ahead: tuple[int, Future] | None = None
        while True:
            orgs, records = load(last_id, limit)
            building = None
            if orgs:
                last_id = orgs[-1].id
                building = (len(orgs), pool.submit(build, records))
            if ahead is not None:
                yield ahead[0], ahead[1].result()
            if building is None:
                return
            ahead = building
