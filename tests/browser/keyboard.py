"""Keyboard helpers for browser journeys: Tab until a target, with a visible focus at every stop."""

from __future__ import annotations

FOCUS_STATE = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
  return {tag: el.tagName, text: (el.innerText || el.value || '').trim().slice(0, 500),
          html: el.outerHTML.slice(0, 120),
          visible: outline || style.boxShadow !== 'none'};
}"""


def focused(page) -> dict | None:
    return page.evaluate(FOCUS_STATE)


def tab_to(page, selector: str, *, text: str | None = None, limit: int = 80) -> dict:
    """Press Tab until the focused element matches ``selector`` (and has ``text``, if given);
    every stop on the way must show a visible focus indicator."""
    stops = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        state = focused(page)
        assert state is not None, f"focus left the page while looking for {selector}"
        assert state["visible"], f"no visible focus indicator on {state['html']}"
        stops.append(state["text"])
        if page.evaluate("s => document.activeElement.matches(s)", selector) and (
                text is None or state["text"] == text):
            return state
    raise AssertionError(f"{selector} not reached with Tab; stops: {stops}")


def choose_option(page, selector: str, value: str, *, limit: int = 60) -> None:
    """Arrow down through a focused, closed <select> until ``value`` is chosen."""
    for _ in range(limit):
        if page.eval_on_selector(selector, "el => el.value") == value:
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"option {value!r} not reached in {selector}")
