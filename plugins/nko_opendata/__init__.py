"""Open data per the Russian methodology v3.0: organizations, services and projects as CSV sets.

Enable with ``NKO_PLUGINS = ["nko_opendata"]``. URLs under the module's prefix:
``/opendata/list.csv`` (the register), ``/opendata/<identifier>/meta.csv`` (a set's
passport), ``/opendata/<identifier>/structure-YYYYMMDD.csv`` and
``/opendata/<identifier>/data-YYYYMMDD-structure-YYYYMMDD.csv``. Configuration:
docs/plugins-first-party.md.
"""

from __future__ import annotations

import re

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    has_request_context,
    redirect,
    request,
    stream_with_context,
)

from nko_openness import hookimpl
from nko_openness.core.db import db_session
from nko_openness.core.i18n import gettext as _
from nko_openness.export.exporters import SimpleExporter, get_exporter

from .datasets import DATASETS, Dataset
from .files import (
    Publisher,
    data_rows,
    find_dataset,
    list_rows,
    meta_rows,
    names,
    structure_rows,
    to_csv,
)

CSV_TYPE = "text/csv; charset=utf-8"
DATA_FILE = re.compile(r"^data-(\d{8})-structure-(\d{8})\.csv$")
STRUCTURE_FILE = re.compile(r"^structure-(\d{8})\.csv$")
# Stable for people and links on pages: redirects to the current version's data file.
CURRENT_DATA = "data.csv"

bp = Blueprint("nko_opendata", __name__, url_prefix="/opendata")


def base_url() -> str:
    """The module's absolute root: NKO_BASE_URL behind a proxy, else the request's."""
    config = current_app.config
    prefix = config.get("NKO_URL_PREFIX", "/nko").rstrip("/")
    if config.get("NKO_BASE_URL"):
        return config["NKO_BASE_URL"].rstrip("/")
    if not has_request_context():  # an export run from a command
        return f"http://{config.get('SERVER_NAME') or 'localhost'}{prefix}"
    return request.url_root.rstrip("/") + prefix


def file_url(identifier: str, name: str) -> str:
    return f"{base_url()}/opendata/{identifier}/{name}"


def exporter_name(dataset: Dataset) -> str:
    return f"opendata-{dataset.code}"


def _render_data(dataset: Dataset):
    def render(app, session, params):
        return to_csv(data_rows(app, dataset, base_url()))
    return render


def _download(chunks, filename: str) -> Response:
    response = Response(stream_with_context(chunks), content_type=CSV_TYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/list.csv")
def register_file():
    return _download(to_csv(list_rows(Publisher.from_app(current_app), file_url)), "list.csv")


def _dataset_or_404(identifier: str) -> tuple[Publisher, Dataset]:
    publisher = Publisher.from_app(current_app)
    dataset = find_dataset(publisher, identifier)
    if dataset is None:
        abort(404)
    return publisher, dataset


@bp.get("/<identifier>/meta.csv")
def passport_file(identifier):
    publisher, dataset = _dataset_or_404(identifier)
    rows = meta_rows(publisher, dataset, db_session(), file_url)
    return _download(to_csv(rows), "meta.csv")


@bp.get("/<identifier>/<filename>")
def version_file(identifier, filename):
    publisher, dataset = _dataset_or_404(identifier)
    current = names(publisher, db_session())
    if filename == current.structure:
        return _download(to_csv(structure_rows(current_app, dataset)), filename)
    if filename == current.data:
        exporter = get_exporter(current_app, exporter_name(dataset))
        chunks = exporter.render(current_app, db_session(), request.args)
        return _download(chunks, filename)
    if filename == CURRENT_DATA or DATA_FILE.match(filename):
        # Earlier versions are not kept: the current one is what a stale link gets.
        return redirect(file_url(identifier, current.data), 302)
    abort(404)


@hookimpl
def nko_exporters():
    return [SimpleExporter(exporter_name(d), f"Открытые данные: {d.title}", CSV_TYPE, "csv",
                           _render_data(d)) for d in DATASETS]


@hookimpl
def nko_blueprints():
    return [bp]


@hookimpl
def nko_page_context(app, page):
    if page != "catalog":
        return None
    publisher = Publisher.from_app(app)
    links = [{"href": file_url(publisher.identifier(d), CURRENT_DATA),
              "title": _("%(title)s (CSV)", title=_(d.title)), "type": "text/csv",
              "download": True} for d in DATASETS]
    links.append({"href": f"{base_url()}/opendata/list.csv",
                  "title": _("Реестр наборов открытых данных (list.csv)"), "type": "text/csv",
                  "download": True})
    return {"nko_link_lists": [{"title": _("Открытые данные"), "links": links}]}
