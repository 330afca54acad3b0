"""The Flask extension that mounts the NKO disclosure section into a host site."""

from __future__ import annotations

import os

from flask import Flask

from nko_openness.core.db import SQLITE_CACHE_KB, setup_database
from nko_openness.core.fragments import FragmentCache
from nko_openness.core.i18n import N_
from nko_openness.core.plugins import make_plugin_manager
from nko_openness.core.state import NkoState


class NkoOpenness:
    """Public disclosure of socially oriented NKOs' services, projects and beneficiaries.

    Configuration keys, each read once in :meth:`init_app` (defaults in brackets):

    ``NKO_URL_PREFIX`` [``"/nko"``]
        Where the section is mounted.
    ``NKO_BASE_TEMPLATE`` [``"nko_openness/base.html"``]
        The layout every module page extends; set it to the host's own layout. It must
        provide the blocks ``title``, ``head`` and ``content``.
    ``NKO_SITE_NAME`` [``"Некоммерческие организации"``]
        The section's name in titles and breadcrumbs.
    ``NKO_PLUGINS`` [``[]``]
        Plugins to enable: entry-point names (group ``nko_openness``), importable module
        paths or plugin objects. Nothing runs unless named here.
    ``NKO_DATABASE_URL`` [``None``]
        Own database for the module. When unset and the host uses Flask-SQLAlchemy, the
        module shares its engine and session; otherwise an SQLite file in the instance folder.
    ``NKO_PAGE_SIZE`` [``20``]
        Organizations per catalog page.
    ``NKO_BASE_URL`` [``None``]
        Absolute base URL for links in feeds (``https://belogorsk.example/nko``); when unset,
        links are built from the request.
    ``NKO_UPLOAD_FOLDER`` [``<instance>/nko_documents``]
        Where uploaded PDFs are stored, outside ``static/``.
    ``NKO_MAX_DOCUMENT_SIZE`` [``10 * 1024 * 1024``]
        Largest accepted document in bytes.
    ``NKO_DOCUMENT_CHECK_SECONDS`` [``5``]
        Time budget for parsing an uploaded PDF; a file that takes longer is refused.
    ``NKO_SANITIZER`` [``"bleach"``]
        HTML sanitizer backend: ``"bleach"`` or ``"nh3"``.
    ``NKO_SHOW_OPENNESS_BADGE`` [``False``]
        Show the disclosure completeness badge on public profiles.
    ``NKO_API_RATE_LIMIT`` [``"120/minute"``]
        Requests per client address to the export API without a token (Flask-Limiter
        notation; storage ``RATELIMIT_STORAGE_URI``, in memory by default).
    ``NKO_API_TOKEN_RATE_LIMIT`` [``"1200/minute"``]
        Requests per API token (``flask nko token create``).
    ``NKO_LANGUAGES`` [``("ru", "en")``]
        Languages offered, the default first (``?lang=``, the ``nko_lang`` cookie,
        Accept-Language); used when the module sets up Flask-Babel itself (docs/i18n.md).
    ``NKO_TRANSLATION_DIRECTORIES`` [``[]``]
        The host's folders with ``<lang>/LC_MESSAGES/nko_openness.mo``, read after the
        module's own catalogues: they override strings and add languages.
    ``NKO_PAGE_CACHE_BYTES`` [``32 * 1024 * 1024``]
        Memory per process for the page cache: the organization page's rendered parts and
        the category counts, kept until the data they show changes (docs/caching.md);
        ``0`` switches it off.
    ``NKO_SQLITE_CACHE_KB`` [``16 * 1024``]
        SQLite page cache per connection of the module's own engine, in KiB (docs/feed.md);
        ``0`` keeps SQLite's default of 2 MB. A host's shared engine is left as it is.
    """

    def __init__(self, app: Flask | None = None, *, plugins=None):
        self._plugins = list(plugins or [])
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        if "nko_openness" in app.extensions:
            raise RuntimeError(
                "nko_openness is already registered on this app: call init_app once per app."
            )
        config = {
            key: app.config.setdefault(key, default)
            for key, default in {
                "NKO_URL_PREFIX": "/nko",
                "NKO_BASE_TEMPLATE": "nko_openness/base.html",
                "NKO_SITE_NAME": N_("Некоммерческие организации"),
                "NKO_PLUGINS": [],
                "NKO_DATABASE_URL": None,
                "NKO_PAGE_SIZE": 20,
                "NKO_BASE_URL": None,
                "NKO_UPLOAD_FOLDER": os.path.join(app.instance_path, "nko_documents"),
                "NKO_MAX_DOCUMENT_SIZE": 10 * 1024 * 1024,
                "NKO_DOCUMENT_CHECK_SECONDS": 5,
                "NKO_SANITIZER": "bleach",
                "NKO_SHOW_OPENNESS_BADGE": False,
                "NKO_API_RATE_LIMIT": "120/minute",
                "NKO_API_TOKEN_RATE_LIMIT": "1200/minute",
                "NKO_LANGUAGES": ("ru", "en"),
                "NKO_TRANSLATION_DIRECTORIES": [],
                "NKO_PAGE_CACHE_BYTES": 32 * 1024 * 1024,
                "NKO_SQLITE_CACHE_KB": SQLITE_CACHE_KB,
            }.items()
        }
        os.makedirs(app.instance_path, exist_ok=True)
        state = NkoState(
            extension=self,
            db=setup_database(app, config["NKO_DATABASE_URL"]),
            pm=make_plugin_manager([*self._plugins, *config["NKO_PLUGINS"]]),
            config=config,
            cache=FragmentCache(config["NKO_PAGE_CACHE_BYTES"]),
        )
        app.extensions["nko_openness"] = state

        from nko_openness.cli import nko_cli
        from nko_openness.core.i18n import init_i18n
        from nko_openness.core.plugins import init_plugins
        from nko_openness.web import register_views

        init_plugins(app)
        init_i18n(app)
        register_views(app, config["NKO_URL_PREFIX"])
        app.cli.add_command(nko_cli)
