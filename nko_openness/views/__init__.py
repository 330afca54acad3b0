"""Blueprints: public pages now; cabinet, moderation and API register here as they arrive."""

from __future__ import annotations

from flask import Flask


def register_views(app: Flask, prefix: str) -> None:
    from . import api
    from .accessibility import bp as a11y_bp
    from .cabinet import bp as cabinet_bp
    from .documents import bp as documents_bp
    from .moderation import bp as moderation_bp
    from .public import bp as public_bp
    from .search import bp as search_bp
    from .structured import bp as structured_bp

    app.register_blueprint(public_bp, url_prefix=prefix)
    app.register_blueprint(search_bp, url_prefix=prefix)
    api.register(app, prefix)
    app.register_blueprint(a11y_bp, url_prefix=prefix)
    app.register_blueprint(structured_bp, url_prefix=prefix)
    app.register_blueprint(moderation_bp, url_prefix=f"{prefix}/moderation")
    app.register_blueprint(cabinet_bp, url_prefix=f"{prefix}/cabinet")
    app.register_blueprint(documents_bp, url_prefix=prefix)
