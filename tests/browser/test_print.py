"""Printed pages keep the content and drop the controls: menus, filters, the settings panel."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

DISPLAYED = "sel => [...document.querySelectorAll(sel)].filter(e => e.offsetParent !== null).length"


@pytest.mark.parametrize("site", ["sqlite"], indirect=True)
def test_print_hides_controls_and_keeps_content(open_page, site):
    page = open_page("catalog")
    page.emulate_media(media="print")
    for controls in (".nko-a11y-bar", ".nko-filters", ".site-header nav", ".skip"):
        assert page.evaluate(DISPLAYED, controls) == 0, controls
    assert page.evaluate(DISPLAYED, ".nko-card") > 0

    page = open_page("project", "vi-larger-wb-wide")
    page.emulate_media(media="print")
    assert page.evaluate(DISPLAYED, ".nko-a11y-panel") == 0
    assert page.evaluate(DISPLAYED, "main h1") == 1
    assert page.evaluate(DISPLAYED, "main table") >= 1
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and len(pdf) > 2000
