"""Which services and projects a feed shows: the latest publications, newest first."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, selectinload

from nko_openness.export import hsds_query
from nko_openness.models import (
    BeneficiaryCategory,
    Change,
    Organization,
    Project,
    Service,
    project_categories,
    service_categories,
)

FEED_TYPES = {"service": Service, "program": Project}
LINKS = {Service: (service_categories, "service_id"), Project: (project_categories, "project_id")}
CHANGES_PER_STEP = 200
# How far back the outbox is walked before a narrow feed asks the tables directly.
MAX_CHANGES_SCANNED = 5000


@dataclass(frozen=True)
class Scope:
    """The whole site, one organization, or one beneficiary category (with sub-categories)."""

    organization: Organization | None = None
    category: BeneficiaryCategory | None = None

    def category_ids(self) -> list[int]:
        if self.category is None:
            return []
        return [self.category.id, *(child.id for child in self.category.children)]


def _public(model, scope: Scope):
    stmt = hsds_query.public_select(model).options(
        selectinload(model.organization), selectinload(model.categories))
    if scope.organization is not None:
        stmt = stmt.where(model.organization_id == scope.organization.id)
    if scope.category is not None:
        link, key = LINKS[model]
        stmt = stmt.where(exists().where(link.c[key] == model.id,
                                         link.c.category_id.in_(scope.category_ids())))
    return stmt


def _from_outbox(session: Session, scope: Scope, limit: int) -> tuple[list, bool]:
    """Walk the outbox from the newest change: cost follows the feed's length, not the
    table's. Returns the records and whether the walk reached the start of the outbox."""
    found: list = []
    seen: set = set()
    before = None
    scanned = 0
    while len(found) < limit and scanned < MAX_CHANGES_SCANNED:
        stmt = (select(Change.seq, Change.entity_type, Change.entity_uuid)
                .where(Change.op == "upsert", Change.entity_type.in_(tuple(FEED_TYPES)))
                .order_by(Change.seq.desc()).limit(CHANGES_PER_STEP))
        if before is not None:
            stmt = stmt.where(Change.seq < before)
        rows = session.execute(stmt).all()
        if not rows:
            return found, True
        scanned += len(rows)
        before = rows[-1].seq
        fresh = [r for r in rows if (r.entity_type, r.entity_uuid) not in seen]
        seen.update((r.entity_type, r.entity_uuid) for r in fresh)
        loaded = {}
        for hsds_type, model in FEED_TYPES.items():
            ids = [r.entity_uuid for r in fresh if r.entity_type == hsds_type]
            if ids:
                for record in session.scalars(_public(model, scope).where(model.uuid.in_(ids))):
                    loaded[(hsds_type, record.uuid)] = record
        found += [loaded[key] for key in ((r.entity_type, r.entity_uuid) for r in fresh)
                  if key in loaded]
    return found[:limit], False


def _from_tables(session: Session, scope: Scope, limit: int) -> list:
    records = []
    for model in FEED_TYPES.values():
        records += session.scalars(_public(model, scope)
                                   .order_by(model.last_published_at.desc(), model.id.desc())
                                   .limit(limit))
    records.sort(key=lambda r: r.last_published_at, reverse=True)
    return records[:limit]


def latest(session: Session, scope: Scope, limit: int) -> list:
    """Up to ``limit`` public services and projects in ``scope``, latest publication first."""
    if scope.organization is not None:
        # One organization's records are few: its index finds them directly.
        return _from_tables(session, scope, limit)
    found, complete = _from_outbox(session, scope, limit)
    if len(found) >= limit or complete:
        return found
    # A rare category in a long outbox: its few records are cheap to sort directly.
    return _from_tables(session, scope, limit)
