"""Public pages: catalog, organization, service, project and beneficiary category pages."""

from __future__ import annotations

import logging

from flask import Blueprint, abort, current_app, request
from sqlalchemy.exc import SQLAlchemyError

from nko_openness.catalog import page_versions
from nko_openness.catalog import queries as catalog
from nko_openness.core.db import db_session
from nko_openness.core.i18n import gettext as _
from nko_openness.core.vocabularies import ACTIVITY_TYPES
from nko_openness.fields.display import catalog_filters
from nko_openness.web.rendering import (
    FILTERS,
    cached_fragments,
    common_context,
    nko_state,
    render_fragment,
    render_page,
)

log = logging.getLogger(__name__)

bp = Blueprint(
    "nko", __name__, template_folder="../templates", static_folder="../static",
    static_url_path="/static",
)


@bp.context_processor
def _inject_common():
    return common_context()


for _name, _filter in FILTERS.items():
    bp.add_app_template_filter(_filter, f"nko_{_name}")
bp.add_app_template_global(render_fragment, "nko_fragment")


def _page_or_400(fn, **kwargs):
    try:
        return fn(**kwargs)
    except catalog.BadCursor:
        abort(400, description=_("Неверная ссылка на страницу списка. "
                                 "Откройте список с начала."))


@bp.get("/")
def show_catalog():
    session = db_session()
    category = request.args.get("category") or None
    activity = request.args.get("activity") or None
    if activity and activity not in ACTIVITY_TYPES:
        activity = None
    extra_boxes, extra_filters = catalog_filters(current_app, "organization", request.args)
    page = _page_or_400(
        catalog.list_organizations, session=session, category=category, activity=activity,
        after=request.args.get("after"), before=request.args.get("before"),
        limit=nko_state().config["NKO_PAGE_SIZE"], extra_filters=extra_filters,
    )
    return render_page(
        "nko_openness/catalog.html", "catalog", page=page,
        categories=catalog.list_categories(session), selected_category=category,
        selected_activity=activity, extra_filters=extra_boxes,
    )


@bp.get("/organizations/<slug>")
def show_organization(slug):
    session = db_session()
    found = page_versions.organization_for_page(session, slug)
    if found is None:
        abort(404)
    org, version = found
    # One statement on a cache hit; the children are loaded only to render a missing part.
    fragments = cached_fragments(("organization", org.id, version),
                                 lambda: catalog.organization_children(session, org))
    return render_page("nko_openness/organization.html", "organization", org, org=org,
                       **fragments)


@bp.get("/services/<public_id>")
def show_service(public_id):
    service = catalog.get_service(db_session(), public_id) or abort(404)
    return render_page("nko_openness/service.html", "service", service, service=service)


@bp.get("/projects/<public_id>")
def show_project(public_id):
    project = catalog.get_project(db_session(), public_id) or abort(404)
    return render_page("nko_openness/project.html", "project", project, project=project)


@bp.get("/categories/")
def list_categories():
    session = db_session()
    return render_page(
        "nko_openness/categories.html", "categories",
        categories=catalog.list_categories(session), counts=_category_counts(session),
    )


@bp.get("/categories/<slug>")
def show_category(slug):
    session = db_session()
    category = catalog.get_category(session, slug) or abort(404)
    limit = nko_state().config["NKO_PAGE_SIZE"]
    services, projects = (
        _page_or_400(
            catalog.category_records, session=session, category=category, model=model,
            after=request.args.get(f"{prefix}_after"),
            before=request.args.get(f"{prefix}_before"), limit=limit,
        )
        for model, prefix in ((catalog.Service, "services"), (catalog.Project, "projects"))
    )
    return render_page("nko_openness/category.html", "category", category, category=category,
                       services=services, projects=projects)


@bp.route("/<path:_unknown>")
def unknown_page(_unknown):
    # Routes that match nothing under the prefix still get the module's own 404 page.
    abort(404)


def _category_counts(session):
    # Older entries are not cleared: the next seq is another key, and they age out of the LRU.
    key = ("category_counts", catalog.latest_change_seq(session))
    return nko_state().cache.get_or_make(key, lambda: catalog.category_counts(session))


@bp.errorhandler(400)
@bp.errorhandler(404)
def _client_error(error):
    status = error.code
    return render_page("nko_openness/error.html", "error", status=status,
                       message=getattr(error, "description", None)), status


@bp.errorhandler(SQLAlchemyError)
def _database_error(error):
    # The public never sees a traceback; the log keeps it for the webmaster.
    log.exception("nko_openness: database error on %s", request.path)
    db_session().rollback()
    return render_page("nko_openness/error.html", "error", status=503, message=None), 503
