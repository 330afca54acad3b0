"""Rendering shared by the module's blueprints: base template, hooks' page context, filters."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from datetime import date, datetime
from decimal import Decimal

from flask import current_app, render_template, request, url_for
from flask_babel import format_currency, format_date, format_decimal, get_locale
from jinja2 import pass_context
from markupsafe import Markup

from nko_openness.core.i18n import (
    TranslatedLabels,
    category_name,
    current_language,
    gettext,
    template_helpers,
)
from nko_openness.core.vocabularies import (
    ACTIVITY_TYPES,
    LEGAL_FORMS,
    PROJECT_STATUSES,
    SERVICE_STATUSES,
)


def nko_state():
    return current_app.extensions["nko_openness"]


# Page-context variables that several plugins fill together: their lists are joined, not
# replaced (the layout renders them: <link> tags in the head, link lists under the content).
SHARED_LISTS = ("nko_head_links", "nko_link_lists")


def render_page(template: str, page_name: str, obj=None, **context):
    """Render a module page with the extra variables plugins add for host branding."""
    state = nko_state()
    shared: dict[str, list] = {name: [] for name in SHARED_LISTS}
    for extra in state.hook.nko_page_context(app=current_app, page=page_name, obj=obj):
        if extra:
            for name in SHARED_LISTS:
                shared[name] += extra.get(name) or []
            context.update(extra)
    context.update(shared)
    return render_template(template, nko_page=page_name, nko_object=obj, **context)


def _render_block(ctx, template: str, name: str, extra: dict) -> Markup:
    source = ctx.environment.get_template(template)
    block = source.blocks[name](source.new_context({**ctx.get_all(), **extra}))
    return Markup("".join(block))


@pass_context
def render_fragment(ctx, template: str, name: str) -> Markup:
    """``nko_fragment(template, block)``: a block of another template with this page's context.

    The global version renders every time (the cabinet's preview of a draft uses it);
    pages with a cache get :func:`cached_fragments`' version instead.
    """
    return _render_block(ctx, template, name, {})


def cached_fragments(version: Hashable, load: Callable[[], dict]) -> dict:
    """Template helpers that take a page's record-dependent parts from the page cache.

    ``nko_fragment(template, block)`` renders a block (with ``load()``'s variables added,
    loaded once and only on a miss); ``nko_jsonld`` shadows the global of that name for the
    layout's JSON-LD. Keys: ``version`` (the record and the versions of all it shows,
    catalog/page_versions.py) and the request's variant (docs/caching.md).
    """
    cache = nko_state().cache
    loaded: list[dict] = []

    def variables() -> dict:
        if not loaded:
            loaded.append(load())
        return loaded[0]

    def key(ctx, *name: str) -> tuple:
        # Everything a fragment may differ by besides the data: language, the version for the
        # visually impaired, the site root (absolute links), the day (the openness badge
        # counts recent years).
        return (version, *name, str(get_locale()), ctx.get("nko_a11y"), request.url_root,
                date.today())

    @pass_context
    def nko_fragment(ctx, template: str, name: str) -> Markup:
        return cache.get_or_make(key(ctx, template, name),
                                 lambda: _render_block(ctx, template, name, variables()))

    @pass_context
    def nko_jsonld(ctx, page, obj=None):
        compute = ctx.environment.globals.get("nko_jsonld")
        if compute is None:
            return ""
        return cache.get_or_make(key(ctx, "jsonld"), lambda: compute(page, obj))

    return {"nko_fragment": nko_fragment, "nko_jsonld": nko_jsonld}


def common_context() -> dict:
    state = nko_state()
    return {
        **template_helpers(),
        "nko_base_template": state.config["NKO_BASE_TEMPLATE"],
        # The default name is in the catalogue; a host translates its own in its catalogue.
        "nko_site_name": gettext(state.config["NKO_SITE_NAME"]),
        "nko_url_with": url_with,
        "ACTIVITY_TYPES": TranslatedLabels(ACTIVITY_TYPES),
        "LEGAL_FORMS": TranslatedLabels(LEGAL_FORMS),
        "PROJECT_STATUSES": TranslatedLabels(PROJECT_STATUSES),
        "SERVICE_STATUSES": TranslatedLabels(SERVICE_STATUSES),
    }


def url_with(**changes) -> str:
    """The current page's URL with some query arguments replaced (None removes one)."""
    args = {**request.view_args, **request.args.to_dict()}
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = value
    return url_for(request.endpoint, **args)


def ru_date(value: date | datetime | None, fmt: str = "long") -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date()
    return format_date(value, fmt)


def iso_datetime(value: datetime | None) -> str:
    """A ``<time datetime>`` value: HTML allows at most three digits after the seconds."""
    if value is None:
        return ""
    return value.replace(microsecond=0).isoformat()


def money(value: Decimal | None) -> str:
    """«450 000 ₽» on Russian pages (Babel's no-break group space), «RUB 450,000» in English."""
    if value is None:
        return ""
    if current_language() == "ru":
        return f"{format_decimal(value, format='#,##0.##')}\u00a0₽"
    return format_currency(value, "RUB", format="¤\u00a0#,##0.##", currency_digits=False)


def number(value: Decimal | int | None) -> str:
    if value is None:
        return "—"
    return format_decimal(value, format="#,##0.##")


def stored_html(value: str | None) -> Markup:
    """HTML sanitized on write (DESIGN §3) is the only user text ever marked safe."""
    return Markup(value or "")


FILTERS = {"ru_date": ru_date, "money": money, "number": number, "stored_html": stored_html,
           "category_name": category_name, "iso_datetime": iso_datetime}
