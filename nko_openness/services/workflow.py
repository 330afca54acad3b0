"""Publication state changes, each writing its Change rows in the same transaction.

Hooks that announce a change are called only after the commit (DESIGN §3): a plugin never
sees, nor can break, a transaction that might still roll back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import Flask
from sqlalchemy import inspect
from sqlalchemy.orm import Session

from ..models import (
    Change,
    Organization,
    Project,
    Revision,
    Service,
    Status,
    WorkflowEvent,
)
from ..models.base import utcnow

# Entity type names as the feeds and HSDS call them.
ENTITY_TYPES: dict[type, str] = {
    Organization: "organization",
    Service: "service",
    Project: "program",
}

_BOOKKEEPING = {
    "id", "organization_id", "status", "live", "has_unpublished_changes", "version",
    "live_version", "first_published_at", "last_published_at", "created_at", "updated_at",
    "sort_name",
}


def entity_type(record) -> str:
    return ENTITY_TYPES[type(record)]


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "hex") and not isinstance(value, str | bytes | int):
        return str(value)  # uuid.UUID
    return value


def snapshot(record) -> dict[str, Any]:
    """The record's content as JSON: what a Revision stores and a moderator compares."""
    mapper = inspect(type(record))
    data = {
        column.key: _jsonable(getattr(record, column.key))
        for column in mapper.column_attrs
        if column.key not in _BOOKKEEPING
    }
    data["categories"] = [c.slug for c in record.categories]
    if isinstance(record, Organization):
        data["activities"] = list(record.activities)
    if isinstance(record, Project):
        data["results"] = [
            {"indicator": r.indicator, "unit": r.unit, "planned": _jsonable(r.planned),
             "achieved": _jsonable(r.achieved)}
            for r in record.results
        ]
        data["fundings"] = [
            {"funder": f.funder, "programme": f.programme, "amount": _jsonable(f.amount),
             "currency": f.currency, "award_date": _jsonable(f.award_date)}
            for f in record.fundings
        ]
    return data


def save_revision(session: Session, record, author_id: str | None) -> Revision:
    """Record the current content of ``record`` as its next revision."""
    session.flush()  # so relationships and defaults are in the snapshot
    record.version = (record.version or 0) + 1
    revision = Revision(
        entity_type=entity_type(record), entity_uuid=record.uuid, number=record.version,
        data=snapshot(record), author_id=author_id,
    )
    record.has_unpublished_changes = True
    session.add(revision)
    return revision


def is_public(record) -> bool:
    """Visible to the public and the feeds: live itself, and its organization live too."""
    if isinstance(record, Organization):
        return record.live
    return record.live and record.organization.live


def _change(session: Session, record, op: str) -> Change:
    change = Change(entity_type=entity_type(record), entity_uuid=record.uuid, op=op)
    session.add(change)
    return change


def _children(org: Organization):
    return [r for r in (*org.services, *org.projects) if r.live]


def _log(session, record, action, from_status, user_id, comment):
    session.add(WorkflowEvent(
        entity_type=entity_type(record), entity_uuid=record.uuid, action=action,
        from_status=from_status, to_status=record.status, revision_number=record.version,
        user_id=user_id, comment=comment,
    ))


@dataclass
class Outcome:
    """What a transition changed; ``announce`` runs the notify hooks after the commit."""

    record: Any
    changes: list[Change] = field(default_factory=list)
    hook: str | None = None

    def announce(self, app: Flask) -> None:
        if self.hook is None:
            return
        caller = getattr(app.extensions["nko_openness"].hook, self.hook)
        change = self.changes[0] if self.changes else None
        caller(app=app, record=self.record, change=change)


def mark_published(session: Session, record, user_id: str | None = None,
                   comment: str | None = None) -> Outcome:
    """Publish the row's current content inside the caller's transaction."""
    was_public = is_public(record)
    previous = record.status
    now = utcnow()
    record.status = Status.PUBLISHED
    record.live = True
    record.live_version = record.version
    record.has_unpublished_changes = False
    record.first_published_at = record.first_published_at or now
    record.last_published_at = now
    _log(session, record, "publish", previous, user_id, comment)
    outcome = Outcome(record, hook="nko_after_publish")
    if is_public(record):
        outcome.changes.append(_change(session, record, "upsert"))
        # An organization coming (back) into view brings its live services and projects.
        if isinstance(record, Organization) and not was_public:
            outcome.changes += [_change(session, child, "upsert") for child in _children(record)]
    return outcome


def mark_unpublished(session: Session, record, user_id: str | None, comment: str | None,
                     archive: bool = False) -> Outcome:
    """Withdraw ``record`` from the public; feeds get tombstones for it (and its children)."""
    was_public = is_public(record)
    previous = record.status
    record.status = Status.ARCHIVED if archive else Status.UNPUBLISHED
    record.live = False
    _log(session, record, "archive" if archive else "unpublish", previous, user_id, comment)
    outcome = Outcome(record, hook="nko_after_unpublish")
    if was_public:
        outcome.changes.append(_change(session, record, "delete"))
        if isinstance(record, Organization):
            outcome.changes += [_change(session, child, "delete") for child in _children(record)]
    return outcome


def mark_deleted(session: Session, record, user_id: str | None) -> Outcome:
    """Delete ``record``; a tombstone reaches the feeds if the public could see it."""
    outcome = Outcome(record, hook="nko_after_unpublish")
    if is_public(record):
        outcome.changes.append(_change(session, record, "delete"))
        if isinstance(record, Organization):
            outcome.changes += [_change(session, child, "delete") for child in _children(record)]
    session.add(WorkflowEvent(
        entity_type=entity_type(record), entity_uuid=record.uuid, action="delete",
        from_status=record.status, to_status="deleted", user_id=user_id,
    ))
    session.delete(record)
    return outcome


def commit_and_announce(session: Session, app: Flask, *outcomes: Outcome) -> None:
    session.commit()
    for outcome in outcomes:
        outcome.announce(app)
