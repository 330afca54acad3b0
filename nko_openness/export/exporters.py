"""Exporters from plugins (``nko_exporters``): the protocol, a ready-made class and the registry."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from flask import Flask
from sqlalchemy.orm import Session

from nko_openness.core.plugins import PluginError, call_one, derived, implementations

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


@runtime_checkable
class Exporter(Protocol):
    """What ``nko_exporters`` returns, one per downloadable format.

    ``name``        URL-safe and unique per app ("opendata-organizations", "atom");
    ``title``       Russian, for the link a person clicks («Открытые данные: организации»);
    ``media_type``  the response's Content-Type ("text/csv; charset=utf-8");
    ``extension``   file extension without the dot ("csv"), for the download's name;
    ``render(app, session, params)`` yields the body in chunks (str or bytes), reading
    only published data, in constant memory; ``params`` are the request's query
    arguments (e.g. an organization or category to narrow an Atom feed to).
    """

    name: str
    title: str
    media_type: str
    extension: str

    def render(self, app: Flask, session: Session,
               params: Mapping[str, str]) -> Iterable[str | bytes]: ...


@dataclass(frozen=True)
class SimpleExporter:
    """An Exporter from a plain function: ``SimpleExporter("csv", "CSV", ..., render=fn)``."""

    name: str
    title: str
    media_type: str
    extension: str
    render_function: Callable[[Flask, Session, Mapping[str, str]], Iterable[str | bytes]]

    def render(self, app, session, params):
        return self.render_function(app, session, params)


def _check(exporter: Any, plugin: str) -> None:
    missing = [a for a in ("name", "title", "media_type", "extension")
               if not isinstance(getattr(exporter, a, None), str) or not getattr(exporter, a)]
    if not callable(getattr(exporter, "render", None)):
        missing.append("render")
    if missing:
        raise PluginError(
            f"Плагин {plugin!r}: у экспорта {exporter!r} нет {', '.join(missing)}.",
            f"Plugin {plugin!r}: exporter {exporter!r} lacks {', '.join(missing)}.",
        )
    if not _NAME.match(exporter.name):
        raise PluginError(
            f"Плагин {plugin!r}: имя экспорта {exporter.name!r} должно состоять из латиницы "
            "в нижнем регистре, цифр, «-» и «_».",
            f"Plugin {plugin!r}: exporter name {exporter.name!r} must be lower-case latin, "
            "digits, '-' and '_'.",
        )


def _collect(app: Flask) -> dict[str, Exporter]:
    found: dict[str, Exporter] = {}
    owners: dict[str, str] = {}
    for plugin, impl in implementations(app, "nko_exporters"):
        for exporter in call_one(impl, app=app) or ():
            _check(exporter, plugin)
            if exporter.name in found:
                raise PluginError(
                    f"Плагины {owners[exporter.name]!r} и {plugin!r} объявляют экспорт "
                    f"с одним именем {exporter.name!r}.",
                    f"Plugins {owners[exporter.name]!r} and {plugin!r} both declare an "
                    f"exporter named {exporter.name!r}.",
                )
            found[exporter.name] = exporter
            owners[exporter.name] = plugin
    return found


def exporters(app: Flask) -> dict[str, Exporter]:
    """The app's exporters by name, in plugin order; checked and cached per app."""
    return derived(app, "exporters", lambda: _collect(app))


def get_exporter(app: Flask, name: str) -> Exporter | None:
    return exporters(app).get(name)
