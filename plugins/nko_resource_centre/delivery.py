"""One delivery pass: outbox items after the cursor, each POSTed signed, acked in order."""

from __future__ import annotations

import hashlib
import hmac
import random
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask
from sqlalchemy.orm import Session

from nko_openness.export import feed, hsds

from . import state

USER_AGENT = "nko-openness-resource-centre/1"
SIGNATURE_HEADER = "X-NKO-Signature"


@dataclass(frozen=True)
class Settings:
    """The host's NKO_RC_* configuration (docs/plugins-first-party.md lists every key)."""

    url: str | None
    secret: str | None
    timeout: float = 10.0
    max_attempts: int = 5
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    batch: int = 100
    interval: float = 60.0
    receiver: str = "resource_centre"
    include_internal: bool = False
    push_on_publish: bool = True
    base_url: str = ""

    @classmethod
    def from_app(cls, app: Flask) -> Settings:
        config = app.config
        return cls(
            url=config.get("NKO_RC_URL") or None,
            secret=config.get("NKO_RC_SECRET") or None,
            timeout=float(config.get("NKO_RC_TIMEOUT", 10)),
            max_attempts=max(1, int(config.get("NKO_RC_MAX_ATTEMPTS", 5))),
            backoff_base=float(config.get("NKO_RC_BACKOFF_BASE", 1.0)),
            backoff_max=float(config.get("NKO_RC_BACKOFF_MAX", 60.0)),
            batch=max(1, min(int(config.get("NKO_RC_BATCH", 100)), feed.MAX_LIMIT)),
            interval=float(config.get("NKO_RC_INTERVAL", 60)),
            receiver=config.get("NKO_RC_RECEIVER", "resource_centre"),
            include_internal=bool(config.get("NKO_RC_INCLUDE_INTERNAL", False)),
            push_on_publish=bool(config.get("NKO_RC_PUSH_ON_PUBLISH", True)),
            base_url=base_url(app),
        )

    @property
    def lease_seconds(self) -> float:
        # Renewed before every attempt; must outlast one attempt plus one backoff sleep.
        return self.timeout + self.backoff_max + 60


def base_url(app: Flask) -> str:
    """Absolute links without a request: NKO_BASE_URL, else SERVER_NAME, else localhost."""
    prefix = app.config.get("NKO_URL_PREFIX", "/nko").rstrip("/")
    if app.config.get("NKO_BASE_URL"):
        return app.config["NKO_BASE_URL"].rstrip("/")
    host = app.config.get("SERVER_NAME") or "localhost"
    return f"{app.config.get('PREFERRED_URL_SCHEME', 'http')}://{host}{prefix}"


def sign(secret: str, body: bytes) -> str:
    """The X-NKO-Signature value: HMAC-SHA256 of the raw body with the shared secret."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def backoff(attempt: int, base: float, cap: float, rand: Callable[[], float] = random.random
            ) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1, 2, …).

    Exponential and capped, with "equal jitter": half the delay is fixed, half random, so
    many municipalities retrying against one recovering receiver do not arrive in step.
    """
    delay = min(cap, base * 2 ** (attempt - 1))
    return delay / 2 + rand() * delay / 2


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # A redirected POST would arrive as a bodiless GET: treat it as a failure instead.
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def post(settings: Settings, body: bytes, seq: int) -> str | None:
    """One attempt; None when the receiver acknowledged (2xx), else why not."""
    request = urllib.request.Request(settings.url, data=body, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        SIGNATURE_HEADER: sign(settings.secret or "", body),
        # The receiver's idempotency key: a timeout after it processed the item means the
        # same seq arrives again (at-least-once), and it can tell.
        "X-NKO-Seq": str(seq),
        "X-NKO-Source": settings.base_url,
        "Idempotency-Key": f"{settings.base_url}#{seq}",
    })
    try:
        with _opener.open(request, timeout=settings.timeout) as response:
            response.read(65536)
            if 200 <= response.status < 300:
                return None
            return f"HTTP {response.status}"
    except urllib.error.HTTPError as exc:
        detail = exc.read(300).decode("utf-8", "replace").strip()
        return f"HTTP {exc.code}" + (f": {detail}" if detail else "")
    except (urllib.error.URLError, OSError) as exc:  # refused, DNS, timeout, reset
        reason = getattr(exc, "reason", exc)
        return f"{type(reason).__name__}: {reason}"


@dataclass
class PassResult:
    status: str  # "ok", "failed", "busy", "disabled", "unsigned"
    delivered: int = 0
    acked_seq: int = 0
    latest_seq: int = 0
    error: str | None = None


def deliver_pass(app: Flask, *, max_attempts: int | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> PassResult:
    """Deliver everything after the acknowledged cursor, in seq order, then stop.

    Each item is retried up to ``max_attempts`` times with backoff; when it still fails the
    pass ends (order matters more than progress) and the next pass starts from that item.
    """
    settings = Settings.from_app(app)
    if not settings.url:
        return PassResult("disabled")
    if not settings.secret:
        return PassResult("unsigned", error="NKO_RC_SECRET is not set")
    engine = app.extensions["nko_openness"].db.engine
    state.ensure_tables(engine)
    owner = uuid.uuid4().hex
    if not state.acquire_lease(engine, settings.receiver, owner, settings.lease_seconds):
        return PassResult("busy", acked_seq=state.read(engine, settings.receiver).acked_seq)
    try:
        return _run(app, engine, settings, owner, max_attempts or settings.max_attempts, sleep)
    finally:
        state.release_lease(engine, settings.receiver, owner)


def _run(app, engine, settings: Settings, owner: str, attempts: int, sleep) -> PassResult:
    ctx = hsds.ExportContext(base_url=settings.base_url, internal=settings.include_internal,
                             app=app)
    result = PassResult("ok", acked_seq=state.read(engine, settings.receiver).acked_seq)
    while True:
        try:
            mark = feed.high_water_mark(engine)
        except feed.FeedBusy as exc:
            return _failed(engine, settings, result, f"outbox busy: {exc}")
        result.latest_seq = mark.seq
        with Session(engine) as session:
            page = feed.changes_page(session, ctx, result.acked_seq, settings.batch, mark)
            # Encoded while the session is open: the items are plain dicts, the bytes final.
            bodies = [(item["seq"], hsds.dumps(item).encode("utf-8")) for item in page.items]
        for seq, body in bodies:
            error = _send(engine, settings, owner, body, seq, attempts, sleep)
            if error is not None:
                return _failed(engine, settings, result, f"seq {seq}: {error}")
            if not state.record_ack(engine, settings.receiver, owner, seq, 1):
                return _failed(engine, settings, result, "lease lost to another runner")
            result.delivered += 1
            result.acked_seq = seq
        # Rows the page skipped (superseded in the page, or withdrawn since: a later delete
        # row follows) are covered by what was sent; move past them too.
        if page.next > result.acked_seq:
            if not state.record_ack(engine, settings.receiver, owner, page.next, 0):
                return _failed(engine, settings, result, "lease lost to another runner")
            result.acked_seq = page.next
        if not page.has_more:
            return result


def _send(engine, settings: Settings, owner: str, body: bytes, seq: int, attempts: int,
          sleep) -> str | None:
    error = None
    for attempt in range(1, attempts + 1):
        if not state.renew_lease(engine, settings.receiver, owner, settings.lease_seconds):
            return "lease lost to another runner"
        error = post(settings, body, seq)
        if error is None:
            return None
        if attempt < attempts:
            sleep(backoff(attempt, settings.backoff_base, settings.backoff_max))
    return f"{error} (after {attempts} attempts)"


def _failed(engine, settings: Settings, result: PassResult, error: str) -> PassResult:
    state.record_failure(engine, settings.receiver, error)
    result.status = "failed"
    result.error = error
    return result
