"""Every hook a plugin or host site may implement; docs/plugins.md documents each signature."""

from __future__ import annotations

import pluggy

hookspec = pluggy.HookspecMarker("nko_openness")
hookimpl = pluggy.HookimplMarker("nko_openness")


@hookspec
def nko_extra_fields(app, entity):
    """Return field specs (dicts or FieldSpec) for ``entity``: organization, service, project."""


@hookspec
def nko_beneficiary_categories(app):
    """Return extra beneficiary category terms: dicts with slug, name, name_en, parent."""


@hookspec
def nko_validate(app, entity, data):
    """Return {field: Russian error} for ``data`` (a snapshot, plugin fields under "extra")."""


@hookspec
def nko_sanitizer_policy(app, policy):
    """Adjust the sanitizer ``policy`` in place (never beyond its hard floor)."""


@hookspec
def nko_exporters(app):
    """Return exporters: name, title, media_type, extension, ``render(app, session, params)``."""


@hookspec
def nko_blueprints(app):
    """Return Flask blueprints to mount under the module's URL prefix (read once at startup)."""


@hookspec
def nko_after_publish(app, record, change):
    """Called after the commit that published ``record`` (``change`` is its Change row)."""


@hookspec
def nko_after_unpublish(app, record, change):
    """Called after the commit that withdrew ``record`` (unpublished, archived or deleted)."""


@hookspec
def nko_after_submit(app, record, user):
    """Called after the commit that submitted ``record`` for review."""


@hookspec
def nko_after_return(app, record, user, comment):
    """Called after the commit that returned ``record`` to its editors with ``comment``."""


@hookspec(firstresult=True)
def nko_permission(app, user, action, obj):
    """Return True or False to decide ``action`` on ``obj`` for ``user``; None to defer."""


@hookspec(firstresult=True)
def nko_current_user(app):
    """Return the host's current user (an object with ``id``), or None when anonymous."""


@hookspec
def nko_page_context(app, page, obj):
    """Return a dict of extra template variables for public page ``page`` showing ``obj``."""
