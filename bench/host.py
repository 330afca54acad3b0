"""The benchmark's host site: the module mounted with its defaults, plus the bare-Flask limit."""

from __future__ import annotations

import os

from flask import Flask
from sqlalchemy import select

from nko_openness import NkoOpenness
from nko_openness.core.db import db_session
from nko_openness.models import Organization

BARE_TEMPLATE = "<h1>{{ org.name }}</h1>"


def make_host(url: str) -> Flask:
    """The smallest host: the module with its default layout, and one bare view beside it.

    ``/bench/bare/<id>`` is the limit the organization page is compared with: the same
    process, app and session, one SELECT of the organization's row by primary key, and a
    one-line template (compiled once, as Flask caches file templates).
    """
    app = Flask("nko_bench_host")
    # The API's rate limits are a policy, not a cost: a consumer following the feed at full
    # speed must measure the feed, not 429 answers.
    app.config.update(SECRET_KEY="bench", NKO_DATABASE_URL=url,
                      NKO_API_RATE_LIMIT="1000000/minute",
                      NKO_API_TOKEN_RATE_LIMIT="1000000/minute")
    NkoOpenness(app)
    template = app.jinja_env.from_string(BARE_TEMPLATE)
    table = Organization.__table__

    @app.get("/bench/bare/<int:org_id>")
    def bare_organization(org_id):
        org = db_session().execute(select(table).where(table.c.id == org_id)).one()
        return template.render(org=org)

    return app


def wsgi_app() -> Flask:
    """For gunicorn: ``bench.host:wsgi_app()`` with NKO_DATABASE_URL in the environment."""
    return make_host(os.environ["NKO_DATABASE_URL"])
