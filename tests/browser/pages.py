"""The page types every browser check visits, and the login steps that pages behind a login need.

To add cabinet or moderation pages: write a login step (it gets the ``Site`` and returns the
cookies of a logged-in browser, e.g. the session cookie a test client got by posting the login
form), put it in ``LOGINS``, and append ``PageType("cabinet-…", path, login="editor")`` entries to
``PAGE_TYPES``. axe, vnu and the reflow check then cover them in every mode.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from nko_openness.views.accessibility import cookie_value

if TYPE_CHECKING:
    from .support import Site


@dataclass(frozen=True)
class PageType:
    name: str
    # The path on the example site, from the records the session's demo data holds.
    path: Callable[[Site], str]
    login: str | None = None
    status: int = 200
    # Pages that exist only once another part of the module is built (e.g. search).
    needs_endpoint: str | None = None


PUBLIC_PAGES = [
    PageType("home", lambda s: "/"),
    PageType("about", lambda s: "/about"),
    PageType("catalog", lambda s: "/nko/"),
    PageType("catalog-filtered", lambda s: "/nko/?category=elderly&activity="),
    PageType("organization", lambda s: f"/nko/organizations/{s.handles['org']}"),
    PageType("service", lambda s: f"/nko/services/{s.handles['service']}"),
    PageType("project", lambda s: f"/nko/projects/{s.handles['project']}"),
    PageType("categories", lambda s: "/nko/categories/"),
    PageType("category", lambda s: "/nko/categories/elderly"),
    PageType("search", lambda s: "/nko/search?q=пожилых", needs_endpoint="nko_search.search"),
    PageType("not-found", lambda s: "/nko/organizations/net-takoy-nko", status=404),
    PageType("bad-request", lambda s: "/nko/?after=%25not-a-cursor", status=400),
]

PAGE_TYPES: list[PageType] = [*PUBLIC_PAGES]
PAGES_BY_NAME = {page.name: page for page in PAGE_TYPES}

# name -> step(site) returning {cookie name: value} for a logged-in visitor.
LOGINS: dict[str, Callable[[Site], dict[str, str]]] = {}

# The ordinary look and three settings of the version for the visually impaired that,
# between them, use every font size, colour scheme, image and spacing choice.
MODES: dict[str, str | None] = {
    "normal": None,
    "vi-large-bw": cookie_value(size="large", scheme="bw"),
    "vi-larger-wb-wide": cookie_value(size="larger", scheme="wb", spacing="wide"),
    "vi-normal-blue-noimages": cookie_value(size="normal", scheme="blue", images="off"),
}
