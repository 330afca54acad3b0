"""axe-core finds no WCAG 2.1 A/AA violation on any page type, in every look of the site."""

from __future__ import annotations

import pytest
from pages import MODES, PAGE_TYPES

pytestmark = pytest.mark.browser

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def describe(violations) -> str:
    lines = []
    for v in violations:
        targets = [", ".join(node["target"]) for node in v["nodes"][:3]]
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} — {targets}")
    return "\n".join(lines)


@pytest.mark.parametrize("site", ["sqlite"], indirect=True)
@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("page_name", [p.name for p in PAGE_TYPES])
def test_no_axe_violations(open_page, page_name, mode):
    from axe_playwright_python.sync_playwright import Axe

    page = open_page(page_name, mode)
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS},
                                       "resultTypes": ["violations"]})
    violations = results.response["violations"]
    assert not violations, f"{page_name} [{mode}]:\n{describe(violations)}"
    # axe ran the rules that matter most here, not an empty set.
    passed = {rule["id"] for rule in results.response["passes"]}
    assert {"html-has-lang", "document-title"} <= passed
