"""Sharing and discovery: absolute links, OpenGraph and JSON-LD for pages, and sitemap.xml."""

from __future__ import annotations

from xml.sax.saxutils import escape

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    has_request_context,
    request,
    stream_with_context,
    url_for,
)

from nko_openness.catalog import structured_data as sd
from nko_openness.core.db import db_session
from nko_openness.models import Organization, Project, Service

bp = Blueprint("nko_structured", __name__)

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
# The sitemaps.org limit per file; larger sites get an index of id-range files.
SITEMAP_MAX_URLS = 50_000


def external_url(endpoint: str, **values) -> str:
    """An absolute URL: under NKO_BASE_URL when set (behind a proxy), else from the request."""
    base = current_app.extensions["nko_openness"].config["NKO_BASE_URL"]
    if not base:
        return url_for(endpoint, _external=True, **values)
    path = url_for(endpoint, **values)
    prefix = current_app.extensions["nko_openness"].config["NKO_URL_PREFIX"].rstrip("/")
    mount = (request.script_root if has_request_context() else "") + prefix
    if path.startswith(mount + "/") or path == mount:
        path = path[len(mount):]
    return base.rstrip("/") + path


def record_url(record) -> str:
    if isinstance(record, Organization):
        return external_url("nko.show_organization", slug=record.slug)
    if isinstance(record, Service):
        return external_url("nko.show_service", public_id=record.uuid)
    if isinstance(record, Project):
        return external_url("nko.show_project", public_id=record.uuid)
    raise TypeError(f"no public page for {record!r}")


def current_page_url() -> str:
    """This page's absolute URL with its query (filters are part of what is shared)."""
    values = {**(request.view_args or {}), **request.args.to_dict()}
    return external_url(request.endpoint, **values)


def page_jsonld(page: str, obj) -> str:
    data = sd.jsonld_for(page, obj, record_url)
    return sd.dumps_for_script(data) if data else ""


def page_share(page: str, obj) -> dict:
    """OpenGraph values besides the title, which the template takes from its own block."""
    # "website" throughout: OpenGraph's "profile" is a person, "article" a dated text.
    return {
        "url": current_page_url(),
        "type": "website",
        "description": sd.share_description(obj) if obj is not None else None,
    }


@bp.app_template_global("nko_jsonld")
def _jsonld_global(page, obj=None):
    return page_jsonld(page, obj)


@bp.app_template_global("nko_share")
def _share_global(page, obj=None):
    return page_share(page, obj)


def _xml_response(chunks) -> Response:
    response = Response(stream_with_context(chunks), mimetype="application/xml")
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _url_entry(loc: str, lastmod=None) -> str:
    modified = f"<lastmod>{sd.w3c_date(lastmod)}</lastmod>" if lastmod else ""
    return f"<url><loc>{escape(loc)}</loc>{modified}</url>\n"


def _entries(session, kind: str, low: int = 0, high: int | None = None):
    if kind == "organizations":
        for slug, modified in sd.published_organizations(session, low, high):
            yield _url_entry(external_url("nko.show_organization", slug=slug), modified)
    elif kind == "services":
        for public_id, modified in sd.published_services(session, low, high):
            yield _url_entry(external_url("nko.show_service", public_id=public_id), modified)
    else:
        for public_id, modified in sd.published_projects(session, low, high):
            yield _url_entry(external_url("nko.show_project", public_id=public_id), modified)


def _all_entries(session):
    yield from _section_entries(session)
    for kind in sd.SITEMAP_KINDS:
        yield from _entries(session, kind)


def _section_entries(session):
    yield _url_entry(external_url("nko.show_catalog"))
    yield _url_entry(external_url("nko.list_categories"))
    for slug in sd.category_slugs(session):
        yield _url_entry(external_url("nko.show_category", slug=slug))


@bp.get("/sitemap.xml")
def sitemap():
    session = db_session()
    highest = sd.max_ids(session)
    # Row ids bound the number of entries from above, so the check costs three max() lookups.
    if sum(highest.values()) + 2 + len(sd.category_slugs(session)) <= SITEMAP_MAX_URLS:
        return _xml_response(_urlset(_all_entries(session)))

    def index():
        yield f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="{SITEMAP_NS}">\n'
        yield _sitemap_entry(external_url("nko_structured.sitemap_section"))
        for kind, top in highest.items():
            for part in range(top // SITEMAP_MAX_URLS + 1):
                yield _sitemap_entry(external_url("nko_structured.sitemap_part", kind=kind,
                                                  part=part))
        yield "</sitemapindex>\n"
    return _xml_response(index())


def _sitemap_entry(loc: str) -> str:
    return f"<sitemap><loc>{escape(loc)}</loc></sitemap>\n"


def _urlset(entries):
    yield f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{SITEMAP_NS}">\n'
    yield from entries
    yield "</urlset>\n"


@bp.get("/sitemap-section.xml")
def sitemap_section():
    return _xml_response(_urlset(_section_entries(db_session())))


@bp.get("/sitemap-<kind>-<int:part>.xml")
def sitemap_part(kind, part):
    # One id range per file: [part * limit, (part + 1) * limit) can never hold more URLs
    # than the limit, whatever the gaps, and needs no count to find.
    if kind not in sd.SITEMAP_KINDS:
        abort(404)
    low = part * SITEMAP_MAX_URLS
    return _xml_response(_urlset(_entries(db_session(), kind, low, low + SITEMAP_MAX_URLS)))
