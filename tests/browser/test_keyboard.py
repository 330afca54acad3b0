"""Keyboard only, no JavaScript: filter the catalog, open an organization, reach a service."""

from __future__ import annotations

import pytest

from .keyboard import choose_option, focused, tab_to

pytestmark = pytest.mark.browser

RESULT_LINK = ("main a[href*='/nko/organizations/'], main a[href*='/nko/services/'], "
               "main a[href*='/nko/projects/']")


def test_skip_link_moves_focus_to_the_content(open_page):
    page = open_page("organization", javascript=False)
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Перейти к содержанию"
    assert focused(page)["visible"]
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "content"
    page.keyboard.press("Tab")
    assert page.evaluate("document.querySelector('main').contains(document.activeElement)")


def test_filter_open_organization_and_service_by_keyboard(open_page, site):
    page = open_page("catalog", javascript=False)
    tab_to(page, "#nko-filter-category")
    choose_option(page, "#nko-filter-category", "elderly")
    tab_to(page, ".nko-filters button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "category=elderly" in page.url
    assert page.eval_on_selector("#nko-filter-category", "el => el.value") == "elderly"

    org = tab_to(page, ".nko-card h3 a")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/nko/organizations/" in page.url
    assert page.inner_text("h1") == org["text"]

    service = tab_to(page, "main a[href*='/nko/services/']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/nko/services/" in page.url
    assert page.inner_text("h1") == service["text"]
    assert page.locator("h1").count() == 1


def test_search_and_open_by_keyboard(open_page, site):
    if not site.has_endpoint("nko_search.search"):
        pytest.skip("the search page (nko_search.search) is not built yet")
    page = open_page("catalog", javascript=False)
    tab_to(page, "input[name=q]")
    page.keyboard.type("пожилых")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "q=" in page.url
    result = tab_to(page, RESULT_LINK)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("h1").count() == 1
    assert page.inner_text("h1") == result["text"]
