"""The search page: words and facet filters in the URL, ranked results, counts per filter."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, request, url_for
from sqlalchemy.exc import SQLAlchemyError

from nko_openness.core.db import db_session
from nko_openness.search import query as search_service
from nko_openness.web.rendering import common_context, nko_state, render_page

log = logging.getLogger(__name__)

bp = Blueprint("nko_search", __name__)


@bp.context_processor
def _inject_common():
    return {**common_context(), "nko_search_url": search_url}


def search_url(**changes) -> str:
    """The search URL with arguments changed; list values keep repeated filter arguments.

    ``None`` removes an argument; ``("add", v)`` / ``("remove", v)`` edits one value of a
    repeated filter. Any change but a page change goes back to page 1.
    """
    args = request.args.to_dict(flat=False)
    for key, change in changes.items():
        if change is None:
            args.pop(key, None)
        elif isinstance(change, tuple):
            action, value = change
            values = [v for v in args.get(key, []) if v != value]
            if action == "add":
                values.append(value)
            args[key] = values
        else:
            args[key] = [change]
    if "page" not in changes:
        args.pop("page", None)
    return url_for("nko_search.search", **{k: v for k, v in args.items() if v})


@bp.get("/search")
def search():
    app = current_app._get_current_object()
    page_size = nko_state().config["NKO_PAGE_SIZE"]
    search_request = search_service.parse_request(request.args, app)
    result = search_service.search(db_session(), search_request, app, page_size=page_size)
    return render_page("nko_openness/search.html", "search", result=result,
                       q=search_request.q, meta=search_service.result_meta,
                       nko_page_size=page_size)


@bp.errorhandler(SQLAlchemyError)
def _database_error(error):
    # The public never sees a traceback; the log keeps it for the webmaster.
    log.exception("nko_openness: database error on %s", request.path)
    db_session().rollback()
    return render_page("nko_openness/error.html", "error", status=503, message=None), 503
