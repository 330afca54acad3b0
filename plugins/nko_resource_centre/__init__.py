"""Resource Centre push: every outbox change POSTed, HMAC-signed, in order, until acknowledged.

Enable with ``NKO_PLUGINS = ["nko_resource_centre"]`` and set ``NKO_RC_URL`` and
``NKO_RC_SECRET``; run ``flask nko deliver`` from cron (or ``--loop`` as a service). The
Change table is the source of truth: a publication also triggers an immediate attempt in the
background, but nothing depends on it. Keys and the receiver's side:
docs/plugins-first-party.md.
"""

from __future__ import annotations

import logging
import threading

from flask import Flask

from nko_openness import hookimpl

from . import cli  # noqa: F401  (adds `flask nko deliver`)
from .delivery import PassResult, Settings, backoff, deliver_pass, sign

__all__ = ["PassResult", "Settings", "backoff", "deliver_pass", "sign", "wait_for_pushes"]

log = logging.getLogger(__name__)
EXTENSION_KEY = "nko_resource_centre"


def _push_now(app: Flask) -> None:
    """One quick attempt in a thread: the moderator's page never waits for the receiver."""
    settings = Settings.from_app(app)
    if not (settings.url and settings.secret and settings.push_on_publish):
        return

    def run():
        try:
            with app.app_context():
                result = deliver_pass(app, max_attempts=1)
            if result.status == "failed":
                log.info("nko_resource_centre: immediate push failed (%s); "
                         "flask nko deliver will retry", result.error)
        except Exception:
            log.exception("nko_resource_centre: immediate push crashed")

    thread = threading.Thread(target=run, name="nko-rc-push", daemon=True)
    threads = app.extensions.setdefault(EXTENSION_KEY, {"threads": []})["threads"]
    threads[:] = [t for t in threads if t.is_alive()]  # a web worker lives for months
    threads.append(thread)
    thread.start()


def wait_for_pushes(app: Flask, timeout: float = 10.0) -> None:
    """Join the immediate-push threads started so far (tests, orderly shutdown)."""
    threads = app.extensions.get(EXTENSION_KEY, {}).get("threads", [])
    while threads:
        threads.pop(0).join(timeout)


@hookimpl
def nko_after_publish(app, change):
    if change is not None:
        _push_now(app)


@hookimpl
def nko_after_unpublish(app, change):
    if change is not None:
        _push_now(app)
