"""Two languages: Russian by default, English complete, plural forms, formats, the switch."""

from __future__ import annotations

import configparser
import io
import re
import subprocess
from datetime import date
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from bs4 import BeautifulSoup
from conftest import make_app
from flask import Flask
from flask_babel import Babel, force_locale
from sqlalchemy import select

from examples.host_site.app import create_app
from nko_openness.core.i18n import DOMAIN, ngettext
from nko_openness.devdata.demo import load_demo
from nko_openness.migrate import upgrade
from nko_openness.models import Base, Organization, Project, Service
from nko_openness.web.rendering import money, ru_date

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = ROOT / "nko_openness" / "translations"
HOST = ROOT / "examples" / "host_site"
# The extraction command docs/i18n.md gives: these keywords besides Babel's defaults.
KEYWORDS = ("_l", "lazy_gettext")
CYRILLIC = re.compile("[А-Яа-яЁё]")

CATALOGUES = {
    "module": (ROOT, ROOT / "babel.cfg", TRANSLATIONS / "messages.pot",
               TRANSLATIONS / "{lang}" / "LC_MESSAGES" / f"{DOMAIN}.po"),
    "example site": (HOST, HOST / "babel.cfg", HOST / "translations" / "messages.pot",
                     HOST / "translations" / "{lang}" / "LC_MESSAGES" / "messages.po"),
}


def read_catalog(path: Path, locale: str | None = None):
    with open(path, "rb") as f:
        return read_po(f, locale=locale)


def msgids(catalog) -> set:
    return {m.id for m in catalog if m.id}


# -- the catalogues ------------------------------------------------------------------------


@pytest.mark.parametrize("name", CATALOGUES)
def test_template_is_up_to_date_with_the_sources(name):
    root, cfg, pot, _ = CATALOGUES[name]
    with open(cfg, encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)
    keywords = {**DEFAULT_KEYWORDS, **dict.fromkeys(KEYWORDS)}
    extracted = {message for _file, _line, message, _comments, _context in extract_from_dir(
        str(root), method_map, options_map, keywords=keywords)}
    extracted = {m if isinstance(m, str) else tuple(m) for m in extracted}
    template = msgids(read_catalog(pot))
    refresh = "re-extract: see docs/i18n.md («Refreshing the catalogues»)"
    assert not sorted(map(str, extracted - template)), f"missing from {pot.name}; {refresh}"
    assert not sorted(map(str, template - extracted)), f"stale in {pot.name}; {refresh}"


@pytest.mark.parametrize("name", CATALOGUES)
def test_english_is_complete_and_english(name):
    _root, _cfg, pot, po = CATALOGUES[name]
    english = read_catalog(Path(str(po).format(lang="en")), "en")
    assert msgids(english) == msgids(read_catalog(pot)), "run pybabel update (docs/i18n.md)"
    problems = []
    for message in english:
        if not message.id:
            continue
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(forms):
            problems.append(("untranslated or fuzzy", message.id))
        elif any(CYRILLIC.search(form) for form in forms):
            problems.append(("Russian left in the English text", message.id))
    assert not problems, problems


def test_russian_catalogue_has_three_plural_forms_filled():
    russian = read_catalog(TRANSLATIONS / "ru" / "LC_MESSAGES" / f"{DOMAIN}.po", "ru")
    assert russian.num_plurals == 3
    assert russian.plural_expr.replace(" ", "") == (
        "(n%10==1&&n%100!=11?0:n%10>=2&&n%10<=4&&(n%100<10||n%100>=20)?1:2)")
    assert msgids(russian) == msgids(read_catalog(TRANSLATIONS / "messages.pot"))
    plurals = [m for m in russian if m.pluralizable]
    assert plurals
    for message in plurals:
        # An empty form would be compiled in and shown as an empty string.
        assert len(message.string) == 3 and all(message.string), message.id


@pytest.mark.parametrize(("po", "domain", "lang"), [
    (TRANSLATIONS / "en" / "LC_MESSAGES" / f"{DOMAIN}.po", DOMAIN, "en"),
    (TRANSLATIONS / "ru" / "LC_MESSAGES" / f"{DOMAIN}.po", DOMAIN, "ru"),
    (HOST / "translations" / "en" / "LC_MESSAGES" / "messages.po", "messages", "en"),
])
def test_compiled_catalogues_match_the_po_files(po, domain, lang):
    expected = io.BytesIO()
    write_mo(expected, read_catalog(po, lang))
    expected.seek(0)
    shipped = Translations.load(str(po.parents[2]), [lang], domain)
    wanted = Translations(expected)
    assert shipped._catalog == wanted._catalog, (
        f"recompile: pybabel compile -D {domain} -d {po.parents[2].relative_to(ROOT)}")


def test_compiled_catalogues_ship_in_the_package():
    parser = configparser.ConfigParser()
    parser.read(ROOT / "setup.cfg", encoding="utf-8")
    patterns = parser["options.package_data"]["nko_openness"].split()
    package = ROOT / "nko_openness"
    shipped = {p for pattern in patterns for p in package.glob(pattern)}
    compiled = set(TRANSLATIONS.glob("*/LC_MESSAGES/*.mo"))
    assert {"en", "ru"} <= {mo.parts[-3] for mo in compiled}
    assert compiled <= shipped
    tracked = subprocess.run(["git", "ls-files", "nko_openness/translations"], cwd=ROOT,
                             capture_output=True, text=True).stdout.split()
    if tracked:  # a source tree without git (an sdist) has nothing to ask
        assert {str(mo.relative_to(ROOT)) for mo in compiled} <= set(tracked), (
            "commit the .mo files: installs have no build step")


# -- plural forms, dates and money ---------------------------------------------------------


@pytest.fixture
def bare_app(tmp_path):
    return make_app("sqlite://", tmp_path)


RUSSIAN_ORGANIZATIONS = {
    1: "1 организация", 2: "2 организации", 5: "5 организаций", 11: "11 организаций",
    21: "21 организация", 22: "22 организации", 25: "25 организаций", 111: "111 организаций",
}


@pytest.mark.parametrize(("n", "text"), RUSSIAN_ORGANIZATIONS.items())
def test_russian_plural_forms(bare_app, n, text):
    with bare_app.test_request_context(), force_locale("ru"):
        assert ngettext("%(num)d организация", "%(num)d организаций", n) == text


@pytest.mark.parametrize(("n", "text"), [(1, "1 organization"), (2, "2 organizations"),
                                         (5, "5 organizations"), (21, "21 organizations")])
def test_english_plural_forms(bare_app, n, text):
    with bare_app.test_request_context(), force_locale("en"):
        assert ngettext("%(num)d организация", "%(num)d организаций", n) == text


def test_russian_plurals_of_every_counted_noun(bare_app):
    with bare_app.test_request_context():
        forms = [ngettext("%(num)d услуга", "%(num)d услуг", n) for n in (1, 3, 5)]
        assert forms == ["1 услуга", "3 услуги", "5 услуг"]
        forms = [ngettext("Найден %(num)d результат", "Найдено результатов: %(num)d", n)
                 for n in (1, 22, 11)]
        assert forms == ["Найден 1 результат", "Найдено 22 результата", "Найдено 11 результатов"]


@pytest.mark.parametrize(("lo", "hi", "ru", "en"), [
    (21, None, "от 21 года", "from 21 years"),
    (5, None, "от 5 лет", "from 5 years"),
    (None, 1, "до 1 года", "up to 1 year"),
    (7, 14, "от 7 до 14 лет", "from 7 to 14 years"),
    (18, 21, "от 18 до 21 года", "from 18 to 21 years"),
])
def test_age_ranges_agree_with_the_last_number(bare_app, lo, hi, ru, en):
    from nko_openness.core.i18n import age_range

    with bare_app.test_request_context():
        with force_locale("ru"):
            assert age_range(lo, hi) == ru
        with force_locale("en"):
            assert age_range(lo, hi) == en


def test_dates_and_money_follow_the_language(bare_app):
    with bare_app.test_request_context():
        # CLDR puts a narrow no-break space before «г.»; Babel's Russian group separator is a
        # no-break space, and so is the one before ₽.
        assert ru_date(date(2024, 1, 15)) == "15 января 2024\u202fг."
        assert money(Decimal("450000")) == "450\u00a0000\u00a0₽"
        assert money(Decimal("1500.5")) == "1\u00a0500,5\u00a0₽"
        with force_locale("en"):
            assert ru_date(date(2024, 1, 15)) == "January 15, 2024"
            assert money(Decimal("450000")) == "RUB\u00a0450,000"


# -- choosing the language -----------------------------------------------------------------


@pytest.fixture
def client(bare_app):
    Base.metadata.create_all(bare_app.extensions["nko_openness"].db.engine)
    return bare_app.test_client()


def page(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def test_russian_is_the_default(client):
    soup = page(client.get("/nko/"))
    assert soup.html["lang"] == "ru"
    assert soup.h1.get_text() == "Социально ориентированные некоммерческие организации"
    switch = soup.select_one(".nko-language-switch a")
    assert (switch.get_text(), switch["lang"], switch["hreflang"]) == ("English", "en", "en")
    assert switch["href"] == "/nko/?lang=en"


def test_lang_link_switches_and_the_cookie_keeps_it(client):
    response = client.get("/nko/categories/?lang=en")
    assert page(response).html["lang"] == "en"
    assert page(response).h1.get_text() == "Categories of citizens"
    assert page(response).select_one('meta[property="og:locale"]')["content"] == "en_US"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("nko_lang=en;") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert {"Cookie", "Accept-Language"} <= set(response.vary)

    later = client.get("/nko/")
    assert page(later).html["lang"] == "en" and "Set-Cookie" not in later.headers
    switch = page(later).select_one(".nko-language-switch a")
    assert (switch.get_text(), switch["lang"], switch["href"]) == ("Русский", "ru", "/nko/?lang=ru")

    back = client.get("/nko/?lang=ru")
    assert page(back).html["lang"] == "ru" and back.headers["Set-Cookie"].startswith("nko_lang=ru;")


def test_the_switch_keeps_the_other_query_arguments(client):
    soup = page(client.get("/nko/search?q=спорт&fee=free"))
    href = soup.select_one(".nko-language-switch a")["href"]
    assert href.startswith("/nko/search?") and "lang=en" in href and "fee=free" in href


@pytest.mark.parametrize(("header", "lang"), [
    ("en-US,en;q=0.9", "en"), ("ru-RU,ru;q=0.9,en;q=0.8", "ru"), ("de-DE,de", "ru"),
    ("fr, en;q=0.5", "en"),
])
def test_accept_language_when_nothing_was_chosen(client, header, lang):
    response = client.get("/nko/", headers={"Accept-Language": header})
    assert page(response).html["lang"] == lang


def test_unknown_choices_are_ignored(client):
    client.set_cookie("nko_lang", "xx")
    response = client.get("/nko/?lang=de", headers={"Accept-Language": "ru"})
    assert page(response).html["lang"] == "ru"
    assert "Set-Cookie" not in response.headers


def test_messages_from_python_follow_the_language(client):
    response = client.get("/nko/?after=broken&lang=en")
    assert response.status_code == 400
    assert "Invalid link to a page of the list" in response.get_data(as_text=True)


def test_a_host_with_its_own_babel_keeps_its_locale_selector(tmp_path):
    app = Flask("host_with_babel", instance_path=str(tmp_path / "instance"))
    app.config.update(TESTING=True, SECRET_KEY="test",
                      NKO_DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    Babel(app, locale_selector=lambda: "en")
    from nko_openness import NkoOpenness

    NkoOpenness(app)
    Base.metadata.create_all(app.extensions["nko_openness"].db.engine)
    response = app.test_client().get("/nko/?lang=ru")
    soup = page(response)
    assert soup.html["lang"] == "en"
    assert soup.h1.get_text() == "Socially oriented non-profit organizations"
    # The host chooses the language, so the module offers no switch and sets no cookie.
    assert soup.select_one(".nko-language-switch") is None
    assert "Set-Cookie" not in response.headers


def test_a_host_overrides_a_string_and_adds_a_language(tmp_path):
    from babel.messages.catalog import Catalog

    folder = tmp_path / "host_translations"
    for lang, pairs in {"en": {"Категории граждан": "Who we help"},
                        "de": {"Категории граждан": "Personengruppen"}}.items():
        catalog = Catalog(locale=lang, domain=DOMAIN)
        for msgid, msgstr in pairs.items():
            catalog.add(msgid, msgstr)
        target = folder / lang / "LC_MESSAGES"
        target.mkdir(parents=True)
        with open(target / f"{DOMAIN}.mo", "wb") as f:
            write_mo(f, catalog)
    app = make_app("sqlite://", tmp_path, NKO_LANGUAGES=("ru", "en", "de"),
                   NKO_TRANSLATION_DIRECTORIES=[str(folder)])
    Base.metadata.create_all(app.extensions["nko_openness"].db.engine)
    client = app.test_client()
    english = page(client.get("/nko/categories/?lang=en"))
    assert english.h1.get_text() == "Who we help"
    assert english.select_one(".nko-skip").get_text() == "Skip to content"  # the module's own
    german = page(client.get("/nko/categories/?lang=de"))
    assert german.html["lang"] == "de" and german.h1.get_text() == "Personengruppen"
    names = {a.get_text() for a in german.select(".nko-language-switch a")}
    assert names == {"Русский", "English"}


# -- English pages of the example site ------------------------------------------------------


@pytest.fixture
def site(database_url, tmp_path):
    app = create_app({
        "TESTING": True,
        "NKO_DATABASE_URL": database_url,
        "NKO_UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "HOST_USERS_FILE": str(tmp_path / "users.json"),
        "NOTIFY_OUTBOX": str(tmp_path / "outbox"),
    })
    upgrade(app, "head")
    with app.app_context():
        load_demo(app.extensions["nko_openness"].db.session, app)
    assert app.test_cli_runner().invoke(args=["demo-accounts"]).exit_code == 0
    yield app
    app.extensions["nko_openness"].db.engine.dispose()


def logged_in(app, username: str, password: str):
    client = app.test_client()
    client.set_cookie("nko_lang", "en")
    form = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    response = client.post("/login", data={"username": username, "password": password,
                                           "csrf_token": token})
    assert response.status_code == 302
    return client


def data_strings(app) -> list[str]:
    """Every text the pages may show as data: what the database and the host's config hold."""
    from examples.host_site.auth import DEMO_ACCOUNTS
    from examples.host_site.local_plugin import DEFAULT_CURATOR
    from nko_openness.core.sanitizer import html_to_text

    found: set[str] = {account["name"] for account in DEMO_ACCOUNTS}
    found.update(DEFAULT_CURATOR.values())
    found.add(app.config["NKO_OPENDATA_CREATOR"])

    def collect(value):
        if isinstance(value, str):
            found.update({value, " ".join(value.split()), html_to_text(value)})
        elif isinstance(value, dict):
            for item in value.values():
                collect(item)
        elif isinstance(value, list | tuple):
            for item in value:
                collect(item)

    engine = app.extensions["nko_openness"].db.engine
    with engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for row in conn.execute(table.select()):
                for value in row:
                    collect(value)
    return sorted((s for s in found if CYRILLIC.search(s or "")), key=len, reverse=True)


# Elements whose text is data through and through (snippets and titles cut from stored text,
# sanitized descriptions, what an editor typed into a field).
DATA_CONTAINERS = ".nko-snippet, .nko-search-hit h3, .nko-rich, textarea, .nko-diff-text, " \
                  ".nko-comment, .nko-pre, del, ins"


def russian_chrome(html: str, data: list[str]) -> list[str]:
    """Text with Cyrillic that is not data: untranslated headings, labels, buttons..."""
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style"]):
        tag.decompose()
    for tag in soup.select(DATA_CONTAINERS):
        tag.decompose()
    # Text another language marks itself (the «Русский» switch link) is not English chrome.
    for tag in soup.select("[lang]"):
        if tag.name != "html" and not tag["lang"].startswith("en"):
            tag.decompose()
    text = soup.get_text("\n")
    # Longest first: a word of the query must not cut into a longer name around it.
    present = sorted((s for s in data if s in text or s in html), key=len, reverse=True)
    pieces = list(soup.find_all(string=True))
    for tag in soup.find_all(True):
        pieces += [tag.get(attr) for attr in ("aria-label", "title", "alt", "placeholder")
                   if tag.get(attr)]
        if tag.name == "input" and tag.get("type") in ("submit", "button"):
            pieces.append(tag.get("value") or "")
    left = []
    for piece in pieces:
        piece = " ".join(str(piece).split())
        if not CYRILLIC.search(piece):
            continue
        for value in present:
            if value in piece:
                piece = piece.replace(value, "")
        if CYRILLIC.search(piece):
            left.append(piece)
    return left


def english_pages(app) -> dict[str, tuple[str | None, str]]:
    with app.app_context():
        session = app.extensions["nko_openness"].db.session
        org = session.scalar(select(Organization).where(Organization.slug == "sportiya"))
        service = session.scalars(select(Service).where(Service.organization_id == org.id,
                                                        Service.live.is_(True))).first()
        project = session.scalars(select(Project).where(Project.organization_id == org.id,
                                                        Project.live.is_(True))).first()
        draft = session.scalars(select(Organization).where(Organization.live.is_(False))).first()
        ids = (org.slug, service.uuid, project.uuid, draft.uuid)
    slug, service_id, project_id, draft_id = ids
    return {
        "home": (None, "/"),
        "login": (None, "/login"),
        "catalog": (None, "/nko/"),
        "catalog-filtered": (None, "/nko/?category=children&activity=sport_healthy_lifestyle"),
        "organization": (None, f"/nko/organizations/{slug}"),
        "service": (None, f"/nko/services/{service_id}"),
        "project": (None, f"/nko/projects/{project_id}"),
        "categories": (None, "/nko/categories/"),
        "category": (None, "/nko/categories/elderly"),
        "search": (None, "/nko/search?q=спорт"),
        "search-filtered": (None, "/nko/search?q=помощь&type=service&fee=free"),
        "search-nothing": (None, "/nko/search?q=щщщщщ"),
        "not-found": (None, "/nko/organizations/no-such-organization"),
        "cabinet": ("editor", "/nko/cabinet/"),
        "cabinet-organization": ("editor", f"/nko/cabinet/{slug}/"),
        "cabinet-profile": ("editor", f"/nko/cabinet/{slug}/profile"),
        "cabinet-service": ("editor", f"/nko/cabinet/{slug}/services/{service_id}"),
        "cabinet-new-project": ("editor", f"/nko/cabinet/{slug}/projects/new"),
        "cabinet-documents": ("editor", f"/nko/cabinet/{slug}/documents"),
        "cabinet-preview": ("editor", f"/nko/cabinet/{slug}/preview"),
        "moderation": ("moderator", "/nko/moderation/"),
        "moderation-organizations": ("moderator", "/nko/moderation/organizations/"),
        "moderation-record": ("moderator", f"/nko/moderation/organizations/{draft_id}"),
    }


LOGINS = {"editor": ("editor", "editor-demo-2023"),
          "moderator": ("moderator", "moderator-demo-2023")}


def test_every_page_type_is_english_apart_from_data(site):
    data = data_strings(site)
    clients = {None: site.test_client()}
    clients[None].set_cookie("nko_lang", "en")
    clients.update({role: logged_in(site, *LOGINS[role]) for role in LOGINS})
    problems = {}
    for name, (role, url) in english_pages(site).items():
        response = clients[role].get(url)
        assert response.status_code in (200, 404), (name, response.status_code)
        html = response.get_data(as_text=True)
        assert BeautifulSoup(html, "html.parser").html["lang"] == "en", name
        # The visitor's own words are data too.
        words = parse_qs(urlsplit(url).query).get("q", [])
        left = russian_chrome(html, [*words, *data])
        if left:
            problems[name] = left
    assert not problems, problems


def test_form_errors_and_messages_in_english(site):
    editor = logged_in(site, *LOGINS["editor"])
    form = editor.get("/nko/cabinet/sportiya/profile").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', form).group(1)
    response = editor.post("/nko/cabinet/sportiya/profile", data={
        "csrf_token": token, "version": version, "name": "АРСОО «СПОРТиЯ»",
        "legal_form": "public_organization", "inn": "1234567890", "ogrn": "", "kpp": "12",
        "year_incorporated": "20", "email": "not-an-address"})
    assert response.status_code == 422
    soup = page(response)
    errors = {p.get_text() for p in soup.select(".nko-error")}
    assert "The INN is wrong: the check digit does not match." in errors
    assert "Enter the OGRN: every registered organization has one." in errors
    assert "Enter the year founded as four digits." in errors
    assert soup.select_one("#nko-error-summary-title").get_text() == (
        "Correct the errors: nothing has been saved yet")

    logout = editor.get("/nko/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', logout).group(1)
    editor.post("/logout", data={"csrf_token": token})
    assert "You have logged out." in editor.get("/login").get_data(as_text=True)
