"""The version for the visually impaired: switch, settings cookie, safe redirects, host layout."""

from __future__ import annotations

import re

import pytest
from factories import make_org

from examples.host_site.app import create_app
from nko_openness.models import Base
from nko_openness.web.accessibility import COOKIE_NAME, A11ySettings, cookie_value, safe_next


def html_class(page: str) -> str:
    return re.search(r'<html lang="ru" class="([^"]*)"', page).group(1)


def switch(client, **args):
    return client.get("/nko/accessibility", query_string=args)


@pytest.fixture
def world(session):
    return make_org(session, name="Совет ветеранов", slug="veterany", categories=["veterans"])


def test_every_page_offers_the_switch_back_to_itself(client, world):
    for path in ("/nko/", "/nko/organizations/veterany", "/nko/categories/", "/nko/no-such"):
        page = client.get(path).get_data(as_text=True)
        link = re.search(r'<a class="nko-a11y-toggle" href="([^"]+)"', page).group(1)
        assert link == f"/nko/accessibility?mode=on&amp;next={path}"
        assert html_class(page) == ""


def test_switching_on_sets_a_lasting_cookie_and_returns(client, world):
    response = switch(client, mode="on", next="/nko/organizations/veterany")
    assert response.status_code == 303
    assert response.headers["Location"] == "/nko/organizations/veterany"
    assert response.headers["Cache-Control"] == "no-store"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"{COOKIE_NAME}=size-large.scheme-bw.images-on.spacing-normal;")
    for attribute in ("Max-Age=31536000", "Path=/", "HttpOnly", "SameSite=Lax"):
        assert attribute in cookie

    page = client.get("/nko/organizations/veterany")
    text = page.get_data(as_text=True)
    assert html_class(text) == "nko-a11y nko-a11y-size-large nko-a11y-scheme-bw"
    assert "Cookie" in page.headers["Vary"]
    assert 'aria-label="Настройки версии для слабовидящих"' in text
    current = re.findall(r'aria-current="true">([^<]+)<', text)
    assert current == ["Крупный", "Чёрным по белому", "Показывать", "Обычные"]


def test_each_choice_changes_one_setting(client, world):
    switch(client, mode="on")
    switch(client, size="larger")
    switch(client, scheme="blue")
    switch(client, images="off")
    switch(client, spacing="wide")
    switch(client, size="gigantic", scheme="<script>")  # not offered: ignored
    page = client.get("/nko/").get_data(as_text=True)
    assert html_class(page) == ("nko-a11y nko-a11y-size-larger nko-a11y-scheme-blue "
                                "nko-a11y-noimages nko-a11y-spacing-wide")
    assert client.get_cookie(COOKIE_NAME).value == cookie_value(
        size="larger", scheme="blue", images="off", spacing="wide")


def test_switching_off_forgets_the_settings(client, world):
    switch(client, mode="on", size="larger")
    response = switch(client, mode="off", next="/nko/")
    assert response.status_code == 303
    assert "Max-Age=0" in response.headers["Set-Cookie"]
    assert client.get_cookie(COOKIE_NAME) is None
    assert html_class(client.get("/nko/").get_data(as_text=True)) == ""


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/nko/", "/\\evil.example", "javascript:alert(1)",
    "/nko/\r\nSet-Cookie: x=1", "/\t/evil.example", "http:/evil.example", "nko/", "",
])
def test_never_redirects_off_the_site(client, target):
    response = switch(client, mode="on", next=target)
    assert response.status_code == 303
    assert response.headers["Location"] == "/nko/"


def test_safe_next_keeps_same_site_paths_with_queries():
    assert safe_next("/nko/?category=elderly&activity=") == "/nko/?category=elderly&activity="
    assert safe_next("/about") == "/about"
    assert safe_next("//evil.example") is None


def test_a_tampered_cookie_falls_back_to_defaults(client, world):
    client.set_cookie(COOKIE_NAME, 'size-"><script>.scheme-wb.junk')
    page = client.get("/nko/").get_data(as_text=True)
    assert html_class(page) == "nko-a11y nko-a11y-size-large nko-a11y-scheme-wb"
    assert A11ySettings.from_cookie("") == A11ySettings()


def test_the_host_layout_carries_the_settings_to_its_own_pages(tmp_path):
    app = create_app({"TESTING": True,
                      "NKO_DATABASE_URL": f"sqlite:///{tmp_path / 'host.sqlite3'}"})
    Base.metadata.create_all(app.extensions["nko_openness"].db.engine)
    client = app.test_client()
    home = client.get("/").get_data(as_text=True)
    assert 'href="/nko/accessibility?mode=on&amp;next=/"' in home
    assert "/nko/static/nko_a11y.css" in home
    switch(client, mode="on", scheme="wb", next="/about")
    about = client.get("/about").get_data(as_text=True)
    assert html_class(about) == "nko-a11y nko-a11y-size-large nko-a11y-scheme-wb"
    assert "Обычная версия сайта" in about
    app.extensions["nko_openness"].db.engine.dispose()


def test_links_keep_the_mount_point_of_a_site_behind_a_proxy(client, world):
    page = client.get("/nko/categories/", environ_overrides={"SCRIPT_NAME": "/city"})
    text = page.get_data(as_text=True)
    assert 'href="/city/nko/accessibility?mode=on&amp;next=/city/nko/categories/"' in text
