"""The cabinet's view of one organization: each record's working name, state and last comment."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nko_openness.core.i18n import gettext as _
from nko_openness.core.i18n import lazy_gettext as _l
from nko_openness.models import Organization, Project, Revision, Service, Status, WorkflowEvent
from nko_openness.publishing.workflow import entity_type, snapshot

STATUS_LABELS = {
    Status.DRAFT: _l("черновик"),
    Status.SUBMITTED: _l("на проверке"),
    Status.RETURNED: _l("возвращено"),
    Status.PUBLISHED: _l("опубликовано"),
    Status.UNPUBLISHED: _l("снято с публикации"),
    Status.ARCHIVED: _l("в архиве"),
}
MODERATOR_ACTIONS = ("return", "publish", "unpublish", "archive")
HISTORY_LABELS = {
    "submit": _l("отправлено на проверку"),
    "return": _l("возвращено на доработку"),
    "publish": _l("опубликовано"),
    "unpublish": _l("снято с публикации"),
    "archive": _l("перенесено в архив"),
    "delete": _l("удалено"),
}
KINDS = {Organization: "organization", Service: "service", Project: "project"}


@dataclass
class RecordState:
    """One record as the cabinet lists it: its working name and where it stands."""

    record: Any
    data: dict
    comment: str | None = None
    comment_action: str | None = None

    @property
    def kind(self) -> str:
        return KINDS[type(self.record)]

    @property
    def name(self) -> str:
        return self.data.get("name") or self.record.name

    @property
    def status_label(self) -> str:
        label = str(STATUS_LABELS.get(self.record.status, self.record.status))
        if self.record.live and self.record.status != Status.PUBLISHED:
            label += " · " + _("опубликованная версия видна на сайте")
        return label


@dataclass
class Overview:
    organization: RecordState
    services: list[RecordState] = field(default_factory=list)
    projects: list[RecordState] = field(default_factory=list)
    history: list[WorkflowEvent] = field(default_factory=list)

    @property
    def records(self) -> list[RecordState]:
        return [self.organization, *self.services, *self.projects]

    @property
    def names(self) -> dict[Any, str]:
        return {state.record.uuid: state.name for state in self.records}


def _latest_data(session: Session, records) -> dict[tuple[str, Any], dict]:
    """The latest revision's data of many records in one query (no N+1)."""
    keyed = {(entity_type(r), r.uuid): r for r in records if r.version}
    if not keyed:
        return {}
    rows = session.execute(
        select(Revision.entity_type, Revision.entity_uuid, Revision.number, Revision.data)
        .where(Revision.entity_uuid.in_([u for _, u in keyed]))
    )
    found = {}
    for kind, uuid, number, data in rows:
        record = keyed.get((kind, uuid))
        if record is not None and record.version == number:
            found[(kind, uuid)] = data
    return found


def overview(session: Session, org: Organization, history_limit: int = 30) -> Overview:
    services = list(session.scalars(select(Service).where(Service.organization_id == org.id)
                                    .order_by(Service.name, Service.id)))
    projects = list(session.scalars(select(Project).where(Project.organization_id == org.id)
                                    .order_by(Project.name, Project.id)))
    records = [org, *services, *projects]
    latest = _latest_data(session, records)
    uuids = [r.uuid for r in records]
    events = list(session.scalars(
        select(WorkflowEvent).where(WorkflowEvent.entity_uuid.in_(uuids))
        .order_by(WorkflowEvent.id.desc())
    ))
    comments: dict[Any, WorkflowEvent] = {}
    for event in events:
        if event.action in MODERATOR_ACTIONS and event.comment and event.entity_uuid not in \
                comments:
            comments[event.entity_uuid] = event

    def state(record) -> RecordState:
        data = latest.get((entity_type(record), record.uuid)) or snapshot(record)
        event = comments.get(record.uuid)
        return RecordState(record, data, event.comment if event else None,
                           event.action if event else None)

    return Overview(state(org), [state(s) for s in services], [state(p) for p in projects],
                    events[:history_limit])
