"""Russian first, English second: the module's translation domain and the visitor's language."""

from __future__ import annotations

import gettext as stdlib_gettext
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from babel import Locale, UnknownLocaleError, support
from babel.core import get_global
from flask import Flask, current_app, g, has_app_context, has_request_context, request
from flask_babel import Babel, Domain, get_babel, get_locale
from flask_babel import get_translations as host_translations

DOMAIN = "nko_openness"
TRANSLATIONS = Path(__file__).parent.parent / "translations"
COOKIE_NAME = "nko_lang"
COOKIE_MAX_AGE = 365 * 24 * 3600


class ModuleDomain(Domain):
    """The module's catalogue for the current app.

    Folders in ``NKO_TRANSLATION_DIRECTORIES`` are read after the module's own, so a host's
    ``nko_openness.mo`` overrides single strings or adds a language. A msgid the module does
    not know (the host layout's own text, on a module page) falls back to the host's catalogue.
    """

    def __init__(self):
        super().__init__(translation_directories=[str(TRANSLATIONS)], domain=DOMAIN)
        # Per app: two apps in one process may override different strings.
        self._caches: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    @property
    def translation_directories(self) -> list[str]:
        state = current_app.extensions.get("nko_openness")
        extra = state.config.get("NKO_TRANSLATION_DIRECTORIES", ()) if state else ()
        return [str(TRANSLATIONS), *(str(path) for path in extra)]

    def get_translations_cache(self, ctx) -> dict:
        return self._caches.setdefault(current_app._get_current_object(), {})

    def get_translations(self):
        if not has_app_context() or "babel" not in current_app.extensions:
            return support.NullTranslations()
        cache = self.get_translations_cache(None)
        locale = get_locale()
        try:
            return cache[str(locale)]
        except KeyError:
            pass
        translations = support.Translations(domain=DOMAIN)
        for directory in self.translation_directories:
            catalog = support.Translations.load(directory, [locale], DOMAIN)
            # A folder without this language must not reset the plural rule to English's.
            if isinstance(catalog, stdlib_gettext.GNUTranslations):
                translations.merge(catalog)
                translations.plural = catalog.plural
        if get_babel().default_domain != DOMAIN:
            translations.add_fallback(host_translations())
        cache[str(locale)] = translations
        return translations


domain = ModuleDomain()
gettext = domain.gettext
ngettext = domain.ngettext
lazy_gettext = domain.lazy_gettext
lazy_ngettext = domain.lazy_ngettext


def N_(text: str) -> str:
    """Mark a label for extraction only; it stays Russian data and is translated where shown."""
    return text


class TranslatedLabels(Mapping):
    """A vocabulary's labels in the visitor's language, read-only; the vocabulary stays Russian."""

    def __init__(self, labels: Mapping[str, str]):
        self._labels = labels

    def __getitem__(self, key: str) -> str:
        return gettext(self._labels[key])

    def __iter__(self):
        return iter(self._labels)

    def __len__(self) -> int:
        return len(self._labels)


def current_language() -> str:
    """The language code of the current request, ``ru`` outside one."""
    locale = get_locale() if has_request_context() else None
    return locale.language if locale else "ru"


def category_name(category) -> str:
    """A beneficiary category's name: ``name_en`` on English pages when it is filled in."""
    if current_language() == "en" and getattr(category, "name_en", None):
        return category.name_en
    return category.name


def languages(app: Flask | None = None) -> tuple[str, ...]:
    state = (app or current_app).extensions["nko_openness"]
    return tuple(state.config["NKO_LANGUAGES"])


def select_locale() -> str | None:
    """``?lang=``, then the ``nko_lang`` cookie, then Accept-Language; the first language else."""
    if not has_request_context():
        return None
    offered = languages()
    # The page now depends on the cookie and the header: shared caches must keep them apart.
    g.nko_lang_read = True
    for chosen in (request.args.get("lang"), request.cookies.get(COOKIE_NAME)):
        if chosen in offered:
            return chosen
    return request.accept_languages.best_match(offered) or offered[0]


def selects_locale(app: Flask) -> bool:
    """True when the module chose the language (it created Flask-Babel); else the host does."""
    return "babel" in app.extensions and get_babel(app).locale_selector is select_locale


def _remember_language(response):
    chosen = request.args.get("lang")
    if chosen in languages() and request.cookies.get(COOKIE_NAME) != chosen:
        response.set_cookie(COOKIE_NAME, chosen, max_age=COOKIE_MAX_AGE, path="/",
                            samesite="Lax", httponly=True, secure=request.is_secure)
    if g.get("nko_lang_read"):
        response.vary.update(("Cookie", "Accept-Language"))
    return response


@dataclass(frozen=True)
class LanguageLink:
    code: str
    name: str
    url: str


def native_name(code: str) -> str:
    """«Русский», «English»: each language named in itself, as a switch link must read."""
    try:
        name = Locale.parse(code).get_display_name(code) or code
    except (ValueError, UnknownLocaleError):
        return code
    return name[:1].upper() + name[1:]


def language_links() -> list[LanguageLink]:
    """Links to this page in the other languages; none when the host chooses the language."""
    if not has_request_context() or not selects_locale(current_app):
        return []
    here = current_language()
    links = []
    for code in languages():
        if code == here:
            continue
        args = request.args.copy()
        args["lang"] = code
        query = urlencode(list(args.items(multi=True)))
        links.append(LanguageLink(code, native_name(code),
                                  f"{request.script_root}{request.path}?{query}"))
    return links


def og_locale(code: str) -> str:
    """``ru`` → ``ru_RU``, ``en`` → ``en_US``: OpenGraph wants a territory."""
    likely = get_global("likely_subtags").get(code, code)
    try:
        locale = Locale.parse(likely)
    except (ValueError, UnknownLocaleError):
        return code
    return f"{locale.language}_{locale.territory}" if locale.territory else locale.language


def _language_context() -> dict:
    code = current_language() if has_request_context() else "ru"
    # nko_gettext: the module's strings in partials a host layout includes (_a11y_panel.html),
    # where _ is the host's own catalogue.
    return {"nko_lang": code, "nko_og_locale": og_locale(code),
            "nko_language_links": language_links(), "nko_gettext": gettext}


def init_i18n(app: Flask) -> None:
    # A host with its own Flask-Babel keeps its locale selector: the module only follows it.
    if "babel" not in app.extensions:
        app.config.setdefault("BABEL_DEFAULT_LOCALE", languages(app)[0])
        Babel(app, locale_selector=select_locale)
        app.after_request(_remember_language)
    app.context_processor(_language_context)


def age_range(lo: int | None, hi: int | None) -> str | None:
    """«от 7 до 14 лет», «от 21 года»: the word for years agrees with the last number."""
    if lo is None and hi is None:
        return None
    if hi is None:
        return ngettext("от %(num)d года", "от %(num)d лет", lo)
    if lo is None:
        return ngettext("до %(num)d года", "до %(num)d лет", hi)
    return ngettext("от %(lo)d до %(num)d года", "от %(lo)d до %(num)d лет", hi, lo=lo)


def template_helpers() -> dict:
    return {"_": gettext, "gettext": gettext, "ngettext": ngettext, "nko_age_range": age_range}
