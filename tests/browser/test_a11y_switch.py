"""The version for the visually impaired, switched by keyboard without JavaScript, on every page."""

from __future__ import annotations

import pytest

from .keyboard import tab_to

pytestmark = pytest.mark.browser

LOOK = """() => {
  const html = getComputedStyle(document.documentElement);
  const body = getComputedStyle(document.body);
  const p = getComputedStyle(document.querySelector('main p'));
  const img = document.createElement('img');
  img.alt = ''; document.querySelector('main').append(img);
  const look = {classes: document.documentElement.className, rootSize: html.fontSize,
                background: body.backgroundColor, color: body.color,
                letterSpacing: p.letterSpacing, image: getComputedStyle(img).display};
  img.remove();
  return look;
}"""


def press_choice(page, label: str) -> dict:
    tab_to(page, ".nko-a11y-panel a, .nko-a11y-bar a", text=label)
    path = page.evaluate("location.pathname + location.search")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    # Back on the same page, not somewhere else.
    assert page.evaluate("location.pathname + location.search") == path
    return page.evaluate(LOOK)


def current_choices(page) -> list[str]:
    return page.eval_on_selector_all(".nko-a11y-panel [aria-current=true]",
                                     "els => els.map(e => e.textContent.trim())")


def test_switch_every_setting_by_keyboard_and_keep_it(open_page, site):
    page = open_page("catalog", javascript=False)
    ordinary = page.evaluate(LOOK)
    assert ordinary["classes"] == "" and ordinary["rootSize"] == "16px"

    look = press_choice(page, "Версия для слабовидящих")
    assert "nko-a11y-scheme-bw" in look["classes"]
    assert look["rootSize"] == "24px"
    assert (look["background"], look["color"]) == ("rgb(255, 255, 255)", "rgb(0, 0, 0)")
    assert current_choices(page) == ["Крупный", "Чёрным по белому", "Показывать", "Обычные"]

    look = press_choice(page, "Белым по чёрному")
    assert (look["background"], look["color"]) == ("rgb(0, 0, 0)", "rgb(255, 255, 255)")
    look = press_choice(page, "Синим по голубому")
    assert (look["background"], look["color"]) == ("rgb(157, 209, 255)", "rgb(6, 52, 98)")
    look = press_choice(page, "Очень крупный")
    assert look["rootSize"] == "32px"
    look = press_choice(page, "Обычный")
    assert look["rootSize"] == "16px"
    assert look["image"] != "none"
    look = press_choice(page, "Скрыть")
    assert look["image"] == "none"
    assert look["letterSpacing"] == "normal"
    look = press_choice(page, "Увеличенные")
    assert float(look["letterSpacing"].removesuffix("px")) >= 0.12 * 16
    assert current_choices(page) == ["Обычный", "Синим по голубому", "Скрыть", "Увеличенные"]

    # The choice persists: on another module page and on the host site's own pages.
    for path in ("/nko/categories/", "/about"):
        page.goto(site.url(path))
        assert page.evaluate(LOOK)["classes"] == look["classes"]

    look = press_choice(page, "Обычная версия сайта")
    assert look == {**ordinary, "background": look["background"]}
    assert look["classes"] == "" and look["rootSize"] == "16px"
    assert page.locator(".nko-a11y-bar a").inner_text() == "Версия для слабовидящих"


def test_switch_keeps_the_query_of_the_page(open_page, site):
    page = open_page("catalog-filtered", javascript=False)
    before = page.url
    press_choice(page, "Версия для слабовидящих")
    assert page.url == before
    assert page.eval_on_selector("#nko-filter-category", "el => el.value") == "elderly"
