"""Workflow state shared by disclosed records, and the tables that record its history.

Like Wagtail pages, a record's row holds its live (published) content once it has been
published; the working draft lives in the latest Revision until a moderator approves it.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from nko_openness.models.base import Base, utcnow


class Status:
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    PUBLISHED = "published"
    UNPUBLISHED = "unpublished"
    ARCHIVED = "archived"

    ALL = (DRAFT, SUBMITTED, RETURNED, PUBLISHED, UNPUBLISHED, ARCHIVED)


class PublishableMixin:
    """Columns every moderated record carries (organization, service, project)."""

    # Workflow state of the latest version: what the editor and moderator act on. Indexed
    # for the moderation queue (status = submitted), a few rows among many.
    status: Mapped[str] = mapped_column(String(20), default=Status.DRAFT, nullable=False,
                                        index=True)
    # True while a published version is visible to the public and the feeds.
    live: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    # The latest revision has changes the public does not see yet.
    has_unpublished_changes: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    # Number of the latest saved revision: the expected-version check for concurrent edits.
    version: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    live_version: Mapped[int | None] = mapped_column(Integer)
    first_published_at: Mapped[datetime | None]
    last_published_at: Mapped[datetime | None]
    extra: Mapped[dict] = mapped_column(default=dict, nullable=False)


class Revision(Base):
    """A JSON snapshot of one saved version of a record."""

    __tablename__ = "nko_revision"
    __table_args__ = (
        Index("ix_nko_revision_entity", "entity_type", "entity_uuid", "number", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(20), nullable=False)
    entity_uuid: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    data: Mapped[dict] = mapped_column(nullable=False)
    author_id: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)


class WorkflowEvent(Base):
    """The audit log: one row per transition, with who, when and the comment."""

    __tablename__ = "nko_workflow_event"
    __table_args__ = (Index("ix_nko_workflow_event_entity", "entity_type", "entity_uuid", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(20), nullable=False)
    entity_uuid: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    action: Mapped[str] = mapped_column(String(20), nullable=False)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20), nullable=False)
    revision_number: Mapped[int | None] = mapped_column(Integer)
    user_id: Mapped[str | None] = mapped_column(String(255))
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)


class Change(Base):
    """The transactional outbox read by every feed: one row per change a consumer must see."""

    __tablename__ = "nko_change"
    __table_args__ = (Index("ix_nko_change_entity", "entity_type", "entity_uuid"),)

    # BigInteger on PostgreSQL, but SQLite only autoincrements an INTEGER PRIMARY KEY.
    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    entity_type: Mapped[str] = mapped_column(String(20), nullable=False)
    entity_uuid: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    op: Mapped[str] = mapped_column(String(10), nullable=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)


class Membership(Base):
    """Which host user may edit which organization."""

    __tablename__ = "nko_membership"
    __table_args__ = (
        Index("ix_nko_membership_user_org", "user_id", "organization_id", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[str] = mapped_column(String(255), nullable=False)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("nko_organization.id", ondelete="CASCADE"), nullable=False, index=True
    )
    role: Mapped[str] = mapped_column(String(20), default="editor", nullable=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)

    organization = relationship("Organization", back_populates="memberships")
