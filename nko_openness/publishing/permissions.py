"""Who may do what: one ``can(user, action, obj)`` that every view asks, overridable by the host.

Actions: ``cabinet`` (see an organization's drafts, or the cabinet at all when ``obj`` is
None), ``edit`` and ``submit`` (change an organization's records and send them for review),
``moderate`` (review, approve, return, unpublish) and ``admin``. The host decides first
through the ``nko_permission`` hook; the default rules below apply when it returns None.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from nko_openness.core.db import db_session
from nko_openness.models import Document, Membership, Organization, Revision, WorkflowEvent
from nko_openness.publishing.workflow import ENTITY_TYPES, entity_type

ACTIONS = ("cabinet", "edit", "submit", "moderate", "admin")
STAFF_ROLES = ("moderator", "admin")


def current_user():
    """The host's logged-in user (``nko_current_user`` hook), or None for a visitor."""
    app = current_app._get_current_object()
    return app.extensions["nko_openness"].hook.nko_current_user(app=app)


def user_id(user) -> str | None:
    """The user's id as the module stores it (always a string)."""
    if user is None:
        return None
    get_id = getattr(user, "get_id", None)
    value = get_id() if callable(get_id) else getattr(user, "id", None)
    return None if value is None else str(value)


def role(user) -> str | None:
    return getattr(user, "nko_role", None)


def is_staff(user) -> bool:
    return user is not None and role(user) in STAFF_ROLES


def organization_of(obj) -> Organization | None:
    if isinstance(obj, Organization):
        return obj
    return getattr(obj, "organization", None)


def member_organization_ids(user) -> set[int]:
    uid = user_id(user)
    if uid is None:
        return set()
    return set(db_session().scalars(
        select(Membership.organization_id).where(Membership.user_id == uid)
    ))


def is_member(user, org: Organization | None) -> bool:
    uid = user_id(user)
    if uid is None or org is None or org.id is None:
        return False
    return db_session().scalar(
        select(Membership.id).where(Membership.user_id == uid,
                                    Membership.organization_id == org.id)
    ) is not None


def _own_work(user, record) -> bool:
    """The user wrote the latest revision of ``record`` or submitted it for review."""
    if type(record) not in ENTITY_TYPES or record.uuid is None:
        return False
    uid = user_id(user)
    session = db_session()
    kind = entity_type(record)
    author = session.scalar(
        select(Revision.author_id).where(Revision.entity_type == kind,
                                         Revision.entity_uuid == record.uuid,
                                         Revision.number == record.version)
    )
    submitter = session.scalar(
        select(WorkflowEvent.user_id)
        .where(WorkflowEvent.entity_type == kind, WorkflowEvent.entity_uuid == record.uuid,
               WorkflowEvent.action == "submit")
        .order_by(WorkflowEvent.id.desc()).limit(1)
    )
    return uid in (author, submitter)


def default_permission(user, action: str, obj=None) -> bool:
    """The module's own rules (see the module docstring and docs/cabinet.md)."""
    if user is None or action not in ACTIONS:
        return False
    if action == "admin":
        return role(user) == "admin"
    if action == "moderate":
        # Four eyes: nobody approves what they wrote or submitted themselves.
        return is_staff(user) and not (obj is not None and _own_work(user, obj))
    if obj is None:
        # Entering the cabinet (it lists only the user's organizations) or creating in it.
        return action == "cabinet" or role(user) == "admin"
    org = organization_of(obj)
    if action == "cabinet":
        return is_staff(user) or is_member(user, org)
    # edit, submit: the organization's editors, and the administrator. Moderators read
    # drafts but do not write them, so that they never review their own text.
    if isinstance(obj, Document) and obj.organization_id is None:
        return False
    return role(user) == "admin" or is_member(user, org)


def can(user, action: str, obj=None) -> bool:
    """May ``user`` do ``action`` on ``obj``? The host's ``nko_permission`` hook decides first."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; expected one of {', '.join(ACTIONS)}")
    app = current_app._get_current_object()
    decided = app.extensions["nko_openness"].hook.nko_permission(
        app=app, user=user, action=action, obj=obj
    )
    if decided is not None:
        return bool(decided)
    return default_permission(user, action, obj)


def grant_editor(session, user: str, org: Organization) -> Membership:
    """Make ``user`` (an id) an editor of ``org``; granting twice changes nothing."""
    uid = str(user)
    found = session.scalar(select(Membership).where(Membership.user_id == uid,
                                                    Membership.organization_id == org.id))
    if found is None:
        found = Membership(user_id=uid, organization=org, role="editor")
        session.add(found)
    return found


def revoke_editor(session, user: str, org: Organization) -> bool:
    found = session.scalar(select(Membership).where(Membership.user_id == str(user),
                                                    Membership.organization_id == org.id))
    if found is not None:
        session.delete(found)
    return found is not None
