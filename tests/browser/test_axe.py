"""axe-core finds no WCAG 2.1 A/AA violation on any page type, in every look of the site."""

from __future__ import annotations

import pytest

from .axe_check import axe_violations, describe
from .pages import MODES, PAGE_TYPES

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("site", ["sqlite"], indirect=True)
@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("page_name", [p.name for p in PAGE_TYPES])
def test_no_axe_violations(open_page, page_name, mode):
    page = open_page(page_name, mode)
    violations = axe_violations(page)
    assert not violations, f"{page_name} [{mode}]:\n{describe(violations)}"


def test_axe_sees_what_it_should(browser):
    # The harness is not vacuous: a page with known faults is reported.
    page = browser.new_page()
    try:
        page.set_content('<html><head><title>x</title></head><body><main><h1>x</h1>'
                         '<img src="a.png"><p style="color:#aaa;background:#fff">серый</p>'
                         '<label>без поля</label><input></main></body></html>')
        found = {v["id"] for v in axe_violations(page)}
    finally:
        page.close()
    assert {"html-has-lang", "image-alt", "color-contrast", "label"} <= found
