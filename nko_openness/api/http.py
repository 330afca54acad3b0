"""HTTP for the export API: JSON errors, parameters, tokens, rate limits, caching and CORS."""

from __future__ import annotations

import hashlib
import logging
import math
import time
import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Flask, Response, current_app, request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException
from werkzeug.http import is_resource_modified

from nko_openness.core.db import db_session
from nko_openness.export import feed, hsds
from nko_openness.export.feed import Mark

log = logging.getLogger(__name__)

API_STATE = "nko_openness.api"
EXPOSED_HEADERS = ("ETag, Last-Modified, Link, Retry-After, X-NKO-As-Of-Seq, "
                   "X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset")
MAX_TEXT_PARAM = 200
_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}


class ApiError(Exception):
    """An error answered as JSON: status, a machine code and the message in both languages."""

    def __init__(self, status: int, code: str, ru: str, en: str, *, parameter: str | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(en)
        self.status, self.code, self.ru, self.en = status, code, ru, en
        self.parameter = parameter
        self.headers = headers or {}


def error_response(status: int, code: str, ru: str, en: str, parameter: str | None = None,
                   headers: dict[str, str] | None = None) -> Response:
    body: dict[str, Any] = {"status": status, "code": code, "message": ru, "message_en": en}
    if parameter:
        body["parameter"] = parameter
    response = json_response({"error": body}, status=status)
    response.headers["Cache-Control"] = "no-store"
    response.headers.update(headers or {})
    return response


def json_response(data: Any, status: int = 200) -> Response:
    return Response(hsds.dumps(data), status=status, mimetype="application/json")


def bad_parameter(name: str, ru: str, en: str) -> ApiError:
    return ApiError(400, "bad_parameter", f"Параметр «{name}»: {ru}", f"Parameter {name!r}: {en}",
                    parameter=name)


# -- parameters -------------------------------------------------------------------------------


def text_param(name: str) -> str | None:
    value = request.args.get(name)
    if value is None or value == "":
        return None
    if "\x00" in value or len(value) > MAX_TEXT_PARAM:
        raise bad_parameter(name, f"не длиннее {MAX_TEXT_PARAM} символов, без нулевых байтов.",
                            f"at most {MAX_TEXT_PARAM} characters, no NUL bytes.")
    return value.strip() or None


def int_param(name: str, default: int, lo: int, hi: int) -> int:
    raw = text_param(name)
    if raw is None:
        return default
    if not raw.isascii() or not raw.isdigit() or len(raw) > 20:
        raise bad_parameter(name, "ожидается целое неотрицательное число.",
                            "expected a non-negative integer.")
    value = int(raw)
    if not lo <= value <= hi:
        raise bad_parameter(name, f"допустимо от {lo} до {hi}.", f"allowed from {lo} to {hi}.")
    return value


def bool_param(name: str) -> bool:
    raw = (text_param(name) or "false").lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise bad_parameter(name, "ожидается true или false.", "expected true or false.")


def choice_param(name: str, choices: Iterable[str], default: str) -> str:
    raw = text_param(name) or default
    if raw not in choices:
        allowed = ", ".join(choices)
        raise bad_parameter(name, f"допустимые значения: {allowed}.", f"allowed values: {allowed}.")
    return raw


def datetime_param(name: str) -> datetime | None:
    raw = text_param(name)
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw.replace(" ", "+"))  # an unescaped "+" arrives as " "
    except ValueError:
        try:
            value = datetime.combine(date.fromisoformat(raw), datetime.min.time())
        except ValueError:
            raise bad_parameter(
                name, "ожидается дата или дата и время ISO 8601, например 2026-03-01T00:00:00Z.",
                "expected an ISO 8601 date or date-time, e.g. 2026-03-01T00:00:00Z.") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def uuid_param(name: str) -> uuid.UUID | None:
    raw = text_param(name)
    if raw is None:
        return None
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise bad_parameter(name, "ожидается UUID.", "expected a UUID.") from None


# -- who is asking ----------------------------------------------------------------------------


def current_token():
    """The request's API token (validated once per request), or None for the public."""
    # Kept in the request's environ, not in g: an app context can outlive one request.
    key = "nko_openness.api_token"
    if key not in request.environ:
        header = request.headers.get("Authorization", "")
        scheme, _, secret = header.partition(" ")
        token = None
        if scheme.lower() == "bearer" and secret.strip():
            token = feed.find_token(db_session(), secret.strip())
        request.environ[key] = token
    return request.environ[key]


def authenticate() -> None:
    """Before each API request: a token only in the header, and a valid one if sent at all."""
    for name in ("token", "access_token", "api_key"):
        if name in request.args:
            raise ApiError(400, "token_in_url",
                           "Передавайте токен только в заголовке Authorization: Bearer <токен>; "
                           "токен, попавший в адрес, остаётся в журналах — отзовите его.",
                           "Send the token only as Authorization: Bearer <token>; a token in a "
                           "URL ends up in logs — revoke it.", parameter=name)
    scheme = request.headers.get("Authorization", "").partition(" ")[0].lower()
    # Other schemes (a staging site behind HTTP Basic auth) are not ours: public access.
    if scheme == "bearer" and current_token() is None:
        raise ApiError(401, "invalid_token", "Токен неизвестен или отозван.",
                       "The token is unknown or revoked.",
                       headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


def export_context() -> hsds.ExportContext:
    return hsds.ExportContext(base_url=base_url(), internal=current_token() is not None,
                              app=current_app._get_current_object())


def base_url() -> str:
    """The module's absolute root: NKO_BASE_URL when set (behind a proxy), else the request's."""
    config = current_app.extensions["nko_openness"].config
    if config["NKO_BASE_URL"]:
        return config["NKO_BASE_URL"].rstrip("/")
    return request.url_root.rstrip("/") + config["NKO_URL_PREFIX"].rstrip("/")


def api_url(path: str, **params) -> str:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return f"{base_url()}/api{path}" + (f"?{query}" if query else "")


# -- caching ----------------------------------------------------------------------------------


def _audience() -> str:
    token = current_token()
    return f"token:{token.id}" if token else "public"


def _fingerprint() -> str:
    # Plugin fields shape the objects without writing Change rows: they go into the ETag.
    state = current_app.extensions.setdefault(API_STATE, {})
    key = ("fingerprint", current_token() is not None)
    if key not in state:
        profile = hsds.profile(current_app, internal=key[1])
        state[key] = hashlib.sha256(hsds.dumps(profile).encode()).hexdigest()[:16]
    return state[key]


def data_etag(mark: Mark) -> str:
    """A version of public data: the outbox mark, what was asked, by whom, from where."""
    raw = "|".join([str(mark.seq), request.full_path, _audience(), base_url(), _fingerprint()])
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def not_modified(etag: str, last_modified: datetime | None) -> Response | None:
    """A 304 when the client's copy is current (If-None-Match, else If-Modified-Since)."""
    if is_resource_modified(request.environ, etag=etag, last_modified=last_modified):
        return None
    response = Response(status=304)
    finish(response, etag, last_modified)
    return response


def finish(response: Response, etag: str | None = None,
           last_modified: datetime | None = None, max_age: int = 60) -> Response:
    if etag:
        response.set_etag(etag)
    if last_modified:
        response.last_modified = last_modified
    if current_token() is not None:
        response.headers["Cache-Control"] = "private, no-cache"
    else:
        response.headers["Cache-Control"] = f"public, max-age={max_age}"
    return response


def body_response(data: Any, max_age: int = 300) -> Response:
    """A small document whose ETag is its own hash (vocabulary, profile, OpenAPI)."""
    body = hsds.dumps(data)
    etag = hashlib.sha256(body.encode()).hexdigest()[:32]
    cached = not_modified(etag, None)
    if cached is not None:
        return cached
    return finish(Response(body, mimetype="application/json"), etag, max_age=max_age)


def link_header(links: dict[str, str | None]) -> str:
    return ", ".join(f'<{url}>; rel="{rel}"' for rel, url in links.items() if url)


def page_links(path: str, number: int, size: int, total: int) -> dict[str, str | None]:
    last = max(1, math.ceil(total / size))
    params = {k: v for k, v in request.args.items() if k not in ("page", "per_page")}

    def at(n: int) -> str:
        return api_url(path, **params, page=n, per_page=size)

    return {"self": at(number), "first": at(1), "last": at(last),
            "prev": at(min(number - 1, last)) if number > 1 else None,
            "next": at(number + 1) if number < last else None}


# -- wiring -----------------------------------------------------------------------------------


def _cors(response: Response) -> Response:
    # Read-only public data: any site may read it; tokens travel in a header, never cookies.
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = (
            "Authorization, If-None-Match, If-Modified-Since")
        response.headers["Access-Control-Max-Age"] = "86400"
    response.vary.add("Authorization")
    return response


def _rate_limit_key() -> str:
    token = current_token()
    return f"token:{token.id}" if token else f"ip:{request.remote_addr}"


def _rate_limit_value() -> str:
    config = current_app.extensions["nko_openness"].config
    return config["NKO_API_TOKEN_RATE_LIMIT" if current_token() else "NKO_API_RATE_LIMIT"]


def setup(app: Flask, bp: Blueprint) -> None:
    """Per-app API state: a Flask-Limiter of our own that limits only this blueprint."""
    from flask_limiter import Limiter

    def not_api() -> bool:
        return request.blueprint != bp.name

    # Own instance and storage (memory:// unless RATELIMIT_STORAGE_URI says otherwise); it
    # never applies the host's default limits to our routes nor ours to the host's.
    # Headers are added by _rate_limit_headers: Flask-Limiter's own would put its window's
    # Retry-After on every response, over ours on a 503.
    limiter = Limiter(key_func=_rate_limit_key, app=app, headers_enabled=False,
                      storage_uri=app.config.get("RATELIMIT_STORAGE_URI", "memory://"),
                      default_limits_exempt_when=not_api,
                      application_limits_exempt_when=not_api)
    limiter.limit(_rate_limit_value, key_func=_rate_limit_key)(bp)
    app.extensions[API_STATE] = {"limiter": limiter}


def _rate_limit_headers(response: Response) -> Response:
    limiter = current_app.extensions.get(API_STATE, {}).get("limiter")
    current = limiter.current_limit if limiter is not None else None
    if current is not None:
        response.headers["X-RateLimit-Limit"] = str(current.limit.amount)
        response.headers["X-RateLimit-Remaining"] = str(current.remaining)
        response.headers["X-RateLimit-Reset"] = str(int(current.reset_at))
        if response.status_code == 429:
            response.headers["Retry-After"] = str(max(1, int(current.reset_at - time.time())))
    return response


def register_handlers(bp: Blueprint) -> None:
    bp.before_request(authenticate)
    bp.after_request(_cors)
    bp.after_request(_rate_limit_headers)

    @bp.errorhandler(ApiError)
    def _api_error(error: ApiError):
        return error_response(error.status, error.code, error.ru, error.en, error.parameter,
                              error.headers)

    @bp.errorhandler(feed.FeedBusy)
    def _busy(_error):
        return error_response(503, "busy", "Идёт публикация, повторите запрос через секунду.",
                              "A publication is being committed; retry in a second.",
                              headers={"Retry-After": "1"})

    @bp.errorhandler(SQLAlchemyError)
    def _database_error(_error):
        log.exception("nko_openness api: database error on %s", request.path)
        db_session().rollback()
        return error_response(503, "unavailable", "База данных недоступна, повторите позже.",
                              "The database is unavailable; retry later.",
                              headers={"Retry-After": "30"})

    @bp.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        messages = {
            404: ("Не найдено.", "Not found."),
            405: ("Метод не поддерживается: API только для чтения (GET).",
                  "Method not allowed: the API is read-only (GET)."),
            429: ("Слишком много запросов, повторите позже.", "Too many requests; retry later."),
        }
        ru, en = messages.get(error.code, (error.description, error.description))
        headers = dict(error.get_response().headers)
        keep = {k: v for k, v in headers.items() if k in ("Retry-After", "Allow")}
        return error_response(error.code or 500, (error.name or "error").lower().replace(" ", "_"),
                              ru, en, headers=keep)

    @bp.errorhandler(Exception)
    def _unexpected(_error):
        log.exception("nko_openness api: unexpected error on %s", request.path)
        return error_response(500, "internal_error", "Внутренняя ошибка сервера.",
                              "Internal server error.")
