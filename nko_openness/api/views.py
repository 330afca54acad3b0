"""The export API (blueprint "nko_api" at {prefix}/api): HSDS 3.1 subset, changes, snapshot."""

from __future__ import annotations

import json
import math
import uuid
from importlib import resources

from flask import Blueprint, Flask, Response, current_app, request, stream_with_context

from nko_openness.api import http
from nko_openness.api.http import ApiError
from nko_openness.core.db import db_session
from nko_openness.export import feed, hsds, hsds_query
from nko_openness.export.hsds_query import Filters
from nko_openness.models import Organization, Project, Service

bp = Blueprint("nko_api", __name__)
http.register_handlers(bp)

HSDS_LISTS = {"organizations": Organization, "services": Service, "programs": Project}
DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 500
MAX_PAGE = 1_000_000


def register(app: Flask, prefix: str) -> None:
    app.register_blueprint(bp, url_prefix=f"{prefix}/api")
    http.setup(app, bp)


def _engine():
    return current_app.extensions["nko_openness"].db.engine


# -- HSDS -------------------------------------------------------------------------------------


@bp.get("/hsds/")
def hsds_root():
    return http.body_response({
        "version": hsds.HSDS_VERSION,
        "profile": http.api_url("/hsds/profile"),
        "openapi_url": http.api_url("/openapi.json"),
        "changes_url": http.api_url("/v1/changes"),
        "snapshot_url": http.api_url("/v1/snapshot.json"),
    })


@bp.get("/hsds/profile")
def hsds_profile():
    internal = http.current_token() is not None
    return http.body_response(hsds.profile(current_app, internal=internal))


def _filters(model) -> Filters:
    term = http.text_param("taxonomy_term_id")
    return Filters(
        modified_after=http.datetime_param("modified_after"),
        category_ids=hsds_query.resolve_term(db_session(), term) if term else None,
        organization_id=http.uuid_param("organization_id") if model is not Organization else None,
        search=http.text_param("search"),
    )


def _list(kind: str):
    model = HSDS_LISTS[kind]
    fmt = http.choice_param("format", ("json", "ndjson"), "json")
    minimal = http.bool_param("minimal")
    number = http.int_param("page", 1, 1, MAX_PAGE)
    size = http.int_param("per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
    filters = _filters(model)
    session = db_session()
    mark = feed.current_mark(session)
    etag = http.data_etag(mark)
    cached = http.not_modified(etag, mark.at)
    if cached is not None:
        return cached
    ctx = http.export_context()

    def render(record):
        return hsds.minimal(record) if minimal else hsds.to_hsds(record, ctx)

    if fmt == "ndjson":
        engine = _engine()

        def lines():
            with feed.consistent_session(engine) as reader:
                for record in hsds_query.iterate(reader, model, filters):
                    yield hsds.dumps(render(record)) + "\n"

        response = Response(stream_with_context(_chunked(lines())),
                            mimetype="application/x-ndjson")
        return http.finish(response, etag, mark.at)

    total = hsds_query.count(session, model, filters)
    records = hsds_query.page(session, model, filters, number, size)
    pages = math.ceil(total / size)
    links = http.page_links(f"/hsds/{kind}", number, size, total)
    response = http.json_response({
        "total_items": total,
        "total_pages": pages,
        "page_number": number,
        "size": len(records),
        "first_page": number == 1,
        "last_page": number >= pages,
        "empty": total == 0,
        "contents": [render(r) for r in records],
        "links": links,
    })
    response.headers["Link"] = http.link_header(links)
    return http.finish(response, etag, mark.at)


def _one(kind: str, public_id: str):
    model = HSDS_LISTS[kind]
    session = db_session()
    mark = feed.current_mark(session)
    etag = http.data_etag(mark)
    cached = http.not_modified(etag, mark.at)
    if cached is not None:
        return cached
    try:
        parsed = uuid.UUID(public_id)
    except ValueError:
        parsed = None
    record = hsds_query.get_public(session, model, parsed) if parsed else None
    if record is None:
        raise ApiError(404, "not_found", "Запись не найдена или не опубликована.",
                       "No such published record.")
    return http.finish(http.json_response(hsds.to_hsds(record, http.export_context())), etag,
                       mark.at)


@bp.get("/hsds/organizations")
def list_organizations():
    return _list("organizations")


@bp.get("/hsds/organizations/<public_id>")
def show_organization(public_id):
    return _one("organizations", public_id)


@bp.get("/hsds/services")
def list_services():
    return _list("services")


@bp.get("/hsds/services/<public_id>")
def show_service(public_id):
    return _one("services", public_id)


@bp.get("/hsds/programs")
def list_programs():
    return _list("programs")


@bp.get("/hsds/programs/<public_id>")
def show_program(public_id):
    return _one("programs", public_id)


@bp.get("/hsds/taxonomies")
def list_taxonomies():
    return http.body_response(_page_of([hsds.taxonomy()]))


@bp.get("/hsds/taxonomies/<taxonomy_id>")
def show_taxonomy(taxonomy_id):
    if taxonomy_id != hsds.BENEFICIARY_TAXONOMY_ID:
        raise ApiError(404, "not_found", "Таксономия не найдена.", "No such taxonomy.")
    return http.body_response(hsds.taxonomy())


def _terms() -> list[dict]:
    return [hsds.taxonomy_term(c, parent) for c, parent in hsds_query.categories(db_session())]


@bp.get("/hsds/taxonomy_terms")
def list_taxonomy_terms():
    http.choice_param("format", ("json",), "json")
    wanted = http.text_param("taxonomy_id")
    terms = _terms() if wanted in (None, hsds.BENEFICIARY_TAXONOMY_ID) else []
    parent = http.text_param("parent_id")
    if parent:
        terms = [t for t in terms if t.get("parent_id") == parent]
    if http.bool_param("top_only"):
        terms = [t for t in terms if "parent_id" not in t]
    return http.body_response(_page_of(terms))


@bp.get("/hsds/taxonomy_terms/<term>")
def show_taxonomy_term(term):
    for item in _terms():
        if term in (item["id"], item["code"]):
            return http.body_response(item)
    raise ApiError(404, "not_found", "Термин не найден.", "No such taxonomy term.")


def _page_of(items: list) -> dict:
    # The vocabulary is small: one page holds it all.
    return {"total_items": len(items), "total_pages": 1, "page_number": 1, "size": len(items),
            "first_page": True, "last_page": True, "empty": not items, "contents": items}


# -- the feed ---------------------------------------------------------------------------------


@bp.get("/v1/changes")
def changes():
    after = http.int_param("after", 0, 0, feed.MAX_SEQ)
    limit = http.int_param("limit", feed.DEFAULT_LIMIT, 1, feed.MAX_LIMIT)
    mark = feed.high_water_mark(_engine())
    etag = http.data_etag(mark)
    cached = http.not_modified(etag, mark.at)
    if cached is not None:
        return cached
    page = feed.changes_page(db_session(), http.export_context(), after, limit, mark)
    links = {"self": http.api_url("/v1/changes", after=after, limit=limit),
             "next": http.api_url("/v1/changes", after=page.next, limit=limit)}
    response = http.json_response({"items": page.items, "next": page.next,
                                   "has_more": page.has_more, "latest_seq": page.latest,
                                   "links": links})
    response.headers["Link"] = http.link_header(links)
    # A page that reaches the end grows as soon as something is published: revalidate soon.
    return http.finish(response, etag, mark.at, max_age=600 if page.has_more else 10)


@bp.get("/v1/snapshot.json")
def snapshot_json():
    return _snapshot("json")


@bp.get("/v1/snapshot.ndjson")
def snapshot_ndjson():
    return _snapshot("ndjson")


def _snapshot(fmt: str):
    engine = _engine()
    mark = feed.high_water_mark(engine)
    etag = http.data_etag(mark)
    cached = http.not_modified(etag, mark.at)
    if cached is not None:
        return cached
    items = feed.snapshot_items(engine, http.export_context(), mark.seq)
    header = {"as_of_seq": mark.seq, "hsds_version": hsds.HSDS_VERSION,
              "profile": http.api_url("/hsds/profile"),
              "changes_url": http.api_url("/v1/changes", after=mark.seq)}
    chunks = _snapshot_json(header, items) if fmt == "json" else _snapshot_ndjson(header, items)
    mimetype = "application/json" if fmt == "json" else "application/x-ndjson"
    response = Response(stream_with_context(_chunked(chunks)), mimetype=mimetype)
    response.headers["X-NKO-As-Of-Seq"] = str(mark.seq)
    return http.finish(response, etag, mark.at, max_age=60)


# Lines are sent in chunks of about this many characters: a chunk per item would cost a trip
# through the WSGI stack (and often a write to the socket) for every record.
CHUNK_CHARS = 64 * 1024


def _chunked(parts):
    """The same text, joined into pieces of about CHUNK_CHARS."""
    buffer: list[str] = []
    size = 0
    for part in parts:
        buffer.append(part)
        size += len(part)
        if size >= CHUNK_CHARS:
            yield "".join(buffer)
            buffer, size = [], 0
    if buffer:
        yield "".join(buffer)


def _snapshot_json(header: dict, items):
    # The header's keys first, then "items" streamed one by one, then "count" as a trailer:
    # a truncated download is never valid JSON.
    yield hsds.dumps(header)[:-1] + ',"items":['
    count = 0
    for item in items:
        yield ("," if count else "") + "\n" + hsds.dumps(item)
        count += 1
    yield f'\n],"count":{count}}}\n'


def _snapshot_ndjson(header: dict, items):
    yield hsds.dumps({"type": "snapshot", **header}) + "\n"
    count = 0
    for item in items:
        yield hsds.dumps(item) + "\n"
        count += 1
    yield hsds.dumps({"type": "end", "count": count}) + "\n"


# -- the description --------------------------------------------------------------------------


@bp.get("/openapi.json")
def openapi():
    text = resources.files("nko_openness").joinpath("data/openapi.json").read_text("utf-8")
    doc = json.loads(text)
    doc["servers"] = [{"url": http.base_url() + "/api"}]
    return http.body_response(doc)


@bp.route("/<path:_unknown>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
@bp.route("/", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], defaults={"_unknown": ""})
def unknown(_unknown):
    # Routes under /api that match nothing, and every write method, answer in JSON.
    if request.method not in ("GET", "HEAD"):
        raise ApiError(405, "method_not_allowed",
                       "Метод не поддерживается: API только для чтения (GET).",
                       "Method not allowed: the API is read-only (GET).",
                       headers={"Allow": "GET, HEAD, OPTIONS"})
    raise ApiError(404, "not_found", "Такого адреса в API нет. Начните с /api/hsds/.",
                   "No such API URL. Start at /api/hsds/.")
