"""The example municipal site's app factory: its own pages and layout, the module at /nko."""

from __future__ import annotations

import os

from flask import Flask, render_template

from nko_openness import NkoOpenness
from nko_openness.core.i18n import N_

from .auth import init_auth


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(
        SECRET_KEY=os.environ.get("SECRET_KEY", "dev-only-change-me"),
        NKO_DATABASE_URL=os.environ.get("NKO_DATABASE_URL"),
        NKO_BASE_TEMPLATE="layout.html",
        # Translated on English pages from the site's own catalogue (translations/).
        NKO_SITE_NAME=N_("Некоммерческие организации Белогорска"),
        NKO_URL_PREFIX="/nko",
        # Notifications as e-mail files in instance/outbox/ (examples/host_site/notifications.py);
        # the city's own fields and footer contacts (examples/host_site/local_plugin.py);
        # the first-party plugins (docs/plugins-first-party.md).
        NKO_PLUGINS=["examples.host_site.notifications", "examples.host_site.local_plugin",
                     "nko_opendata", "nko_atom", "nko_resource_centre"],
        # Open data passports name the owner of the sets (an example ИНН, not a real one).
        NKO_OPENDATA_OWNER_INN="2804008317",
        NKO_OPENDATA_CREATOR="Администрация города Белогорск",
        # Push to the Resource Centre only when an endpoint is given: without NKO_RC_URL
        # `flask nko deliver` says so and does nothing.
        NKO_RC_URL=os.environ.get("NKO_RC_URL"),
        NKO_RC_SECRET=os.environ.get("NKO_RC_SECRET"),
        NOTIFY_MODERATOR_EMAILS=["Отдел по работе с НКО <nko@belogorsk.example>"],
    )
    if test_config:
        app.config.update(test_config)
    NkoOpenness(app)
    init_auth(app)

    @app.get("/")
    def index():
        return render_template("index.html")

    @app.get("/about")
    def about():
        return render_template("about.html")

    return app
