"""The hook machinery: loading plugins by name, startup errors, `flask nko plugins`, subsets."""

from __future__ import annotations

import json
import re
import sys
import textwrap
import types

import pytest
from conftest import make_app
from flask import Flask

from nko_openness import NkoOpenness, hookimpl
from nko_openness.core.plugins import DEFAULT_HOOKS_NAME, PluginError, hookspecs_names


def fresh_app(tmp_path, **config) -> Flask:
    # The machinery never touches the database: an in-memory SQLite app is enough.
    return make_app("sqlite://", tmp_path, **config)


def plugin_module(name: str, source: str, path) -> str:
    """Write an importable plugin module under ``path`` and return its name."""
    (path / f"{name}.py").write_text(textwrap.dedent(source), encoding="utf-8")
    return name


@pytest.fixture
def plugin_dir(tmp_path, monkeypatch):
    """A folder on sys.path for plugin modules and fake installed distributions."""
    folder = tmp_path / "site"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    yield folder
    for name in [m for m in sys.modules if m.startswith("nko_test_")]:
        del sys.modules[name]


def install_entry_point(folder, dist: str, name: str, value: str) -> None:
    """A real (if tiny) installed distribution declaring an ``nko_openness`` entry point."""
    info = folder / f"{dist}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[nko_openness]\n{name} = {value}\n")


GREETER = """
from nko_openness import hookimpl

@hookimpl
def nko_page_context(page):
    return {"greeting": "Здравствуйте"}
"""


def test_plugin_by_module_path(tmp_path, plugin_dir):
    name = plugin_module("nko_test_greeter", GREETER, plugin_dir)
    app = fresh_app(tmp_path, NKO_PLUGINS=[name])
    pm = app.extensions["nko_openness"].pm
    assert pm.has_plugin(name)
    assert pm.hook.nko_page_context(app=app, page="catalog", obj=None) == [
        {"greeting": "Здравствуйте"}]


def test_plugin_by_entry_point_name(tmp_path, plugin_dir):
    plugin_module("nko_test_ep_module", GREETER, plugin_dir)
    install_entry_point(plugin_dir, "nko_test_dist", "greeter", "nko_test_ep_module")
    app = fresh_app(tmp_path, NKO_PLUGINS=["greeter"])
    pm = app.extensions["nko_openness"].pm
    assert pm.has_plugin("greeter")
    assert pm.sources["greeter"] == "entry point"


def test_installed_plugins_are_not_enabled_unless_named(tmp_path, plugin_dir):
    plugin_module("nko_test_ep_idle", GREETER, plugin_dir)
    install_entry_point(plugin_dir, "nko_test_idle", "idle", "nko_test_ep_idle")
    app = fresh_app(tmp_path)
    assert not app.extensions["nko_openness"].pm.has_plugin("idle")
    assert "nko_test_ep_idle" not in sys.modules


def test_unknown_plugin_name_is_a_clear_startup_error(tmp_path):
    with pytest.raises(PluginError) as caught:
        fresh_app(tmp_path, NKO_PLUGINS=["nko_no_such_plugin"])
    message = str(caught.value)
    assert "Неизвестный плагин 'nko_no_such_plugin' в NKO_PLUGINS" in message
    assert "Unknown plugin 'nko_no_such_plugin' in NKO_PLUGINS" in message


def test_plugin_that_fails_to_import_names_the_cause(tmp_path, plugin_dir):
    name = plugin_module("nko_test_broken", "import nko_no_such_dependency\n", plugin_dir)
    with pytest.raises(PluginError, match="nko_no_such_dependency") as caught:
        fresh_app(tmp_path, NKO_PLUGINS=[name])
    assert "не импортируется" in str(caught.value)


def test_hook_without_marker_is_refused(tmp_path):
    class Forgetful:
        def nko_page_context(self, page):
            return {}

    with pytest.raises(PluginError, match="@hookimpl"):
        fresh_app(tmp_path, NKO_PLUGINS=[Forgetful()])


def test_unknown_hook_is_refused(tmp_path):
    class Typo:
        @hookimpl
        def nko_page_contxt(self, page):
            return {}

    with pytest.raises(PluginError, match="nko_page_contxt"):
        fresh_app(tmp_path, NKO_PLUGINS=[Typo()])


def test_argument_not_in_the_spec_is_refused(tmp_path):
    class Greedy:
        @hookimpl
        def nko_page_context(self, page, request):
            return {}

    with pytest.raises(PluginError, match="request"):
        fresh_app(tmp_path, NKO_PLUGINS=[Greedy()])


def test_same_plugin_twice_is_registered_once(tmp_path, plugin_dir):
    name = plugin_module("nko_test_twice", GREETER, plugin_dir)
    app = fresh_app(tmp_path, NKO_PLUGINS=[name, name])
    assert len(app.extensions["nko_openness"].hook.nko_page_context(
        app=app, page="catalog", obj=None)) == 1


def test_plugins_given_to_the_constructor(tmp_path):
    class Marker:
        @hookimpl
        def nko_page_context(self):
            return {"marker": True}

    app = Flask("nko_ctor", instance_path=str(tmp_path / "instance"))
    app.config["NKO_DATABASE_URL"] = "sqlite://"
    NkoOpenness(app, plugins=[Marker()])
    assert app.extensions["nko_openness"].hook.nko_page_context(
        app=app, page="x", obj=None) == [{"marker": True}]


def test_each_app_has_its_own_plugin_manager(tmp_path):
    class Only:
        @hookimpl
        def nko_page_context(self):
            return {"only": 1}

    with_plugin = fresh_app(tmp_path / "a", NKO_PLUGINS=[Only()])
    without = fresh_app(tmp_path / "b")
    assert with_plugin.extensions["nko_openness"].pm is not without.extensions["nko_openness"].pm
    assert without.extensions["nko_openness"].hook.nko_page_context(
        app=without, page="x", obj=None) == []


def test_implementations_may_take_any_subset_of_the_arguments(tmp_path):
    seen = []

    class NoArguments:
        @hookimpl
        def nko_page_context(self):
            seen.append("none")

    class OnlyObj:
        @hookimpl
        def nko_page_context(self, obj):
            seen.append(("obj", obj))

    class All:
        @hookimpl
        def nko_page_context(self, app, page, obj):
            seen.append(("all", app.name, page, obj))

    app = fresh_app(tmp_path, NKO_PLUGINS=[NoArguments(), OnlyObj(), All()])
    app.extensions["nko_openness"].hook.nko_page_context(app=app, page="catalog", obj=42)
    assert sorted(map(str, seen)) == sorted(map(str, [
        "none", ("obj", 42), ("all", app.name, "catalog", 42)]))


def test_every_hook_receives_the_app():
    import inspect

    from nko_openness.core import hookspecs

    for name in hookspecs_names():
        params = list(inspect.signature(getattr(hookspecs, name)).parameters)
        assert params[0] == "app", f"{name} must receive the app first"


def test_registering_a_plugin_later_refreshes_what_was_derived(tmp_path):
    from nko_openness.fields.specs import field_specs

    app = fresh_app(tmp_path)
    assert field_specs(app, "project") == ()

    class Late:
        @hookimpl
        def nko_extra_fields(self, entity):
            return [{"name": "late", "label_ru": "Поздно"}] if entity == "project" else []

    pm = app.extensions["nko_openness"].pm
    plugin = Late()
    pm.register(plugin)
    assert [s.name for s in field_specs(app, "project")] == ["late"]
    pm.unregister(plugin)
    assert field_specs(app, "project") == ()


# -- flask nko plugins --------------------------------------------------------------------------


class Listed:
    __name__ = "listed_plugin"

    @hookimpl
    def nko_page_context(self):
        return {}

    @hookimpl
    def nko_extra_fields(self, entity):
        return []


def test_cli_lists_enabled_plugins_with_their_hooks(tmp_path, plugin_dir):
    plugin_module("nko_test_ep_cli", GREETER, plugin_dir)
    install_entry_point(plugin_dir, "nko_test_cli_dist", "cli_greeter", "nko_test_ep_cli")
    app = fresh_app(tmp_path, NKO_PLUGINS=[Listed()])
    result = app.test_cli_runner().invoke(args=["nko", "plugins"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "listed_plugin" in out and "nko_extra_fields, nko_page_context" in out
    assert DEFAULT_HOOKS_NAME in out and "nko_current_user" in out
    # Installed but not enabled: listed as available, marked as off.
    line = next(line for line in out.splitlines() if "cli_greeter" in line)
    assert "nko_test_ep_cli" in line and "не включён" in line


def test_cli_json_output(tmp_path, plugin_dir):
    plugin_module("nko_test_ep_json", GREETER, plugin_dir)
    install_entry_point(plugin_dir, "nko_test_json_dist", "json_greeter", "nko_test_ep_json")
    app = fresh_app(tmp_path, NKO_PLUGINS=["json_greeter"])
    result = app.test_cli_runner().invoke(args=["nko", "plugins", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    installed = {p["name"]: p for p in data["installed"]}
    assert installed["json_greeter"]["enabled"] is True
    assert installed["json_greeter"]["distribution"] == "nko_test_json_dist"
    enabled = {p["name"]: p for p in data["enabled"]}
    assert enabled["json_greeter"] == {"name": "json_greeter", "source": "entry point",
                                       "hooks": ["nko_page_context"]}
    assert enabled[DEFAULT_HOOKS_NAME]["source"] == "built-in"


def test_plugin_error_carries_both_languages():
    error = PluginError("по-русски", "in English")
    assert (error.ru, error.en) == ("по-русски", "in English")
    assert str(error) == "по-русски\nin English"


def test_module_object_plugin(tmp_path):
    module = types.ModuleType("nko_test_inline")

    @hookimpl
    def nko_page_context():
        return {"inline": True}

    module.nko_page_context = nko_page_context
    app = fresh_app(tmp_path, NKO_PLUGINS=[module])
    pm = app.extensions["nko_openness"].pm
    assert pm.has_plugin("nko_test_inline")
    assert pm.sources["nko_test_inline"] == "object"


def test_the_minimal_plugin_in_the_docs_works(tmp_path, plugin_dir):
    from pathlib import Path

    from nko_openness.fields.specs import field_specs

    docs = (Path(__file__).resolve().parents[1] / "docs" / "plugins.md").read_text("utf-8")
    source = re.search(r"```python\n# belogorsk_fields.py\n(.*?)```", docs, re.S).group(1)
    assert len(source.strip().splitlines()) <= 12  # "a ten-line plugin"
    name = plugin_module("nko_test_docs_minimal", source, plugin_dir)
    app = fresh_app(tmp_path, NKO_PLUGINS=[name])
    district, nko_day = field_specs(app, "project")
    assert (district.label_ru, district.type, district.choice_values) == (
        "Микрорайон", "choice", ("center", "north", "south"))
    assert (nko_day.label_ru, nko_day.type) == ("Участвует в Дне НКО", "boolean")
    assert field_specs(app, "organization") == ()
