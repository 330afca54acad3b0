"""Every hook has a test of its own and a documented signature (the Datasette practice)."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest

from nko_openness.core import hookspecs
from nko_openness.core.plugins import hookspecs_names

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "plugins.md"
HOOKS = hookspecs_names()


def signature(name: str) -> str:
    """``nko_extra_fields(app, entity)``: what the docs' heading for a hook must say."""
    params = inspect.signature(getattr(hookspecs, name)).parameters
    return f"{name}({', '.join(params)})"


def collected_test_names() -> list[str]:
    names = []
    for path in ROOT.joinpath("tests").rglob("test_*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names += [node.name for node in ast.walk(tree)
                  if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
                  and node.name.startswith("test_")]
    return names



def test_the_hook_list_is_not_empty():
    assert "nko_extra_fields" in HOOKS and "nko_page_context" in HOOKS
    assert len(HOOKS) == len(set(HOOKS)) >= 12


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_test(hook):
    tests = [name for name in collected_test_names() if hook in name]
    assert tests, f"no test function has {hook!r} in its name: add test_{hook}_..."


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_is_documented_with_its_signature(hook):
    headings = re.findall(r"^### (.+?)\s*$", DOCS.read_text(encoding="utf-8"), re.MULTILINE)
    assert f"`{signature(hook)}`" in headings or signature(hook) in headings, (
        f"docs/plugins.md needs a section '### {signature(hook)}'"
    )


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_docstring(hook):
    assert (getattr(hookspecs, hook).__doc__ or "").strip(), f"{hook} needs a docstring"
