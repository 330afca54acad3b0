"""Russian first, English second: the module's own Flask-Babel translation domain."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask_babel import Babel, Domain

# The module's catalogue is its own domain, so it works beside any host catalogue.
domain = Domain(translation_directories=str(Path(__file__).parent / "translations"),
                domain="nko_openness")
gettext = domain.gettext
ngettext = domain.ngettext
lazy_gettext = domain.lazy_gettext


def init_i18n(app: Flask) -> None:
    if "babel" not in app.extensions:
        app.config.setdefault("BABEL_DEFAULT_LOCALE", "ru")
        Babel(app)


def template_helpers() -> dict:
    return {"_": gettext, "gettext": gettext, "ngettext": ngettext}
