"""Drafts dressed as the public will see them: unsaved copies for the public templates.

The copies are transient objects never added to the session, so rendering a preview can
never write anything; ``Shown`` lends them their real organization without a backref.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from nko_openness.models import Document, Organization, Project, Service, Status
from nko_openness.publishing.disclosure import draft_data
from nko_openness.publishing.workflow import apply_snapshot

# Withdrawn records stay off the public page until they are edited and approved again.
HIDDEN = frozenset({Status.UNPUBLISHED, Status.ARCHIVED})


class Shown:
    """A transient copy with some attributes (its organization) supplied from outside."""

    def __init__(self, copy, **overrides):
        self._copy = copy
        self.__dict__.update(overrides)

    def __getattr__(self, name):
        return getattr(self._copy, name)


def draft_copy(session: Session, record):
    """A transient instance holding the record's working version."""
    copy = type(record)()
    apply_snapshot(session, copy, draft_data(session, record))
    copy.uuid = record.uuid
    copy.status = record.status
    return copy


def record_page(session: Session, record) -> Shown:
    """A service or project as its public page would show it once approved."""
    return Shown(draft_copy(session, record), organization=record.organization)


def organization_page(session: Session, org: Organization) -> dict:
    """The organization page's variables (org, services, projects, documents) once approved."""
    shown_org = Shown(draft_copy(session, org), id=org.id, slug=org.slug)
    services = [
        Shown(draft_copy(session, s), organization=shown_org)
        for s in session.scalars(select(Service).where(Service.organization_id == org.id))
        if s.status not in HIDDEN
    ]
    projects = [
        Shown(draft_copy(session, p), organization=shown_org)
        for p in session.scalars(select(Project).where(Project.organization_id == org.id))
        if p.status not in HIDDEN
    ]
    services.sort(key=lambda s: s.name or "")
    # The public page lists the newest projects first.
    projects.sort(key=lambda p: p.name or "")
    projects.sort(key=lambda p: p.start_date.toordinal() if p.start_date else 0, reverse=True)
    documents = list(session.scalars(
        select(Document).where(Document.organization_id == org.id)
        .order_by(Document.year.desc(), Document.id)
    ))
    return {"org": shown_org, "services": services, "projects": projects,
            "documents": documents}
