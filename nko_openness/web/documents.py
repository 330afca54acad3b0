"""Public downloads of published documents (charters, reports) as attachments."""

from __future__ import annotations

from flask import Blueprint, abort, url_for

from nko_openness.core.db import db_session
from nko_openness.publishing import documents as document_service
from nko_openness.web.access import document_response, parse_public_id
from nko_openness.web.rendering import common_context, render_page

bp = Blueprint("nko_documents", __name__)


@bp.app_context_processor
def _document_links():
    # organization.html links a document when this helper is defined.
    return {"nko_document_url": lambda d: url_for("nko_documents.download_document",
                                                  public_id=d.uuid)}


@bp.context_processor
def _inject_common():
    return common_context()


@bp.get("/documents/<public_id>")
def download_document(public_id):
    document = document_service.get_public_document(db_session(), parse_public_id(public_id))
    if document is None:
        abort(404)
    return document_response(document, public=True)


@bp.errorhandler(404)
def _not_found(error):
    return render_page("nko_openness/error.html", "error", status=404, message=None), 404
