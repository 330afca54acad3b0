"""Blueprints: public pages now; cabinet, moderation and API register here as they arrive."""

from __future__ import annotations

from flask import Flask


def register_views(app: Flask, prefix: str) -> None:
    from .public import bp as public_bp

    app.register_blueprint(public_bp, url_prefix=prefix)
