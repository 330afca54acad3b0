"""The sanitizer: both backends against public XSS corpora, the hard floor, plugins and config."""

from __future__ import annotations

import json
import re
import sys

import html5lib
import pytest
from conftest import make_app, shared_path
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nko_openness import hookimpl
from nko_openness.core.sanitizer import (
    DEFAULT_TAGS,
    HARD_FLOOR,
    BleachBackend,
    Nh3Backend,
    Sanitizer,
    SanitizerError,
    SanitizerPolicy,
    get_sanitizer,
    html_to_text,
    sanitize_plain,
)

BACKEND_NAMES = ["bleach", "nh3"]
URL_ATTRIBUTES = frozenset("href src action formaction xlink:href poster background srcset".split())
NAMESPACE_PREFIXES = {"http://www.w3.org/1999/xlink": "xlink:"}
C0_AND_SPACE = "".join(map(chr, range(0x21)))
DANGEROUS_STYLE = ("expression(", "url(", "@import", "behavior")


# -- the oracle from ../shared/testdata/xss/README.md ------------------------------------------


def _attribute_name(name: str) -> str:
    if name.startswith("{"):
        namespace, local = name[1:].split("}", 1)
        return NAMESPACE_PREFIXES.get(namespace, "") + local
    return name


def _is_dangerous_url(value: str) -> bool:
    value = re.sub(r"[\t\n\r]", "", value.strip(C0_AND_SPACE)).strip(C0_AND_SPACE)
    return value.lower().startswith(("javascript:", "vbscript:", "data:"))


def _attribute_problem(tag: str, name: str, value: str) -> str | None:
    local = name.rsplit(":", 1)[-1].lower()
    if local.startswith("on"):
        return f"event handler {name} on <{tag}>"
    if name.lower() in URL_ATTRIBUTES and _is_dangerous_url(value):
        return f"{name}={value!r} on <{tag}>"
    if local == "style" and any(bad in value.lower() for bad in DANGEROUS_STYLE):
        return f"style={value!r} on <{tag}>"
    return None


def executable_construct(html: str, allowed_tags) -> str | None:
    """What a browser could execute in sanitized ``html``, or None (steps 1-3)."""
    fragment = html5lib.parseFragment(html, treebuilder="etree", namespaceHTMLElements=False)
    for element in fragment.iter():
        if element is fragment or not isinstance(element.tag, str):
            continue  # the fragment root itself, comments
        if element.tag not in allowed_tags:
            return f"element <{element.tag}>"
        for name, value in element.attrib.items():
            problem = _attribute_problem(element.tag, _attribute_name(name), value)
            if problem:
                return problem
    return None


def oracle_failure(sanitizer: Sanitizer, payload: str) -> str | None:
    """Why sanitizing ``payload`` is unsafe or unstable, or None when it passes."""
    cleaned = sanitizer.clean(payload)
    problem = executable_construct(cleaned, sanitizer.policy.tags)
    if problem:
        return f"{problem} in {cleaned!r}"
    again = sanitizer.clean(cleaned)
    if again != cleaned:
        return f"not idempotent: {cleaned!r} -> {again!r}"
    return None


def assert_no_failures(sanitizer: Sanitizer, payloads) -> None:
    failures = [(p, why) for p in payloads if (why := oracle_failure(sanitizer, p))]
    shown = "\n".join(f"  {payload!r}: {why}" for payload, why in failures[:5])
    assert not failures, f"{len(failures)} of {len(payloads)} payloads fail, first:\n{shown}"


# -- fixtures ---------------------------------------------------------------------------------


def build_app(tmp_path, **config):
    # These tests never touch the database: an in-memory SQLite app, one backend per run.
    return make_app("sqlite://", tmp_path, **config)


@pytest.fixture(scope="module", params=BACKEND_NAMES)
def sanitizer(request, tmp_path_factory):
    app = build_app(tmp_path_factory.mktemp(request.param), NKO_SANITIZER=request.param)
    return get_sanitizer(app)


@pytest.fixture
def register_plugin(tmp_path):
    """Register temporary plugins on a fresh app; they are unregistered afterwards."""
    registered = []

    def register(plugin, **config):
        app = build_app(tmp_path, **config)
        pm = app.extensions["nko_openness"].pm
        pm.register(plugin)
        registered.append((pm, plugin))
        return app

    yield register
    for pm, plugin in registered:
        pm.unregister(plugin)


# -- the corpora ------------------------------------------------------------------------------


def test_dompurify_corpus(sanitizer):
    payloads = json.loads(
        shared_path("testdata", "xss", "dompurify-payloads.json").read_text("utf-8")
    )
    assert len(payloads) == 223
    assert_no_failures(sanitizer, payloads)


def test_payloadbox_corpus(sanitizer):
    path = shared_path("testdata", "xss", "payloadbox-xss-payload-list.txt")
    payloads = path.read_text("utf-8").splitlines()
    assert len(payloads) == 6613
    assert_no_failures(sanitizer, payloads)


HTML_ISH = [
    *"<>/=\"'`&#; \t\n\x00",
    "</", "/>", "&amp;", "&#106;", "&#x09;", "&lt;", "<!--", "-->", "<!", "<?", "<![CDATA[", "]]>",
    "a", "p", "b", "td", "script", "style", "svg", "math", "href", "src", "onerror", "style=",
    "javascript:", "data:", "alert(1)", "Ж", "«", "<a href=", "<p>", "<b>", "<br/>", "<table>",
    "<tr>", "<td>", "<ul><li>", "<h2>", "<abbr title=", "<blockquote>", "<svg>", "<math><mi>",
    "<noscript>", "<style>", "<select>", "<template>", "<textarea>", "<title>", "<form>", "<img ",
    "<iframe>", "<xmp>", "<option>", "</p>", "</a>", "</table>", "</svg>", "</style>",
]  # fmt: skip


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.sampled_from(HTML_ISH), st.text(max_size=4)), max_size=30))
def test_random_html_is_safe_and_idempotent(sanitizer, pieces):
    payload = "".join(pieces)
    assert oracle_failure(sanitizer, payload) is None


@pytest.mark.parametrize(
    "payload",
    [
        '<abbr title=0"<p>',  # bleach re-escaped "&" in single-quoted values on every pass
        "<h2><table><h2>",  # nested headings that only a re-parse separates
        "<p><select><p>",
        '<a href="#a">x<table><a href="#b">y',
    ],
)
def test_inputs_that_once_took_two_passes(sanitizer, payload):
    assert oracle_failure(sanitizer, payload) is None


def test_quotes_in_attributes_settle_in_one_pass(sanitizer):
    cleaned = sanitizer.backend.clean('<abbr title=0"<p>')
    assert cleaned == '<abbr title="0&quot;&lt;p"></abbr>'
    assert sanitizer.backend.clean(cleaned) == cleaned


class FlipFlopBackend:
    """A backend whose output never settles, to reach the plain-text fallback."""

    name = "flip-flop"

    def clean(self, text):
        return text.replace("<b>", "<i>") if "<b>" in text else text.replace("<i>", "<b>")


def test_markup_that_never_settles_falls_back_to_text():
    sanitizer = Sanitizer()
    sanitizer.backend = FlipFlopBackend()
    assert sanitizer.clean("<b>текст & ещё</b>") == "текст &amp; ещё"


# -- what is kept, what is removed ------------------------------------------------------------


def test_description_markup_survives(sanitizer):
    html = (
        "<h2>О проекте</h2><p><strong>Цель</strong>: помощь <em>семьям</em> "
        '<abbr title="участникам специальной военной операции">СВО</abbr>.</p>'
        "<ul><li>Юридическая консультация</li><li>Психолог</li></ul>"
        "<blockquote>Спасибо!</blockquote>"
        "<table><thead><tr><th>Показатель</th></tr></thead>"
        "<tbody><tr><td>120 семей</td></tr></tbody></table>"
    )
    assert sanitizer.clean(html) == html


def test_cyrillic_text_is_preserved(sanitizer):
    text = "<p>Фонд «Ёлка» — помощь детям-сиротам, г. Белогорск, 2023 г.</p>"
    assert sanitizer.clean(text) == text


@pytest.mark.parametrize(
    "href",
    [
        "javascript:123",
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "java\tscript:alert(1)",
        "java\nscript:alert(1)",
        "&#106;avascript:alert(1)",
        "&#x6A;avascript&colon;alert(1)",
        " \x01javascript:alert(1)",
        "vbscript:msgbox(1)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    ],
)
def test_dangerous_urls_are_stripped(sanitizer, href):
    cleaned = sanitizer.clean(f'<a href="{href}">ссылка</a>')
    assert cleaned == '<a rel="nofollow noopener">ссылка</a>'


@pytest.mark.parametrize(
    "href",
    ["https://nko.example/", "http://a.example/?a=1&amp;b=2", "mailto:fond@example.org"]
    + ["tel:+74164123456", "/nko/organizations/1", "#contacts"],
)
def test_safe_urls_are_kept(sanitizer, href):
    cleaned = sanitizer.clean(f'<a href="{href}">ссылка</a>')
    assert cleaned == f'<a href="{href}" rel="nofollow noopener">ссылка</a>'


def test_links_get_rel_replacing_the_authors(sanitizer):
    cleaned = sanitizer.clean('<a href="https://x.example/" rel="opener" target="_blank">x</a>')
    assert cleaned == '<a href="https://x.example/" rel="nofollow noopener">x</a>'


def test_floor_elements_go_with_their_content(sanitizer):
    html = (
        "<p>до</p><script>alert(1)</script><style>p{color:red}</style>"
        "<svg><desc>svg</desc></svg><iframe src='https://x'></iframe>"
        "<form><input name=q></form><p onclick='x()' style='color:red'>после</p>"
    )
    # bleach leaves a newline where it strips a block element (the form).
    assert sanitizer.clean(html).replace("\n", "") == "<p>до</p><p>после</p>"


def test_disallowed_tags_keep_their_text(sanitizer):
    assert sanitizer.clean("<div><span>текст</span></div>") == "текст"


def test_empty_input_gives_empty_output(sanitizer):
    assert sanitizer.clean("") == ""
    assert sanitizer.clean(None) == ""


# -- the policy and its hard floor ------------------------------------------------------------


class WideningPlugin:
    @hookimpl
    def nko_sanitizer_policy(self, app, policy):
        policy.tags |= {"script", "style", "iframe", "svg", "math", "object", "embed", "img"}
        policy.attributes["p"] = {"style", "onclick"}
        policy.attributes["*"] = {"style", "onmouseover"}
        policy.attributes["img"] = {"src", "srcset", "onerror"}
        policy.protocols |= {"javascript", "vbscript", "data", "ftp"}
        policy.link_rel = ""


class NarrowingPlugin:
    @hookimpl
    def nko_sanitizer_policy(self, policy):
        policy.tags -= {"table", "thead", "tbody", "tr", "th", "td"}
        policy.protocols.discard("mailto")
        policy.link_rel = "nofollow noopener noreferrer"


def test_enforce_floor_removes_what_it_forbids():
    policy = SanitizerPolicy(
        tags={"p", "SCRIPT", "svg", "img"},
        attributes={"p": {"onClick", "title", "STYLE"}, "iframe": {"src"}},
        protocols={"https", "javascript", "data:", "FTP"},
        link_rel="nofollow",
    ).enforce_floor()
    assert policy.tags == {"p", "img"}
    assert policy.attributes == {"p": {"title"}}
    assert policy.protocols == {"https"}
    assert policy.link_rel == "nofollow noopener"


def test_default_policy_is_within_the_floor():
    policy = SanitizerPolicy()
    assert policy.tags == set(DEFAULT_TAGS)
    assert not policy.tags & HARD_FLOOR.forbidden_tags
    assert policy.protocols == {"http", "https", "mailto", "tel"}
    assert policy.link_rel == "nofollow noopener"


@pytest.mark.parametrize("backend", BACKEND_NAMES)
def test_plugin_cannot_widen_beyond_the_floor(register_plugin, backend):
    app = register_plugin(WideningPlugin(), NKO_SANITIZER=backend)
    sanitizer = get_sanitizer(app)
    assert not sanitizer.policy.tags & {"script", "style", "iframe", "svg", "math", "object"}
    assert sanitizer.policy.protocols == {"http", "https", "mailto", "tel"}
    html = (
        "<script>alert(1)</script><style>*{}</style><iframe></iframe><svg></svg>"
        '<p style="color:red" onclick="x()">текст</p><a href="javascript:alert(1)">a</a>'
        '<img src="data:image/png;base64,AAAA" srcset="javascript:alert(1) 1x" onerror="x()">'
        '<img src="https://nko.example/logo.png"><a href="ftp://x.example/">f</a>'
    )
    assert sanitizer.clean(html) == (
        '<p>текст</p><a rel="noopener">a</a><img><img src="https://nko.example/logo.png">'
        '<a rel="noopener">f</a>'
    )
    assert oracle_failure(sanitizer, html) is None


@pytest.mark.parametrize("backend", BACKEND_NAMES)
def test_plugin_can_narrow(register_plugin, backend):
    app = register_plugin(NarrowingPlugin(), NKO_SANITIZER=backend)
    html = '<table><tr><td>1</td></tr></table><a href="mailto:a@b.example">почта</a>'
    assert get_sanitizer(app).clean(html) == '1<a rel="nofollow noopener noreferrer">почта</a>'


def test_policy_hook_receives_the_app(register_plugin):
    seen = []

    class Spy:
        @hookimpl
        def nko_sanitizer_policy(self, app, policy):
            seen.append((app, policy))

    app = register_plugin(Spy())
    sanitizer = get_sanitizer(app)
    assert seen == [(app, sanitizer.policy)]


# -- configuration and per-app caching --------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "backend_class"),
    [({}, BleachBackend), ({"NKO_SANITIZER": "bleach"}, BleachBackend)]
    + [({"NKO_SANITIZER": "nh3"}, Nh3Backend)],
)
def test_config_selects_the_backend(tmp_path, config, backend_class):
    assert isinstance(get_sanitizer(build_app(tmp_path, **config)).backend, backend_class)


def test_unknown_backend_is_a_clear_error(tmp_path):
    app = build_app(tmp_path, NKO_SANITIZER="lxml")
    with pytest.raises(SanitizerError, match=r"'lxml' is not a sanitizer backend.*'nh3'"):
        get_sanitizer(app)


def test_missing_nh3_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "nh3", None)  # makes "import nh3" fail
    app = build_app(tmp_path, NKO_SANITIZER="nh3")
    with pytest.raises(SanitizerError, match=re.escape("pip install nko-openness[nh3]")):
        get_sanitizer(app)


def test_sanitizer_is_built_once_per_app(tmp_path):
    first = build_app(tmp_path / "first")
    second = build_app(tmp_path / "second")
    assert get_sanitizer(first) is get_sanitizer(first)
    assert get_sanitizer(first) is not get_sanitizer(second)


def test_uninitialised_app_is_a_clear_error():
    from flask import Flask

    with pytest.raises(RuntimeError, match="not initialised"):
        get_sanitizer(Flask("bare"))


# -- plain text -------------------------------------------------------------------------------


def test_html_to_text_keeps_one_line_per_block():
    html = (
        "<h2>Услуги</h2><p>Помощь &amp; поддержка<br>по телефону</p>"
        "<ul><li>один</li><li>два</li></ul>"
        "<table><tr><td>1</td><td>2</td></tr></table><script>x()</script>"
    )
    assert html_to_text(html) == "Услуги\nПомощь & поддержка\nпо телефону\nодин\nдва\n1 2"


def test_sanitize_plain_gives_one_line_without_markup():
    assert sanitize_plain("<b>Фонд</b>\n «Добро»<script>alert(1)</script> ") == "Фонд «Добро»"
    assert sanitize_plain(None) == ""
