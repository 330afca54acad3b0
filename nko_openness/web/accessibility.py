"""The version for the visually impaired: settings kept in a cookie, switched without JavaScript."""

from __future__ import annotations

from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from flask import Blueprint, g, has_request_context, redirect, request, url_for

bp = Blueprint("nko_a11y", __name__)

COOKIE_NAME = "nko_a11y"
COOKIE_MAX_AGE = 365 * 24 * 3600

# Each setting with its allowed values; the first value is the one switching the version on gives.
OPTIONS: dict[str, tuple[str, ...]] = {
    "size": ("large", "larger", "normal"),
    "scheme": ("bw", "wb", "blue"),
    "images": ("on", "off"),
    "spacing": ("normal", "wide"),
}


@dataclass(frozen=True)
class A11ySettings:
    """What the visitor chose; ``enabled`` False is the site's ordinary look."""

    enabled: bool = False
    size: str = OPTIONS["size"][0]
    scheme: str = OPTIONS["scheme"][0]
    images: str = OPTIONS["images"][0]
    spacing: str = OPTIONS["spacing"][0]

    @classmethod
    def from_cookie(cls, value: str | None) -> A11ySettings:
        # Anything unknown in the cookie falls back to the default: it is user input.
        if not value:
            return cls()
        chosen = {}
        for part in value.split("."):
            key, _, choice = part.partition("-")
            if key in OPTIONS and choice in OPTIONS[key]:
                chosen[key] = choice
        return cls(enabled=True, **chosen)

    def to_cookie(self) -> str:
        return ".".join(f"{key}-{getattr(self, key)}" for key in OPTIONS)

    def with_changes(self, args) -> A11ySettings:
        """Apply ``mode=on|off`` and any valid ``size=…`` style choices from a query."""
        if args.get("mode") == "off":
            return A11ySettings()
        chosen = {key: args[key] for key in OPTIONS if args.get(key) in OPTIONS[key]}
        return replace(self, enabled=True, **chosen)

    @property
    def classes(self) -> str:
        """Classes for the host's ``<html>``: the stylesheet keys every rule on them."""
        if not self.enabled:
            return ""
        names = ["nko-a11y", f"nko-a11y-size-{self.size}", f"nko-a11y-scheme-{self.scheme}"]
        if self.images == "off":
            names.append("nko-a11y-noimages")
        if self.spacing == "wide":
            names.append("nko-a11y-spacing-wide")
        return " ".join(names)


def current_settings() -> A11ySettings:
    if not has_request_context():
        return A11ySettings()
    # Pages differ by this cookie, so a shared cache must keep them apart.
    g.nko_a11y_read = True
    return A11ySettings.from_cookie(request.cookies.get(COOKIE_NAME))


def safe_next(target: str | None) -> str | None:
    """A path on this site to go back to, or None: never another host (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    if any(ch in target for ch in "\\\r\n\t") or any(ord(ch) < 32 for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def settings_url(**changes) -> str:
    """The switch endpoint's URL for some changes, coming back to the current page."""
    # script_root too: behind a proxy that mounts the site under a path, "next" must keep it.
    here = request.script_root + (request.full_path if request.query_string else request.path)
    return url_for("nko_a11y.change_settings", **changes, next=here)


@bp.app_context_processor
def _inject_settings():
    settings = current_settings()
    return {
        "nko_a11y": settings,
        "nko_a11y_classes": settings.classes,
        "nko_a11y_url": settings_url,
        "nko_a11y_options": OPTIONS,
    }


@bp.after_app_request
def _vary_on_cookie(response):
    if g.get("nko_a11y_read"):
        response.vary.add("Cookie")
    return response


@bp.get("/accessibility")
def change_settings():
    # GET on purpose: the panel must work without JavaScript from any host page, and the
    # change is idempotent, harmless and only about how this browser shows the site.
    settings = current_settings().with_changes(request.args)
    target = safe_next(request.args.get("next")) or url_for("nko.show_catalog")
    response = redirect(target, code=303)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    if settings.enabled:
        response.set_cookie(
            COOKIE_NAME, settings.to_cookie(), max_age=COOKIE_MAX_AGE, path="/",
            samesite="Lax", httponly=True, secure=request.is_secure,
        )
    else:
        response.delete_cookie(COOKIE_NAME, path="/", samesite="Lax", httponly=True,
                               secure=request.is_secure)
    return response


def cookie_value(**choices) -> str:
    """The cookie for some settings (tests and hosts that preset the version use it)."""
    return replace(A11ySettings(enabled=True), **choices).to_cookie()

