"""The page types every browser check visits, and the login steps that pages behind a login need.

A page behind a login names a login step: it gets the ``Site`` and returns the cookies of a
logged-in browser (here: the session cookie a test client got by posting the example site's
login form). Append ``PageType(name, path, login="editor")`` to ``PAGE_TYPES`` and axe, vnu and
the reflow check cover the page in every look.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from nko_openness.web.accessibility import cookie_value

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
    # Checks ("reflow", "vnu") this page does not pass yet: skipped with a message until the
    # page's authors fix it and remove the name here.
    pending: tuple[str, ...] = ()


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



def login_as(username: str, password: str) -> Callable[[Site], dict[str, str]]:
    """A login step for the example site's demo accounts (``flask demo-accounts``)."""
    def step(site: Site) -> dict[str, str]:
        client = site.app.test_client()
        form = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
        response = client.post("/login", data={"username": username, "password": password,
                                                "csrf_token": token})
        assert response.status_code == 302, f"login as {username} failed"
        return {"session": client.get_cookie("session").value}
    return step


# name -> step(site) returning {cookie name: value} for a logged-in visitor.
LOGINS: dict[str, Callable[[Site], dict[str, str]]] = {
    "editor": login_as("editor", "editor-demo-2023"),
    "moderator": login_as("moderator", "moderator-demo-2023"),
}

# A check a page does not pass yet goes into its pending=..., e.g. pending=REFLOW + VNU;
# none is pending now.
REFLOW, VNU = ("reflow",), ("vnu",)
CABINET = "nko_cabinet.index"
MODERATION = "nko_moderation.show_queue"
LOGIN_PAGES = [
    PageType("login", lambda s: "/login", needs_endpoint="auth.login"),
    PageType("cabinet", lambda s: "/nko/cabinet/", login="editor", needs_endpoint=CABINET),
    PageType("cabinet-organization", lambda s: f"/nko/cabinet/{s.handles['org']}/",
             login="editor", needs_endpoint=CABINET),
    PageType("cabinet-profile", lambda s: f"/nko/cabinet/{s.handles['org']}/profile",
             login="editor", needs_endpoint=CABINET),
    PageType("cabinet-service", lambda s: (f"/nko/cabinet/{s.handles['org']}/services/"
                                           f"{s.handles['service']}"),
             login="editor", needs_endpoint=CABINET),
    PageType("cabinet-new-project", lambda s: f"/nko/cabinet/{s.handles['org']}/projects/new",
             login="editor", needs_endpoint=CABINET),
    PageType("cabinet-documents", lambda s: f"/nko/cabinet/{s.handles['org']}/documents",
             login="editor", needs_endpoint=CABINET),
    PageType("moderation", lambda s: "/nko/moderation/", login="moderator",
             needs_endpoint=MODERATION),
    PageType("moderation-organizations", lambda s: "/nko/moderation/organizations/",
             login="moderator", needs_endpoint=MODERATION),
    PageType("moderation-record", lambda s: (f"/nko/moderation/organizations/"
                                             f"{s.handles['draft_org']}"),
             login="moderator", needs_endpoint=MODERATION),
]

PAGE_TYPES: list[PageType] = [*PUBLIC_PAGES, *LOGIN_PAGES]
PAGES_BY_NAME = {page.name: page for page in PAGE_TYPES}

# The ordinary look and three settings of the version for the visually impaired that,
# between them, use every font size, colour scheme, image and spacing choice.
MODES: dict[str, str | None] = {
    "normal": None,
    "vi-large-bw": cookie_value(size="large", scheme="bw"),
    "vi-larger-wb-wide": cookie_value(size="larger", scheme="wb", spacing="wide"),
    "vi-normal-blue-noimages": cookie_value(size="normal", scheme="blue", images="off"),
}
