"""The one place untrusted rich text becomes safe HTML: a policy, a hard floor and two backends."""

from __future__ import annotations

import html
import re
import threading
from dataclasses import dataclass, field
from functools import partial
from html.parser import HTMLParser
from typing import Protocol

import bleach
from bleach import html5lib_shim
from flask import Flask

from nko_openness.core.state import get_state

DEFAULT_TAGS = frozenset(
    {"p", "br", "strong", "em", "b", "i", "u", "s", "ul", "ol", "li", "a", "h2", "h3", "h4"}
    | {"blockquote", "table", "thead", "tbody", "tr", "th", "td", "abbr"}
)
DEFAULT_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "th": {"colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
}
DEFAULT_LINK_REL = "nofollow noopener"
MAX_PASSES = 4

# Attributes a browser resolves as URLs; any of them a plugin allows gets the scheme check.
URL_ATTRIBUTES = frozenset(
    {"href", "src", "srcset", "action", "formaction", "xlink:href", "poster", "background"}
    | {"cite", "data", "longdesc", "usemap", "ping", "lowsrc", "dynsrc", "codebase", "manifest"}
)

# Removed together with their content: what is inside is code, foreign markup or raw text that
# no description needs, and keeping it as text would leave e.g. Word's CSS in the page.
DROPPED_WITH_CONTENT = frozenset(
    {"script", "style", "template", "svg", "math", "iframe", "noscript", "noembed"}
    | {"noframes", "xmp", "title", "textarea", "object", "applet"}
)

_SCHEME = re.compile(r"([a-z][a-z0-9+.\-]*):", re.IGNORECASE)
_C0_AND_SPACE = "".join(map(chr, range(0x21)))
_TABS_NEWLINES = re.compile(r"[\t\n\r]")
_ALL_CONTROLS_AND_SPACES = re.compile(r"[\x00-\x20\x7f-\xa0\s`]")


class SanitizerError(RuntimeError):
    """NKO_SANITIZER names no usable backend."""


@dataclass(frozen=True)
class HardFloor:
    """What no policy may allow, whatever plugins add."""

    forbidden_tags: frozenset[str]
    forbidden_attributes: frozenset[str]
    forbidden_attribute_prefixes: tuple[str, ...]
    allowed_protocols: frozenset[str]
    required_rel: frozenset[str]


HARD_FLOOR = HardFloor(
    forbidden_tags=DROPPED_WITH_CONTENT
    | {"embed", "form", "frame", "frameset", "base", "link", "meta", "plaintext"}
    | {"input", "button", "select", "option", "portal"},
    forbidden_attributes=frozenset({"style", "srcdoc", "formaction", "action", "is"}),
    forbidden_attribute_prefixes=("on",),
    allowed_protocols=frozenset({"http", "https", "mailto", "tel"}),
    # noopener keeps a linked page from navigating ours (window.opener).
    required_rel=frozenset({"noopener"}),
)


@dataclass
class SanitizerPolicy:
    """The allowlist for rich text; plugins adjust it through ``nko_sanitizer_policy``."""

    tags: set[str] = field(default_factory=lambda: set(DEFAULT_TAGS))
    attributes: dict[str, set[str]] = field(
        default_factory=lambda: {tag: set(names) for tag, names in DEFAULT_ATTRIBUTES.items()}
    )
    protocols: set[str] = field(default_factory=lambda: {"http", "https", "mailto", "tel"})
    link_rel: str = DEFAULT_LINK_REL

    def enforce_floor(self, floor: HardFloor = HARD_FLOOR) -> SanitizerPolicy:
        """Remove whatever the floor forbids (in place) and return the policy."""
        self.tags = {tag.lower() for tag in self.tags} - floor.forbidden_tags
        self.attributes = {
            tag.lower(): {name.lower() for name in names if _attribute_allowed(name, floor)}
            for tag, names in self.attributes.items()
            if tag.lower() not in floor.forbidden_tags
        }
        self.protocols = {p.lower().rstrip(":") for p in self.protocols} & floor.allowed_protocols
        rel = (self.link_rel or "").lower().split()
        self.link_rel = " ".join(dict.fromkeys([*rel, *sorted(floor.required_rel - set(rel))]))
        return self

    def allows_attribute(self, tag: str, name: str) -> bool:
        return name in self.attributes.get(tag, ()) or name in self.attributes.get("*", ())


def _attribute_allowed(name: str, floor: HardFloor) -> bool:
    name = name.lower()
    return name not in floor.forbidden_attributes and not name.startswith(
        floor.forbidden_attribute_prefixes
    )


def url_is_safe(value: str, protocols) -> bool:
    """True when a (decoded) URL attribute value is relative or uses an allowed scheme."""
    # Browsers strip outer C0 controls and spaces and drop tabs/newlines anywhere
    # (so "java\tscript:" runs); bleach's own check lets "javascript:123" through.
    browser_view = _TABS_NEWLINES.sub("", value.strip(_C0_AND_SPACE))
    squeezed = _ALL_CONTROLS_AND_SPACES.sub("", value)
    for candidate in (browser_view, squeezed):
        match = _SCHEME.match(candidate)
        if match and match.group(1).lower() not in protocols:
            return False
    return True


def _url_value_is_safe(name: str, value: str, protocols) -> bool:
    if name == "srcset":
        # Each candidate is "URL [descriptor]"; a data: URL's comma only makes this stricter.
        urls = (part.split()[0] for part in value.split(",") if part.split())
        return all(url_is_safe(url, protocols) for url in urls)
    return url_is_safe(value, protocols)


class Backend(Protocol):
    """What the sanitizer needs from a backend: the policy is given to its constructor."""

    name: str

    def clean(self, text: str) -> str: ...


class _DropWithContent(html5lib_shim.Filter):
    """Skips listed elements and everything inside them in a tree walker's token stream."""

    def __init__(self, source, tags):
        super().__init__(source)
        self.tags = tags

    def __iter__(self):
        depth = 0
        for token in super().__iter__():
            kind = token["type"]
            if depth:
                depth += (kind == "StartTag") - (kind == "EndTag")
            elif kind in ("StartTag", "EmptyTag") and token["name"].lower() in self.tags:
                depth = int(kind == "StartTag")
            else:
                yield token


class _LinkRel(html5lib_shim.Filter):
    """Sets ``rel`` on every link (the author's own rel was dropped as not allowed)."""

    def __init__(self, source, rel):
        super().__init__(source)
        self.rel = rel

    def __iter__(self):
        for token in super().__iter__():
            if token["type"] in ("StartTag", "EmptyTag") and token["name"] == "a":
                token["data"][(None, "rel")] = self.rel
            yield token


class BleachBackend:
    """bleach 6.4.0 (its final release, pinned) with the scheme and rel gaps closed."""

    name = "bleach"

    def __init__(self, policy: SanitizerPolicy):
        self.policy = policy
        # A bleach Cleaner keeps parser state: one per thread, as bleach's docs require.
        self._local = threading.local()

    def _filter_attribute(self, tag: str, name: str, value: str) -> bool:
        if name == "rel" or not self.policy.allows_attribute(tag, name):
            return False
        # bleach hands values over with entities still encoded (&#106;avascript:).
        return name not in URL_ATTRIBUTES or _url_value_is_safe(
            name, html.unescape(value), self.policy.protocols
        )

    def _make_cleaner(self) -> bleach.Cleaner:
        policy = self.policy
        cleaner = bleach.Cleaner(
            tags=policy.tags,
            attributes=self._filter_attribute,
            protocols=policy.protocols,
            strip=True,
            strip_comments=True,
            filters=[partial(_LinkRel, rel=policy.link_rel)],
        )
        # Let the parser see the dropped elements (bleach's would turn their content
        # into text) so the walker filter can remove them whole, as nh3 does.
        cleaner.parser = html5lib_shim.BleachHTMLParser(
            tags=policy.tags | DROPPED_WITH_CONTENT,
            strip=True,
            consume_entities=False,
            namespaceHTMLElements=False,
        )
        # bleach re-escapes "&" in single-quoted values on every pass ("&lt;" -> "&amp;lt;"),
        # so never let the serializer pick single quotes.
        cleaner.serializer.quote_char = '"'
        cleaner.serializer.use_best_quote_char = False
        walk = cleaner.walker
        cleaner.walker = lambda dom: _DropWithContent(walk(dom), DROPPED_WITH_CONTENT)
        return cleaner

    def clean(self, text: str) -> str:
        cleaner = getattr(self._local, "cleaner", None)
        if cleaner is None:
            cleaner = self._local.cleaner = self._make_cleaner()
        return cleaner.clean(text)


class Nh3Backend:
    """nh3 (ammonia, in Rust): the maintained choice, an optional extra."""

    name = "nh3"

    def __init__(self, policy: SanitizerPolicy):
        try:
            import nh3
        except ImportError as exc:
            raise SanitizerError(
                'NKO_SANITIZER = "nh3" needs the nh3 package: pip install nko-openness[nh3]'
            ) from exc
        self.policy = policy
        self._cleaner = nh3.Cleaner(
            tags=set(policy.tags),
            clean_content_tags=set(DROPPED_WITH_CONTENT - policy.tags),
            # nh3 refuses rel in the allowlist when it sets rel itself.
            attributes={tag: names - {"rel"} for tag, names in policy.attributes.items()},
            attribute_filter=self._filter_attribute,
            url_schemes=set(policy.protocols),
            link_rel=policy.link_rel,
            strip_comments=True,
        )

    def _filter_attribute(self, tag: str, name: str, value: str) -> str | None:
        # ammonia checks only some URL attributes (not srcset), so check them all here too.
        if name in URL_ATTRIBUTES and not _url_value_is_safe(name, value, self.policy.protocols):
            return None
        return value

    def clean(self, text: str) -> str:
        return self._cleaner.clean(text)


BACKENDS: dict[str, type] = {"bleach": BleachBackend, "nh3": Nh3Backend}


class Sanitizer:
    """Cleans rich text with one backend under one floor-enforced policy."""

    def __init__(self, policy: SanitizerPolicy | None = None, backend: str = "bleach"):
        self.policy = (policy or SanitizerPolicy()).enforce_floor()
        if backend not in BACKENDS:
            raise SanitizerError(
                f"NKO_SANITIZER = {backend!r} is not a sanitizer backend: "
                f"use one of {', '.join(map(repr, BACKENDS))}."
            )
        self.backend: Backend = BACKENDS[backend](self.policy)

    @classmethod
    def for_app(cls, app: Flask) -> Sanitizer:
        """The app's policy after its plugins adjusted it, with the configured backend."""
        state = get_state(app)
        policy = SanitizerPolicy()
        state.hook.nko_sanitizer_policy(app=app, policy=policy)
        return cls(policy, backend=state.config["NKO_SANITIZER"])

    def clean(self, text: str | None) -> str:
        """Safe HTML for ``text``; cleaning the result again returns it unchanged."""
        if not text:
            return ""
        # Both backends serialize some trees (mis-nested blocks, table leftovers) that parse
        # differently; re-cleaning until stable stores exactly what a browser will build.
        cleaned = self.backend.clean(text)
        for _ in range(MAX_PASSES):
            again = self.backend.clean(cleaned)
            if again == cleaned:
                return cleaned
            cleaned = again
        # Markup that never settles is reduced to its text, which always does.
        return self.backend.clean(html.escape(html_to_text(cleaned), quote=False))


def get_sanitizer(app: Flask) -> Sanitizer:
    """The app's sanitizer, built once (plugins are consulted at that moment)."""
    state = get_state(app)
    # Kept beside the rest of the per-app state, so it lives and dies with the app.
    cached = vars(state).get("sanitizer")
    if cached is None:
        cached = vars(state).setdefault("sanitizer", Sanitizer.for_app(app))
    return cached


_BLOCK_TAGS = frozenset(
    {"p", "div", "li", "ul", "ol", "tr", "table", "thead", "tbody", "blockquote", "pre"}
    | {"h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "header", "footer"}
)


class _TextExtractor(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in DROPPED_WITH_CONTENT:
            self.skipping += 1
        elif tag in _BLOCK_TAGS or tag == "br":
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append(" ")

    def handle_endtag(self, tag):
        if tag in DROPPED_WITH_CONTENT:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def html_to_text(text: str | None) -> str:
    """Plain text of an HTML fragment: one line per block, spaces collapsed (diffs, search)."""
    if not text:
        return ""
    extractor = _TextExtractor()
    extractor.feed(text)
    extractor.close()
    lines = (" ".join(line.split()) for line in "".join(extractor.parts).splitlines())
    return "\n".join(line for line in lines if line)


def sanitize_plain(text: str | None) -> str:
    """One line of plain text with all markup removed; templates still escape it."""
    return " ".join(html_to_text(text).split())
