"""One pluggy PluginManager per app; plugins opt in by name through NKO_PLUGINS."""

from __future__ import annotations

import importlib
import importlib.util
import logging
from collections.abc import Callable, Iterable
from importlib.metadata import EntryPoint, entry_points
from typing import Any

import pluggy
from flask import Flask

from nko_openness.core import hookspecs

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "nko_openness"
DEFAULT_HOOKS_NAME = "nko_openness.core.default_hooks"


class PluginError(RuntimeError):
    """A plugin named in NKO_PLUGINS cannot be loaded, or plugins contradict each other.

    The message is in Russian, then English: the person who reads it is a municipal
    webmaster, and the traceback may be sent to a developer anywhere.
    """

    def __init__(self, ru: str, en: str):
        super().__init__(f"{ru}\n{en}")
        self.ru = ru
        self.en = en


class NkoPluginManager(pluggy.PluginManager):
    """A PluginManager that forgets what it derived from plugins whenever the set changes."""

    def __init__(self):
        super().__init__(ENTRY_POINT_GROUP)
        # Merged field specs, exporters and the like, keyed by whoever computes them.
        self.derived: dict[Any, Any] = {}
        # How each plugin was found: "entry point", "module", "object" or "built-in".
        self.sources: dict[str, str] = {}

    def register(self, plugin, name=None):
        self.derived.clear()
        return super().register(plugin, name)

    def unregister(self, plugin=None, name=None):
        self.derived.clear()
        return super().unregister(plugin, name)


def available_plugins() -> dict[str, EntryPoint]:
    """Installed plugins by entry-point name (not loaded)."""
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def _installed_list() -> str:
    return ", ".join(sorted(available_plugins())) or "—"


def _load(item) -> tuple[object, str, str]:
    """The plugin object, its registration name and how it was found."""
    if not isinstance(item, str):
        name = getattr(item, "__name__", None) or (
            f"{type(item).__module__}.{type(item).__qualname__}"
        )
        return item, name, "object"
    found = available_plugins().get(item)
    if found is not None:
        try:
            return found.load(), item, "entry point"
        except Exception as exc:
            raise PluginError(
                f"Плагин {item!r} из NKO_PLUGINS установлен ({found.value}), "
                f"но не загружается: {exc!r}",
                f"Plugin {item!r} from NKO_PLUGINS is installed ({found.value}) "
                f"but fails to load: {exc!r}",
            ) from exc
    try:
        spec = importlib.util.find_spec(item)
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        installed = _installed_list()
        raise PluginError(
            f"Неизвестный плагин {item!r} в NKO_PLUGINS: это не имя установленного плагина "
            f"(установлены: {installed}) и не импортируемый модуль.",
            f"Unknown plugin {item!r} in NKO_PLUGINS: neither an installed plugin "
            f"(installed: {installed}) nor an importable module.",
        )
    try:
        return importlib.import_module(item), item, "module"
    except Exception as exc:
        raise PluginError(
            f"Модуль плагина {item!r} из NKO_PLUGINS найден, но не импортируется: {exc!r}",
            f"Plugin module {item!r} from NKO_PLUGINS exists but fails to import: {exc!r}",
        ) from exc


def make_plugin_manager(enabled: Iterable) -> NkoPluginManager:
    """A manager with the hook specs, the module's own hooks and the enabled plugins."""
    pm = NkoPluginManager()
    pm.add_hookspecs(hookspecs)
    from nko_openness.core import default_hooks

    pm.register(default_hooks, name=DEFAULT_HOOKS_NAME)
    pm.sources[DEFAULT_HOOKS_NAME] = "built-in"
    for item in enabled:
        plugin, name, source = _load(item)
        if pm.is_registered(plugin):
            continue  # named twice, or both by entry point and by module path
        unmarked = [hook for hook in hookspecs_names() if callable(getattr(plugin, hook, None))
                    and pm.parse_hookimpl_opts(plugin, hook) is None]
        if unmarked:
            # pluggy would silently skip them: the commonest mistake in a first plugin.
            raise PluginError(
                f"Плагин {name!r}: функции {', '.join(unmarked)} без декоратора @hookimpl "
                "(from nko_openness import hookimpl) не будут вызваны.",
                f"Plugin {name!r}: {', '.join(unmarked)} lack the @hookimpl decorator "
                "(from nko_openness import hookimpl) and would never be called.",
            )
        try:
            pm.register(plugin, name=name)
        except (ValueError, pluggy.PluginValidationError) as exc:
            raise PluginError(
                f"Плагин {name!r} нельзя подключить: {exc}",
                f"Plugin {name!r} cannot be registered: {exc}",
            ) from exc
        pm.sources[name] = source
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        known = ", ".join(hookspecs_names())
        raise PluginError(
            f"Плагин {exc.plugin!r} реализует неизвестный хук ({exc}). Известные хуки: {known}.",
            f"Plugin {exc.plugin!r} implements an unknown hook ({exc}). Known hooks: {known}.",
        ) from exc
    return pm


def hookspecs_names() -> list[str]:
    """Every hook a plugin may implement, in the order core/hookspecs.py declares them."""
    return [name for name in vars(hookspecs) if name.startswith("nko_")
            and hasattr(getattr(hookspecs, name), "nko_openness_spec")]


def init_plugins(app: Flask) -> None:
    """Ask every plugin once at startup, so contradictions fail now, not on some request."""
    from nko_openness.export.exporters import exporters
    from nko_openness.fields.display import init_templates
    from nko_openness.fields.specs import ENTITIES, field_specs

    for entity in ENTITIES:
        field_specs(app, entity)
    exporters(app)
    init_templates(app)


def derived(app: Flask, key, build: Callable[[], Any]):
    """``build()`` computed once per app and per set of registered plugins."""
    cache = app.extensions["nko_openness"].pm.derived
    if key not in cache:
        cache[key] = build()
    return cache[key]


def implementations(app: Flask, hook_name: str):
    """(plugin name, hook function) for each implementation, in registration order.

    Collect hooks whose answers must be attributed to a plugin (to name the two plugins
    that declare the same field) call the implementations one by one through this.
    """
    pm = app.extensions["nko_openness"].pm
    caller = getattr(pm.hook, hook_name)
    for impl in caller.get_hookimpls():
        if impl.hookwrapper or impl.wrapper:
            continue
        yield impl.plugin_name, impl


def call_one(impl, **kwargs):
    """Call one hook implementation with the subset of arguments it asks for (as pluggy does)."""
    return impl.function(*(kwargs[name] for name in impl.argnames))


def notify(app: Flask, hook_name: str, **kwargs) -> None:
    """Call every implementation of a notify hook (``nko_after_*``), each on its own.

    The change is already committed: one plugin failing (a mail server down) must neither
    show the moderator an error page for a change that happened nor keep the other plugins
    from hearing of it, so its exception is logged, not raised.
    """
    for plugin, impl in implementations(app, hook_name):
        try:
            call_one(impl, app=app, **kwargs)
        except Exception:
            log.exception("nko_openness: plugin %r failed in %s", plugin, hook_name)


def describe(app: Flask) -> dict[str, Any]:
    """Installed and enabled plugins with the hooks each implements (``flask nko plugins``)."""
    pm = app.extensions["nko_openness"].pm
    installed = available_plugins()
    enabled = []
    for name, plugin in pm.list_name_plugin():
        if plugin is None:
            continue
        hooks = sorted(caller.name for caller in (pm.get_hookcallers(plugin) or []))
        enabled.append({"name": name, "source": pm.sources.get(name, "object"), "hooks": hooks})
    return {
        "installed": [
            {"name": name, "value": ep.value,
             "distribution": getattr(ep.dist, "name", None),
             "version": getattr(ep.dist, "version", None),
             "enabled": pm.has_plugin(name)}
            for name, ep in sorted(installed.items())
        ],
        "enabled": enabled,
    }
