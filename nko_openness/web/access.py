"""Helpers the editor-facing views share: who is asking, what they may open, how files go out."""

from __future__ import annotations

import os
import uuid

from flask import abort, current_app, redirect, request, send_file, url_for
from sqlalchemy import select

from nko_openness.core.db import db_session
from nko_openness.core.i18n import gettext as _
from nko_openness.models import Organization
from nko_openness.publishing import documents as document_service
from nko_openness.publishing.permissions import can, current_user


def login_required():
    """The current user, or the host's login page (401 when the host has none)."""
    user = current_user()
    if user is not None:
        return user
    manager = getattr(current_app, "login_manager", None)
    login_view = getattr(manager, "login_view", None)
    if login_view:
        abort(redirect(url_for(login_view, next=request.full_path.rstrip("?"))))
    abort(401)


def organization_for(slug: str, action: str = "cabinet"):
    """(user, organization) when the user may do ``action`` on it.

    An organization the user may not even look at in the cabinet is a 404, so drafts of
    unpublished organizations do not reveal that they exist.
    """
    user = login_required()
    org = db_session().scalar(select(Organization).where(Organization.slug == slug))
    if org is None or not can(user, "cabinet", org):
        abort(404)
    if action != "cabinet" and not can(user, action, org):
        abort(403)
    return user, org


def parse_public_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except (ValueError, TypeError):
        abort(404)


def expected_version(value) -> int:
    """The version a form was opened at; a form without one cannot overwrite anything."""
    try:
        return int(value)
    except (TypeError, ValueError):
        abort(400, description=_("В форме нет номера версии. Откройте форму заново."))


def document_response(document, *, public: bool):
    """The PDF as a download with its Cyrillic name (RFC 5987), never rendered as a page."""
    path = document_service.document_path(current_app, document)
    if not os.path.isfile(path):
        abort(404)
    response = send_file(path, mimetype="application/pdf", conditional=True, etag=True,
                         max_age=3600 if public else 0)
    response.headers["Content-Disposition"] = document_service.content_disposition(
        document.original_filename
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Should a browser render it anyway, nothing in it may run or reach out.
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "public, max-age=3600" if public else "private, no-store"
    return response
