"""Where every blueprint is mounted: public, search, API, cabinet, moderation and plugins."""

from __future__ import annotations

from flask import Blueprint, Flask


def register_views(app: Flask, prefix: str) -> None:
    from nko_openness.api import views as api
    from nko_openness.cabinet.views import bp as cabinet_bp
    from nko_openness.catalog.structured import bp as structured_bp
    from nko_openness.catalog.views import bp as public_bp
    from nko_openness.moderation.views import bp as moderation_bp
    from nko_openness.search.views import bp as search_bp
    from nko_openness.web.accessibility import bp as a11y_bp
    from nko_openness.web.documents import bp as documents_bp

    app.register_blueprint(public_bp, url_prefix=prefix)
    app.register_blueprint(search_bp, url_prefix=prefix)
    api.register(app, prefix)
    app.register_blueprint(a11y_bp, url_prefix=prefix)
    app.register_blueprint(structured_bp, url_prefix=prefix)
    app.register_blueprint(moderation_bp, url_prefix=f"{prefix}/moderation")
    app.register_blueprint(cabinet_bp, url_prefix=f"{prefix}/cabinet")
    app.register_blueprint(documents_bp, url_prefix=prefix)
    register_plugin_blueprints(app, prefix)


def register_plugin_blueprints(app: Flask, prefix: str) -> None:
    """Mount the blueprints of ``nko_blueprints`` under the prefix (plus their own url_prefix)."""
    from nko_openness.core.plugins import PluginError, call_one, implementations

    for plugin, impl in implementations(app, "nko_blueprints"):
        for blueprint in call_one(impl, app=app) or ():
            if not isinstance(blueprint, Blueprint):
                raise PluginError(
                    f"Плагин {plugin!r}: nko_blueprints вернул не Blueprint: {blueprint!r}.",
                    f"Plugin {plugin!r}: nko_blueprints returned a non-Blueprint: {blueprint!r}.",
                )
            own = (blueprint.url_prefix or "").strip("/")
            app.register_blueprint(
                blueprint, url_prefix=f"{prefix.rstrip('/')}/{own}" if own else prefix)
