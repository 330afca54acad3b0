"""Atom feeds of newly published services and projects: site-wide, per organization, per category.

Enable with ``NKO_PLUGINS = ["nko_atom"]``. Feeds under the module's prefix:
``/feeds/new.atom``, ``/feeds/organizations/<slug>.atom``, ``/feeds/categories/<slug>.atom``;
the catalog, organization and category pages announce theirs with
``<link rel="alternate" type="application/atom+xml">``. docs/plugins-first-party.md.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    has_request_context,
    request,
)
from werkzeug.exceptions import NotFound

from nko_openness import hookimpl
from nko_openness.catalog import queries as catalog
from nko_openness.core.db import db_session
from nko_openness.core.i18n import gettext as _
from nko_openness.export import feed
from nko_openness.export.exporters import SimpleExporter
from nko_openness.models import BeneficiaryCategory, Organization

from .document import FeedInfo, render
from .entries import Scope, latest

ATOM_TYPE = "application/atom+xml; charset=utf-8"
DEFAULT_LIMIT = 50

bp = Blueprint("nko_atom", __name__, url_prefix="/feeds")


def base_url(app: Flask) -> str:
    """The module's absolute root: NKO_BASE_URL behind a proxy, else the request's."""
    prefix = app.config.get("NKO_URL_PREFIX", "/nko").rstrip("/")
    if app.config.get("NKO_BASE_URL"):
        return app.config["NKO_BASE_URL"].rstrip("/")
    if not has_request_context():
        return f"http://{app.config.get('SERVER_NAME') or 'localhost'}{prefix}"
    return request.url_root.rstrip("/") + prefix


def feed_path(obj=None) -> str:
    if isinstance(obj, Organization):
        return f"/feeds/organizations/{obj.slug}.atom"
    if isinstance(obj, BeneficiaryCategory):
        return f"/feeds/categories/{obj.slug}.atom"
    return "/feeds/new.atom"


def _info(app: Flask, scope: Scope) -> FeedInfo:
    base = base_url(app)
    site = app.config.get("NKO_SITE_NAME", "Некоммерческие организации")
    if scope.organization is not None:
        obj, page = scope.organization, f"/organizations/{scope.organization.slug}"
        title = f"{scope.organization.name}: новые услуги и проекты"
    elif scope.category is not None:
        obj, page = scope.category, f"/categories/{scope.category.slug}"
        title = f"Новые услуги и проекты для категории «{scope.category.name}»"
    else:
        obj, page, title = None, "/", f"{site}: новые услуги и проекты"
    return FeedInfo(self_url=base + feed_path(obj), page_url=base + page, title=title,
                    subtitle="Услуги и проекты социально ориентированных НКО, "
                             "опубликованные после проверки модератором",
                    author=site, base_url=base)


def resolve(session, params: Mapping[str, str]) -> Scope:
    """The scope named by ``organization`` or ``category`` (slugs); NotFound if unknown."""
    if params.get("organization"):
        org = catalog.get_organization(session, params["organization"])
        if org is None:
            raise NotFound()
        return Scope(organization=org)
    if params.get("category"):
        category = catalog.get_category(session, params["category"])
        if category is None:
            raise NotFound()
        return Scope(category=category)
    return Scope()


def render_feed(app: Flask, session, params: Mapping[str, str]):
    """The exporter's render: the whole Atom document for the scope in ``params``."""
    scope = resolve(session, params)
    limit = int(app.config.get("NKO_ATOM_LIMIT", DEFAULT_LIMIT))
    records = latest(session, scope, limit)
    return render(app, records, _info(app, scope), feed.current_mark(session).at)


def _respond(params: Mapping[str, str]) -> Response:
    body = "".join(render_feed(current_app, db_session(), params)).encode("utf-8")
    response = Response(body, content_type=ATOM_TYPE)
    response.headers["Cache-Control"] = "public, max-age=300"
    response.add_etag()
    return response.make_conditional(request)


@bp.get("/new.atom")
def site_feed():
    return _respond({})


@bp.get("/organizations/<slug>.atom")
def organization_feed(slug):
    return _respond({"organization": slug})


@bp.get("/categories/<slug>.atom")
def category_feed(slug):
    return _respond({"category": slug})


@bp.errorhandler(NotFound)
def _not_found(_error):
    return Response(_("Такой ленты нет."), 404, content_type="text/plain; charset=utf-8")


def atom_exporter():
    return SimpleExporter("atom", "Новые услуги и проекты (Atom)", ATOM_TYPE, "atom",
                          render_feed)


@hookimpl
def nko_exporters():
    return [atom_exporter()]


@hookimpl
def nko_blueprints():
    return [bp]


@hookimpl
def nko_page_context(app, page, obj):
    if page not in ("catalog", "organization", "category"):
        return None
    target = obj if page != "catalog" else None
    href = base_url(app) + feed_path(target)
    title = {"catalog": _("Новые услуги и проекты"),
             "organization": _("Новые услуги и проекты организации"),
             "category": _("Новые услуги и проекты для этой категории граждан")}[page]
    return {
        "nko_head_links": [{"rel": "alternate", "type": "application/atom+xml",
                            "href": href, "title": title}],
        "nko_link_lists": [{"title": _("Подписка на новости"), "links": [
            {"href": href, "title": _("%(title)s — лента Atom", title=title),
             "type": "application/atom+xml"}]}],
    }
