"""setup.cfg lists every package folder, so the wheel ships what a checkout has."""

from __future__ import annotations

import configparser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def read_options() -> tuple[set[str], dict[str, str]]:
    parser = configparser.ConfigParser()
    parser.read(ROOT / "setup.cfg", encoding="utf-8")
    options = parser["options"]
    packages = {line.strip() for line in options["packages"].splitlines() if line.strip()}
    package_dir = {}
    for line in options.get("package_dir", "").splitlines():
        if "=" in line:
            name, folder = (part.strip() for part in line.split("=", 1))
            package_dir[name] = folder
    return packages, package_dir


def plugin_folders() -> list[Path]:
    plugins = ROOT / "plugins"
    if not plugins.is_dir():
        return []
    return sorted(child for child in plugins.iterdir() if (child / "__init__.py").exists())


def package_folders(package_dir: dict[str, str]) -> dict[str, Path]:
    """Import name -> folder for every folder with an __init__.py, as the wheel must see it."""
    folders: dict[str, Path] = {}
    roots = {"nko_openness": ROOT / "nko_openness"}
    roots.update({name: ROOT / folder for name, folder in package_dir.items()})
    # A plugin folder plugins/<name>/ ships under its own import name <name>.
    for plugin in plugin_folders():
        roots.setdefault(plugin.name, plugin)
    for root_name, root in roots.items():
        for init in root.rglob("__init__.py"):
            relative = init.parent.relative_to(root).parts
            if "__pycache__" in relative:
                continue
            name = ".".join((root_name, *relative))
            # A folder mapped to a name of its own (migrations/ inside nko_openness) wins.
            folders.setdefault(name, init.parent)
    return folders


def test_every_package_folder_is_listed():
    packages, package_dir = read_options()
    folders = package_folders(package_dir)

    missing = sorted(set(folders) - packages)
    assert not missing, f"add to [options] packages in setup.cfg: {missing}"


def test_every_listed_package_exists():
    packages, package_dir = read_options()
    folders = package_folders(package_dir)

    assert not sorted(packages - set(folders)), "setup.cfg lists packages with no folder"


def test_plugins_outside_nko_openness_are_mapped():
    _, package_dir = read_options()

    for plugin in plugin_folders():
        expected = f"plugins/{plugin.name}"
        assert package_dir.get(plugin.name) == expected, (
            f"add '{plugin.name} = {expected}' to package_dir in setup.cfg"
        )
