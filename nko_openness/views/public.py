"""Public pages: catalog, organization, service, project and beneficiary category pages."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("nko", __name__, template_folder="../templates", static_folder="../static",
               static_url_path="/static/nko_openness")


@bp.get("/")
def catalog():
    return "catalog (in progress)"
