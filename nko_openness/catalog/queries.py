"""Read-only queries behind the public pages: only published records, flat cost at any size."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, exists, func, select, tuple_
from sqlalchemy.orm import Session, selectinload

from nko_openness.catalog import category_tally
from nko_openness.models import (
    BeneficiaryCategory,
    Change,
    Document,
    Organization,
    OrganizationActivity,
    Project,
    Service,
    organization_categories,
    project_categories,
    service_categories,
)


class BadCursor(ValueError):
    """A pagination cursor that was not made by us."""


def encode_cursor(*key: Any) -> str:
    raw = json.dumps(list(key), ensure_ascii=False, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(value: str, arity: int) -> list[Any]:
    try:
        padded = value + "=" * (-len(value) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise BadCursor(value) from exc
    if not isinstance(key, list) or len(key) != arity:
        raise BadCursor(value)
    return key


@dataclass
class Page:
    """One keyset page; cursors are opaque strings for ``after`` / ``before``."""

    items: list
    next_cursor: str | None = None
    prev_cursor: str | None = None
    extra: dict = field(default_factory=dict)


def parse_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        return None


def _keyset(stmt, columns, limit: int, *, after: str | None, before: str | None,
            session: Session, key_of) -> Page:
    """Keyset pagination over ``columns`` (unique together), forwards or backwards."""
    if before:
        key = decode_cursor(before, len(columns))
        stmt = stmt.where(tuple_(*columns) < tuple_(*key))
        rows = list(session.scalars(stmt.order_by(*(c.desc() for c in columns)).limit(limit + 1)))
        has_more_before = len(rows) > limit
        rows = list(reversed(rows[:limit]))
        return Page(
            rows,
            next_cursor=encode_cursor(*key_of(rows[-1])) if rows else None,
            prev_cursor=encode_cursor(*key_of(rows[0])) if rows and has_more_before else None,
        )
    if after:
        key = decode_cursor(after, len(columns))
        stmt = stmt.where(tuple_(*columns) > tuple_(*key))
    rows = list(session.scalars(stmt.order_by(*columns).limit(limit + 1)))
    has_more = len(rows) > limit
    rows = rows[:limit]
    return Page(
        rows,
        next_cursor=encode_cursor(*key_of(rows[-1])) if rows and has_more else None,
        prev_cursor=encode_cursor(*key_of(rows[0])) if rows and after else None,
    )


def category_with_descendants(session: Session, slug: str) -> list[int]:
    """Ids of a category and its sub-categories (the vocabulary is two levels deep at most)."""
    category = session.scalar(select(BeneficiaryCategory).where(BeneficiaryCategory.slug == slug))
    if category is None:
        return []
    return [category.id, *(child.id for child in category.children)]


def list_organizations(session: Session, *, category: str | None = None,
                       activity: str | None = None, after: str | None = None,
                       before: str | None = None, limit: int = 20,
                       extra_filters: dict | None = None) -> Page:
    """``extra_filters``: plugin choice fields, {name: value} or {name: [value]} for
    multi-choice (see field_display.catalog_filters); not indexed, see docs/plugins.md."""
    stmt = select(Organization).where(Organization.live.is_(True))
    if extra_filters:
        from nko_openness.fields.display import extra_filter_clause

        dialect = session.get_bind().dialect.name
        for name, value in extra_filters.items():
            stmt = stmt.where(extra_filter_clause(Organization.extra, name, value, dialect))
    if category:
        ids = category_with_descendants(session, category)
        stmt = stmt.where(exists().where(
            organization_categories.c.organization_id == Organization.id,
            organization_categories.c.category_id.in_(ids or [-1]),
        ))
    if activity:
        stmt = stmt.where(exists().where(
            OrganizationActivity.organization_id == Organization.id,
            OrganizationActivity.activity == activity,
        ))
    stmt = stmt.options(selectinload(Organization.categories),
                        selectinload(Organization.activity_rows))
    return _keyset(stmt, (Organization.sort_name, Organization.id), limit, after=after,
                   before=before, session=session, key_of=lambda o: (o.sort_name, o.id))


def get_organization(session: Session, slug: str) -> Organization | None:
    return session.scalar(
        select(Organization)
        .where(Organization.slug == slug, Organization.live.is_(True))
        .options(selectinload(Organization.categories), selectinload(Organization.activity_rows))
    )


def organization_children(session: Session, org: Organization) -> dict[str, list]:
    """Published services, projects and documents of a published organization.

    The page lists children by name, status and dates only, so their categories are not
    loaded (two queries less, issue 7); fundings are, for the openness badge.
    """
    services = session.scalars(
        select(Service).where(Service.organization_id == org.id, Service.live.is_(True))
        .order_by(Service.name)
    ).all()
    projects = session.scalars(
        select(Project).where(Project.organization_id == org.id, Project.live.is_(True))
        .order_by(Project.start_date.desc(), Project.name)
        .options(selectinload(Project.fundings))
    ).all()
    documents = session.scalars(
        select(Document).where(Document.organization_id == org.id, Document.live.is_(True))
        .order_by(Document.year.desc(), Document.id)
    ).all()
    return {"services": services, "projects": projects, "documents": documents}


def _public_child(session: Session, model, value: str):
    public_id = parse_uuid(value)
    if public_id is None:
        return None
    return session.scalar(
        select(model).join(Organization, model.organization_id == Organization.id)
        .where(model.uuid == public_id, model.live.is_(True), Organization.live.is_(True))
        .options(selectinload(model.categories), selectinload(model.organization))
    )


def get_service(session: Session, value: str) -> Service | None:
    return _public_child(session, Service, value)


def get_project(session: Session, value: str) -> Project | None:
    return _public_child(session, Project, value)


def list_categories(session: Session) -> list[BeneficiaryCategory]:
    """Top-level categories with their children loaded, in vocabulary order."""
    return list(session.scalars(
        select(BeneficiaryCategory).where(BeneficiaryCategory.parent_id.is_(None))
        .order_by(BeneficiaryCategory.position)
        .options(selectinload(BeneficiaryCategory.children))
    ))


def get_category(session: Session, slug: str) -> BeneficiaryCategory | None:
    return session.scalar(
        select(BeneficiaryCategory).where(BeneficiaryCategory.slug == slug)
        .options(selectinload(BeneficiaryCategory.children),
                 selectinload(BeneficiaryCategory.parent))
    )


def _link_fk(model, link):
    return link.c["service_id" if model is Service else "project_id"]


def _in_category(model, link, category_ids):
    fk = _link_fk(model, link)
    return exists().where(fk == model.id, link.c.category_id.in_(category_ids))


def category_records(session: Session, category: BeneficiaryCategory, model, *,
                     after: str | None = None, before: str | None = None,
                     limit: int = 20) -> Page:
    """Published services (or projects) for one category and its sub-categories."""
    link = service_categories if model is Service else project_categories
    ids = [category.id, *(c.id for c in category.children)]
    # Both conditions are EXISTS, not joins: the only cheap plan left is then to walk
    # ix_*_browse in name order and stop after one page. With a join, SQLite drove the query
    # from the organizations and sorted every published record (seconds at 220,000 NKOs).
    org_is_live = exists().where(Organization.id == model.organization_id,
                                 Organization.live.is_(True))
    stmt = (
        select(model)
        .where(model.live.is_(True), org_is_live, _in_category(model, link, ids))
        .options(selectinload(model.organization))
    )
    return _keyset(stmt, (model.name, model.id), limit, after=after, before=before,
                   session=session, key_of=lambda r: (r.name, r.id))


def latest_change_seq(session: Session) -> int:
    """The outbox high-water mark: a cheap version number for caches of public data."""
    return session.scalar(select(func.max(Change.seq))) or 0


def category_counts(session: Session) -> dict[int, int]:
    """Published services and projects per category id (sub-categories not rolled up).

    Read from the tally that publishing keeps (``catalog/category_tally.py``): a handful
    of rows at any size, where counting the records takes seconds at 220,000 NKOs.
    """
    return category_tally.counts(session)


def aggregate_category_counts(session: Session) -> dict[int, int]:
    """The same numbers counted from the records: what the tally must always equal."""
    counts: dict[int, int] = {}
    for model, link in ((Service, service_categories), (Project, project_categories)):
        fk = _link_fk(model, link)
        rows = session.execute(
            select(link.c.category_id, func.count())
            .join(model, and_(fk == model.id, model.live.is_(True)))
            .join(Organization, and_(model.organization_id == Organization.id,
                                     Organization.live.is_(True)))
            .group_by(link.c.category_id)
        )
        for category_id, count in rows:
            counts[category_id] = counts.get(category_id, 0) + count
    return counts
