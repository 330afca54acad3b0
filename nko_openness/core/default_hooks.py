"""The module's own hook implementations, registered like any plugin (the Datasette way)."""

from __future__ import annotations

from nko_openness.core.hookspecs import hookimpl


@hookimpl(trylast=True)
def nko_current_user(app):
    # Flask-Login is optional: a host without it has no logged-in users unless it says so.
    if "login_manager" not in app.__dict__ and not hasattr(app, "login_manager"):
        return None
    from flask_login import current_user

    if current_user and current_user.is_authenticated:
        return current_user._get_current_object()
    return None
