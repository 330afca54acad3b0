"""Queries behind the HSDS API and the snapshot: published records only, batch-loaded."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import Session, selectinload

from nko_openness.export.hsds import term_id
from nko_openness.models import (
    BeneficiaryCategory,
    Organization,
    Project,
    Service,
    organization_categories,
    project_categories,
    service_categories,
)

LINKS = {Organization: organization_categories, Service: service_categories,
         Project: project_categories}
LINK_KEYS = {Organization: "organization_id", Service: "service_id", Project: "project_id"}


def load_options(model) -> list:
    """Everything a serializer touches, loaded in a fixed number of queries (no N+1)."""
    options = [selectinload(model.categories)]
    if model is Organization:
        options.append(selectinload(Organization.activity_rows))
    else:
        options.append(selectinload(model.organization))
    if model is Project:
        options += [selectinload(Project.results), selectinload(Project.fundings)]
    return options


def public_select(model) -> Select:
    """Records the public sees: live, and for services and projects a live organization."""
    stmt = select(model).where(model.live.is_(True))
    if model is not Organization:
        # EXISTS, not a join: with the join, SQLite (without ANALYZE statistics) walked every
        # live organization and sorted all their services for each keyset batch of iterate().
        stmt = stmt.where(exists().where(Organization.id == model.organization_id,
                                         Organization.live.is_(True)))
    return stmt


@dataclass(frozen=True)
class Filters:
    """The HSDS list filters, already parsed and checked by the view."""

    modified_after: datetime | None = None
    category_ids: tuple[int, ...] | None = None  # a term and its sub-terms; () matches nothing
    organization_id: uuid.UUID | None = None
    search: str | None = None


def _search(model, text: str, dialect: str):
    columns = [model.name, model.description]
    if dialect == "postgresql":
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return or_(*(c.ilike(f"%{escaped}%", escape="\\") for c in columns))
    # SQLite's LIKE folds ASCII case only: try the usual Cyrillic capitalisations.
    # The full Russian search (stemming, ranking) is the catalog's /search page.
    variants = {text, text.lower(), text.upper(), text.capitalize()}
    return or_(*(c.contains(v, autoescape=True) for c in columns for v in variants))


def filtered(model, filters: Filters, dialect: str) -> Select:
    stmt = public_select(model)
    if filters.modified_after is not None:
        stmt = stmt.where(model.last_published_at >= filters.modified_after)
    if filters.category_ids is not None:
        link = LINKS[model]
        stmt = stmt.where(exists().where(
            link.c[LINK_KEYS[model]] == model.id,
            link.c.category_id.in_(filters.category_ids or [-1]),
        ))
    if filters.organization_id is not None and model is not Organization:
        stmt = stmt.where(model.organization_id == select(Organization.id).where(
            Organization.uuid == filters.organization_id).scalar_subquery())
    if filters.search:
        stmt = stmt.where(_search(model, filters.search, dialect))
    return stmt


def _order(model):
    name = Organization.sort_name if model is Organization else model.name
    return (name, model.id)


def count(session: Session, model, filters: Filters) -> int:
    stmt = filtered(model, filters, session.get_bind().dialect.name)
    return session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


def page(session: Session, model, filters: Filters, number: int, size: int) -> list:
    """One HSDS page (1-based). Offsets grow with depth: bulk readers use ndjson or the feed."""
    stmt = filtered(model, filters, session.get_bind().dialect.name)
    stmt = stmt.order_by(*_order(model)).offset((number - 1) * size).limit(size)
    return list(session.scalars(stmt.options(*load_options(model))))


def iterate(session: Session, model, filters: Filters | None = None,
            chunk: int = 500) -> Iterator:
    """All matching public records in id order, ``chunk`` at a time, in constant memory."""
    stmt = filtered(model, filters or Filters(), session.get_bind().dialect.name)
    last_id = 0
    while True:
        batch = list(session.scalars(
            stmt.where(model.id > last_id).order_by(model.id).limit(chunk)
            .options(*load_options(model))
        ))
        if not batch:
            return
        last_id = batch[-1].id
        yield from batch
        # Done with this chunk: let the identity map forget it.
        session.expunge_all()


def get_public(session: Session, model, public_id: uuid.UUID):
    return session.scalar(
        public_select(model).where(model.uuid == public_id).options(*load_options(model)))


def categories(session: Session) -> list[tuple[BeneficiaryCategory, str | None]]:
    """Every term with its parent's code, in vocabulary order."""
    rows = session.scalars(
        select(BeneficiaryCategory).order_by(BeneficiaryCategory.position, BeneficiaryCategory.id)
        .options(selectinload(BeneficiaryCategory.parent))
    )
    return [(c, c.parent.slug if c.parent else None) for c in rows]


def resolve_term(session: Session, value: str) -> tuple[int, ...]:
    """Category ids for an HSDS term id (or a term code) and its sub-terms; () if unknown."""
    for category, _parent in categories(session):
        if value in (term_id(category.slug), category.slug):
            return (category.id, *(child.id for child in category.children))
    return ()
