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
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from nko_openness.models import (
    Change,
    Organization,
    Project,
    Revision,
    Service,
    Status,
    WorkflowEvent,
)
from nko_openness.models.base import utcnow
from nko_openness.search import index as search_index

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


def _parse_value(column, value):
    if value is None:
        return None
    python_type = getattr(column.type, "python_type", None)
    try:
        if python_type is date:
            return date.fromisoformat(value)
        if python_type is datetime:
            return datetime.fromisoformat(value)
        if python_type is Decimal:
            return Decimal(value)
    except NotImplementedError:
        pass
    return value


def apply_snapshot(session: Session, record, data: dict[str, Any]) -> None:
    """Make the row hold ``data`` (a Revision snapshot): the inverse of :func:`snapshot`."""
    from nko_openness.models import ProjectFunding, ProjectResult
    from nko_openness.publishing.vocabulary import categories_by_slug

    mapper = inspect(type(record))
    for attr in mapper.column_attrs:
        if attr.key in data and attr.key not in _BOOKKEEPING and attr.key != "uuid":
            setattr(record, attr.key, _parse_value(attr.columns[0], data[attr.key]))
    if "categories" in data:
        by_slug = categories_by_slug(session)
        # A category removed from the vocabulary since the snapshot is dropped, not an error.
        record.categories = [by_slug[s] for s in data["categories"] if s in by_slug]
    if isinstance(record, Organization) and "activities" in data:
        record.activities = list(data["activities"])
    if isinstance(record, Project):
        if "results" in data:
            record.results = [
                ProjectResult(position=i, indicator=r["indicator"], unit=r.get("unit"),
                              planned=_decimal(r.get("planned")),
                              achieved=_decimal(r.get("achieved")))
                for i, r in enumerate(data["results"])
            ]
        if "fundings" in data:
            record.fundings = [
                ProjectFunding(position=i, funder=f["funder"], programme=f.get("programme"),
                               amount=_decimal(f.get("amount")),
                               currency=f.get("currency") or "RUB",
                               award_date=date.fromisoformat(f["award_date"])
                               if f.get("award_date") else None)
                for i, f in enumerate(data["fundings"])
            ]


def _decimal(value) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def latest_revision(session: Session, record) -> Revision | None:
    return session.scalar(
        select(Revision).where(
            Revision.entity_type == entity_type(record), Revision.entity_uuid == record.uuid,
            Revision.number == record.version,
        )
    )


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
    comment: str | None = None

    def announce(self, app: Flask, user=None) -> None:
        if self.hook is None:
            return
        from nko_openness.core.plugins import notify

        if self.hook in ("nko_after_publish", "nko_after_unpublish"):
            notify(app, self.hook, record=self.record,
                   change=self.changes[0] if self.changes else None)
        elif self.hook == "nko_after_return":
            notify(app, self.hook, record=self.record, user=user, comment=self.comment)
        else:
            notify(app, self.hook, record=self.record, user=user)


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
    search_index.sync_record(session, record)  # same transaction: the index never lags the public
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
    search_index.drop_record(session, record)
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
    search_index.drop_record(session, record)
    session.delete(record)
    return outcome


class StaleRevision(Exception):
    """The record changed after the version the caller looked at (concurrent edit)."""

    def __init__(self, record, expected: int):
        super().__init__(f"{entity_type(record)} {record.uuid}: expected version {expected}, "
                         f"found {record.version}")
        self.record = record
        self.expected = expected


def check_version(record, expected: int | None) -> None:
    if expected is not None and record.version != expected:
        raise StaleRevision(record, expected)


def mark_submitted(session: Session, record, user_id: str | None,
                   expected_version: int | None = None) -> Outcome:
    """The editor asks a moderator to publish the latest revision."""
    check_version(record, expected_version)
    previous = record.status
    record.status = Status.SUBMITTED
    _log(session, record, "submit", previous, user_id, None)
    return Outcome(record, hook="nko_after_submit")


def mark_returned(session: Session, record, user_id: str | None, comment: str,
                  expected_version: int | None = None) -> Outcome:
    """The moderator sends the submission back with a (required) comment."""
    check_version(record, expected_version)
    if not (comment or "").strip():
        raise ValueError("Комментарий обязателен при возврате на доработку.")
    previous = record.status
    record.status = Status.RETURNED
    _log(session, record, "return", previous, user_id, comment)
    return Outcome(record, hook="nko_after_return", comment=comment)


def approve(session: Session, record, user_id: str | None, reviewed_version: int,
            comment: str | None = None) -> Outcome:
    """Publish exactly the revision the moderator reviewed, copying it onto the live row."""
    check_version(record, reviewed_version)
    revision = latest_revision(session, record)
    if revision is not None:  # a no-op when the row already holds the draft (never published)
        apply_snapshot(session, record, revision.data)
    return mark_published(session, record, user_id, comment)


def commit_and_announce(session: Session, app: Flask, *outcomes: Outcome, user=None) -> None:
    session.commit()
    for outcome in outcomes:
        outcome.announce(app, user)
