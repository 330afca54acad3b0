"""One pluggy PluginManager per app; plugins opt in by name through NKO_PLUGINS."""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points

import pluggy

from . import hookspecs

ENTRY_POINT_GROUP = "nko_openness"


class PluginError(RuntimeError):
    """A plugin named in NKO_PLUGINS cannot be loaded, or plugins contradict each other."""


def available_plugins() -> dict[str, object]:
    """Installed plugins by entry-point name (not loaded)."""
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def _load(name_or_object):
    if not isinstance(name_or_object, str):
        return name_or_object
    found = available_plugins().get(name_or_object)
    if found is not None:
        return found.load()
    try:
        return importlib.import_module(name_or_object)
    except ImportError as exc:
        known = ", ".join(sorted(available_plugins())) or "нет установленных"
        raise PluginError(
            f"Plugin {name_or_object!r} from NKO_PLUGINS is neither an installed plugin "
            f"(installed: {known}) nor an importable module: {exc}"
        ) from exc


def make_plugin_manager(enabled) -> pluggy.PluginManager:
    pm = pluggy.PluginManager("nko_openness")
    pm.add_hookspecs(hookspecs)
    from . import default_hooks

    pm.register(default_hooks, name="nko_openness.default_hooks")
    for item in enabled:
        plugin = _load(item)
        name = item if isinstance(item, str) else getattr(plugin, "__name__", None)
        if pm.is_registered(plugin):
            continue
        pm.register(plugin, name=name)
    pm.check_pending()
    return pm
