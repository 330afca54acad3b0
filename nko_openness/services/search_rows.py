"""Published records for the bulk index rebuild, read with Core selects, a batch at a time.

Building ORM objects and their selectin collections was a third of the rebuild's time
(issue 7). The rows here carry every column of their model under its attribute name and the
collections the index reads, in the same order as the ORM relationships sort them (ties by
id), so ``search_index`` builds the same documents from them as from ORM records.
"""

from __future__ import annotations

from collections import defaultdict
from types import SimpleNamespace

from sqlalchemy import Table, select
from sqlalchemy.orm import Session, selectinload

from ..models import BeneficiaryCategory, Organization, Project, Service
from ..models.organization import OrganizationActivity
from ..models.project import ProjectFunding, ProjectResult
from ..models.vocabulary import (
    organization_categories,
    project_categories,
    service_categories,
)


class OrganizationRow(SimpleNamespace):
    """An organization's columns, ``activities`` and ``categories``."""


class ServiceRow(SimpleNamespace):
    """A service's columns, ``categories`` and ``organization``."""


class ProjectRow(SimpleNamespace):
    """A project's columns, ``categories``, ``results``, ``fundings`` and ``organization``."""


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
            select(*_columns(model)).where(condition).order_by(table.c.name, table.c.id)
        ).mappings()
        children = []
        for row in rows:
            org = org_by_id.get(row["organization_id"])
            if org is not None:  # the id range also holds unpublished organizations
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
        # Id ranges rather than long IN lists: they walk the organization_id indexes.
        first, last = orgs[0].id, orgs[-1].id
        live_orgs = orgs_table.c.id.between(first, last) & orgs_table.c.live.is_(True)
        activity_table = OrganizationActivity.__table__
        activities: dict[int, list[str]] = defaultdict(list)
        for org_id, activity in self.session.execute(
                select(activity_table.c.organization_id, activity_table.c.activity)
                .where(activity_table.c.organization_id.between(first, last))
                .order_by(activity_table.c.activity)):  # the relationship's order_by
            activities[org_id].append(activity)
        org_categories = self._category_lists(organization_categories, orgs_table, live_orgs)
        for org in orgs:
            org.activities = activities.get(org.id, [])
            org.categories = org_categories.get(org.id, [])
        children: dict[int, list] = defaultdict(list)
        for model, row_class, association in ((Service, ServiceRow, service_categories),
                                              (Project, ProjectRow, project_categories)):
            table = model.__table__
            live = table.c.organization_id.between(first, last) & table.c.live.is_(True)
            records = self._children(model, row_class, by_id, live)
            categories = self._category_lists(association, table, live)
            for record in records:
                record.categories = categories.get(record.id, [])
                children[record.organization_id].append(record)
            if model is Project:
                results = self._texts(ProjectResult, "indicator", live)
                fundings = self._texts(ProjectFunding, "funder", live)
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
