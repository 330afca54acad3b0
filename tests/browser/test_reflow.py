"""Reflow (WCAG 1.4.10) and 200% zoom: no sideways scrolling at 320 and 640 px, in every look."""

from __future__ import annotations

import pytest

from .axe_check import axe_violations, describe
from .pages import MODES, PAGE_TYPES
from .support import require_page

pytestmark = pytest.mark.browser

SIZES = "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
# Narrow windows bring their own failures (scrolling regions, overlapping targets): axe
# looks again at 320 px in the ordinary look and in the largest one.
AXE_AT_320 = {"normal", "vi-larger-wb-wide"}


@pytest.mark.parametrize("site", ["sqlite"], indirect=True)
@pytest.mark.parametrize("page_name", [p.name for p in PAGE_TYPES])
def test_no_horizontal_scrolling(browser, site, page_name):
    page_type = next(p for p in PAGE_TYPES if p.name == page_name)
    require_page(site, page_type, "reflow")
    url = site.url(site.path_of(page_type))
    # 320 px is 1280 px at 400% zoom; 640 px is the same window at 200%.
    context = browser.new_context(viewport={"width": 320, "height": 640})
    try:
        page = context.new_page()
        for mode, cookie in MODES.items():
            context.clear_cookies()
            cookies = site.cookies_for(page_type, mode)
            if cookies:
                context.add_cookies([{"name": k, "value": v, "url": site.base_url + "/"}
                                     for k, v in cookies.items()])
            for width in (320, 640):
                page.set_viewport_size({"width": width, "height": 640})
                page.goto(url)
                scroll, client = page.evaluate(SIZES)
                assert scroll <= client, f"{page_name} [{mode}] at {width}px: {scroll} > {client}"
                if cookie:
                    assert "nko-a11y" in page.get_attribute("html", "class")
                if width == 320 and mode in AXE_AT_320:
                    violations = axe_violations(page)
                    assert not violations, f"{page_name} [{mode}] 320px:\n{describe(violations)}"
    finally:
        context.close()
