"""The moderator's work: the queue of submissions, what changed, and each decision."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session, selectinload

from nko_openness.core.i18n import category_name
from nko_openness.core.i18n import lazy_gettext as _l
from nko_openness.models import (
    BeneficiaryCategory,
    Document,
    Organization,
    Project,
    Revision,
    Service,
    Status,
    WorkflowEvent,
)
from nko_openness.publishing import documents, workflow
from nko_openness.publishing.diff import RecordDiff, diff_snapshots
from nko_openness.publishing.workflow import Outcome, entity_type, latest_revision

# URL segment → model: the three kinds of record a moderator reviews one by one.
KINDS: dict[str, type] = {"organizations": Organization, "services": Service,
                          "projects": Project}
KIND_OF: dict[type, str] = {model: kind for kind, model in KINDS.items()}
KIND_LABELS = {"organizations": _l("Организация"), "services": _l("Услуга"),
               "projects": _l("Проект")}

STATUS_LABELS = {
    Status.DRAFT: _l("черновик"),
    Status.SUBMITTED: _l("на проверке"),
    Status.RETURNED: _l("возвращено на доработку"),
    Status.PUBLISHED: _l("опубликовано"),
    Status.UNPUBLISHED: _l("снято с публикации"),
    Status.ARCHIVED: _l("в архиве"),
}
ACTION_LABELS = {
    "submit": _l("Отправлено на проверку"),
    "return": _l("Возвращено на доработку"),
    "publish": _l("Опубликовано"),
    "unpublish": _l("Снято с публикации"),
    "archive": _l("Перенесено в архив"),
    "delete": _l("Удалено"),
}
QUEUE_LIMIT = 200


class ModerationError(Exception):
    """A decision that cannot be taken in the record's current state; the message is Russian."""


class NotAwaitingReview(ModerationError):
    def __init__(self, record):
        super().__init__(str(_l(
            "Эта запись уже не ожидает проверки (сейчас: %(status)s). Возможно, её уже "
            "рассмотрел другой модератор или редактор отозвал её.",
            status=STATUS_LABELS.get(record.status, record.status),
        )))


class ReasonRequired(ModerationError):
    pass


def kind_of(record) -> str:
    return KIND_OF[type(record)]


def get_record(session: Session, kind: str, public_id: str, for_update: bool = False):
    """The record of ``kind`` with that UUID, any status; locked for a decision on PostgreSQL."""
    model = KINDS.get(kind)
    try:
        value = uuid.UUID(str(public_id))
    except ValueError:
        return None
    if model is None:
        return None
    stmt = select(model).where(model.uuid == value)
    if for_update:
        # Two moderators deciding at once: the second waits, then sees the new status.
        stmt = stmt.with_for_update(of=model)
    return session.scalar(stmt)


# ---------------------------------------------------------------- the queue


@dataclass
class QueueItem:
    record: Any
    kind: str
    submitted_at: datetime | None
    submitted_by: str | None
    # The name in the submitted version (a live record's row still has the published one).
    name: str | None = None

    @property
    def organization(self) -> Organization:
        return self.record if isinstance(self.record, Organization) else self.record.organization

    @property
    def is_new(self) -> bool:
        """Never published: the moderator reviews all of it, not a change."""
        return self.record.live_version is None


@dataclass
class QueueGroup:
    organization: Organization
    items: list[QueueItem] = field(default_factory=list)


@dataclass
class Queue:
    groups: list[QueueGroup]
    total: int
    shown: int


def _last_submit(model, column):
    return (
        select(column)
        .where(WorkflowEvent.entity_type == workflow.ENTITY_TYPES[model],
               WorkflowEvent.entity_uuid == model.uuid, WorkflowEvent.action == "submit")
        .order_by(WorkflowEvent.id.desc()).limit(1)
        .correlate(model).scalar_subquery()
    )


def submission_queue(session: Session, limit: int = QUEUE_LIMIT) -> Queue:
    """Submitted records, oldest submission first, grouped by organization."""
    items: list[QueueItem] = []
    total = 0
    for kind, model in KINDS.items():
        submitted_at = _last_submit(model, WorkflowEvent.created_at)
        submitted_by = _last_submit(model, WorkflowEvent.user_id)
        stmt = (
            select(model, submitted_at, submitted_by)
            .where(model.status == Status.SUBMITTED)
            .order_by(submitted_at, model.id).limit(limit)
        )
        if model is not Organization:
            stmt = stmt.options(selectinload(model.organization))
        items += [QueueItem(record, kind, at, by) for record, at, by in session.execute(stmt)]
        total += session.scalar(
            select(func.count()).select_from(model).where(model.status == Status.SUBMITTED)
        )
    items.sort(key=lambda i: (i.submitted_at is None, i.submitted_at or 0, i.kind))
    items = items[:limit]
    _submitted_names(session, items)
    groups: dict[int, QueueGroup] = {}
    for item in items:  # a group sits where its oldest submission is
        org = item.organization
        groups.setdefault(org.id, QueueGroup(org)).items.append(item)
    return Queue(list(groups.values()), total, len(items))


def _submitted_names(session: Session, items: list[QueueItem]) -> None:
    keys = [(i.record.uuid, i.record.version) for i in items]
    names = {}
    if keys:
        rows = session.execute(
            select(Revision.entity_type, Revision.entity_uuid, Revision.data)
            .where(tuple_(Revision.entity_uuid, Revision.number).in_(keys))
        )
        names = {(kind, uid): (data or {}).get("name") for kind, uid, data in rows}
    for item in items:
        item.name = names.get((entity_type(item.record), item.record.uuid)) or item.record.name


# ---------------------------------------------------------------- review


@dataclass
class Review:
    """Everything the review page shows about one record."""

    record: Any
    kind: str
    diff: RecordDiff
    reviewed_version: int
    published_version: int | None
    submitted_at: datetime | None
    submitted_by: str | None
    submitted_version: int | None
    events: list[WorkflowEvent]

    @property
    def changed_since_submit(self) -> bool:
        """The editor saved again after submitting (the moderator sees the newer version)."""
        return self.submitted_version not in (None, self.reviewed_version)

    @property
    def awaiting_review(self) -> bool:
        return self.record.status == Status.SUBMITTED


def published_snapshot(session: Session, record) -> dict | None:
    """The content the public sees (or last saw): the ``live_version`` revision."""
    if record.live_version is None:
        return None
    data = session.scalar(select(Revision.data).where(
        Revision.entity_type == entity_type(record), Revision.entity_uuid == record.uuid,
        Revision.number == record.live_version))
    # The live row holds the published content, should its revision be missing.
    return data if data is not None else workflow.snapshot(record)


def submitted_snapshot(session: Session, record) -> dict:
    revision = latest_revision(session, record)
    return revision.data if revision is not None else workflow.snapshot(record)


def history(session: Session, record) -> list[WorkflowEvent]:
    """Every transition of ``record``, newest first: the audit both editor and moderator see."""
    return list(session.scalars(
        select(WorkflowEvent)
        .where(WorkflowEvent.entity_type == entity_type(record),
               WorkflowEvent.entity_uuid == record.uuid)
        .order_by(WorkflowEvent.id.desc())
    ))


def category_names(session: Session) -> dict[str, str]:
    # In the moderator's language: name_en on English pages (categories are a few dozen).
    return {c.slug: category_name(c) for c in session.scalars(select(BeneficiaryCategory))}


def review(session: Session, record, extra_labels: dict[str, str] | None = None,
           extra_rich: frozenset[str] = frozenset()) -> Review:
    events = history(session, record)
    submit = next((e for e in events if e.action == "submit"), None)
    return Review(
        record=record, kind=kind_of(record),
        diff=diff_snapshots(entity_type(record), published_snapshot(session, record),
                            submitted_snapshot(session, record), category_names(session),
                            extra_labels, extra_rich),
        reviewed_version=record.version, published_version=record.live_version,
        submitted_at=submit.created_at if submit else None,
        submitted_by=submit.user_id if submit else None,
        submitted_version=submit.revision_number if submit else None, events=events,
    )


def children(session: Session, org: Organization) -> dict[str, list]:
    """An organization's services and projects in any status, for the moderator's overview."""
    return {
        "services": list(session.scalars(select(Service).where(
            Service.organization_id == org.id).order_by(Service.name, Service.id))),
        "projects": list(session.scalars(select(Project).where(
            Project.organization_id == org.id).order_by(Project.name, Project.id))),
    }


def pending_documents(session: Session, org: Organization) -> list[Document]:
    """Documents uploaded since the organization was last approved: they go public with it."""
    return documents.pending_documents(session, org)


def list_organizations(session: Session, status: str | None = None, after: int | None = None,
                       limit: int = 50) -> tuple[list[Organization], int | None]:
    """All organizations (any status), newest first, keyset-paged by id."""
    stmt = select(Organization).order_by(Organization.id.desc()).limit(limit + 1)
    if status in Status.ALL:
        stmt = stmt.where(Organization.status == status)
    if after is not None:
        stmt = stmt.where(Organization.id < after)
    rows = list(session.scalars(stmt))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if more and rows else None)


# ---------------------------------------------------------------- decisions


def _require_submitted(record) -> None:
    if record.status != Status.SUBMITTED:
        raise NotAwaitingReview(record)


def _require_reason(reason: str | None, message) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired(str(message))
    return reason


def approve_submission(session: Session, record, user_id: str | None, reviewed_version: int,
                       comment: str | None = None) -> Outcome:
    """Publish the revision the moderator reviewed; StaleRevision if the editor saved since."""
    _require_submitted(record)
    outcome = workflow.approve(session, record, user_id, reviewed_version,
                               (comment or "").strip() or None)
    if isinstance(record, Organization):
        documents.publish_pending(session, record)
    return outcome


def return_submission(session: Session, record, user_id: str | None, reviewed_version: int,
                      comment: str | None) -> Outcome:
    _require_submitted(record)
    comment = _require_reason(comment, _l("Напишите, что нужно исправить."))
    return workflow.mark_returned(session, record, user_id, comment, reviewed_version)


def unpublish(session: Session, record, user_id: str | None, reason: str | None) -> Outcome:
    if not record.live:
        raise ModerationError(str(_l("Запись не опубликована: снимать с публикации нечего.")))
    reason = _require_reason(reason, _l("Укажите причину снятия с публикации."))
    return workflow.mark_unpublished(session, record, user_id, reason)


def archive(session: Session, record, user_id: str | None, reason: str | None) -> Outcome:
    if record.status == Status.ARCHIVED:
        raise ModerationError(str(_l("Запись уже в архиве.")))
    reason = _require_reason(reason, _l("Укажите причину переноса в архив."))
    return workflow.mark_unpublished(session, record, user_id, reason, archive=True)


def pending_counts(session: Session) -> dict[str, int]:
    """Submissions waiting per kind (for a badge in the host's staff menu)."""
    return {kind: session.scalar(select(func.count()).select_from(model)
                                 .where(model.status == Status.SUBMITTED)) or 0
            for kind, model in KINDS.items()}

