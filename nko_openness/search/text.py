"""Text handling for search: words, Snowball stems, query terms, and highlighted snippets."""

from __future__ import annotations

import re
import threading
from bisect import bisect_left
from dataclasses import dataclass
from functools import lru_cache
from html import unescape
from html.parser import HTMLParser

import snowballstemmer
from markupsafe import Markup, escape

# Letters and digits; "_" and punctuation split words, so no query syntax gets through.
WORD_RE = re.compile(r"[^\W_]+")
MAX_TERMS = 8
MAX_WORD_LENGTH = 40

# The Snowball project's Russian stop list, as PostgreSQL's ``russian`` configuration uses it:
# the SQLite query drops the same words, so both backends treat «для», «и», «в» alike.
STOPWORDS = frozenset("""
и в во не что он на я с со как а то все она так его но да ты к у же вы за бы по только ее
мне было вот от меня еще нет о из ему теперь когда даже ну вдруг ли если уже или ни быть
был него до вас нибудь опять уж вам сказал ведь там потом себя ничего ей может они тут где
есть надо ней для мы тебя их чем была сам чтоб без будто человек чего раз тоже себе под
жизнь будет ж тогда кто этот говорил того потому этого какой совсем ним здесь этом один
почти мой тем чтобы нее кажется сейчас были куда зачем сказать всех никогда сегодня можно
при наконец два об другой хоть после над больше тот через эти нас про всего них какая
много разве сказала три эту моя впрочем хорошо свою этой перед иногда лучше чуть том
нельзя такой им более всегда конечно всю между
""".split())

_local = threading.local()  # Snowball stemmer objects keep state: one per thread


def _stemmer(language: str):
    stemmers = getattr(_local, "stemmers", None)
    if stemmers is None:
        stemmers = _local.stemmers = {}
    if language not in stemmers:
        stemmers[language] = snowballstemmer.stemmer(language)
    return stemmers[language]


def normalize(text: str) -> str:
    return text.lower().replace("ё", "е")


def words(text: str) -> list[str]:
    return WORD_RE.findall(normalize(text or ""))


@lru_cache(maxsize=50_000)
def stem(word: str) -> str:
    """The Snowball stem of one normalized word (English rules for Latin words, as PG does)."""
    language = "english" if word.isascii() else "russian"
    return _stemmer(language).stemWord(word)


def stemmed_text(text: str) -> str:
    """What the SQLite FTS5 table stores: the stems of ``text``, space separated."""
    return " ".join(stem(word) for word in words(text))


@dataclass(frozen=True)
class Term:
    word: str
    stem: str

    @property
    def relaxed(self) -> str:
        """A shorter prefix of the stem: «экологическ» → «эколог», «спортивн» → «спорт»."""
        if len(self.stem) < 6:
            return self.stem
        return self.stem[: max(5, round(len(self.stem) * 0.6))]


def query_terms(query: str) -> list[Term]:
    """The words of a user's query worth matching, stop words dropped, at most MAX_TERMS."""
    terms: list[Term] = []
    for word in words(query):
        word = word[:MAX_WORD_LENGTH]
        if word in STOPWORDS or any(t.word == word for t in terms):
            continue
        terms.append(Term(word, stem(word)))
    return terms[:MAX_TERMS]


class _TextExtractor(HTMLParser):
    BLOCKS = {"p", "br", "li", "div", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "blockquote"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.BLOCKS:
            self.parts.append(" ")

    def handle_endtag(self, tag):
        self.handle_starttag(tag, ())

    def handle_data(self, data):
        self.parts.append(data)


def html_to_text(html: str | None) -> str:
    """Plain text of stored (sanitized) HTML, for indexing and snippets."""
    if not html:
        return ""
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    return " ".join("".join(extractor.parts).split())


# Stored HTML is sanitized: plain tags with quoted attributes and escaped text. For such
# input the text is the unescaped runs between tags, a space for a block tag; anything else
# (comments, a stray "<", raw-text elements, unquoted attributes) goes to the parser.
_SPACE = "[ \t\n\r\f]"
_SIMPLE_TAG = re.compile(
    rf'<(?:([a-zA-Z][a-zA-Z0-9]*)(?:{_SPACE}+[a-zA-Z][-a-zA-Z0-9_:.]*(?:="[^"<>]*")?)*'
    rf'{_SPACE}*/?|/([a-zA-Z][a-zA-Z0-9]*){_SPACE}*)>')
# Elements whose content HTMLParser (or HTML) reads as raw text, not markup.
_RAW_TEXT_ELEMENTS = frozenset({"script", "style", "xmp", "iframe", "noembed", "noframes",
                                "noscript", "textarea", "title", "plaintext"})


def fast_html_to_text(html: str | None) -> str:
    """:func:`html_to_text`, the same output, several times faster on sanitized HTML."""
    if not html:
        return ""
    pieces = _SIMPLE_TAG.split(html)  # text, start name, end name, text, ...
    out = []
    for i in range(0, len(pieces), 3):
        text = pieces[i]
        if "<" in text:
            return html_to_text(html)
        out.append(unescape(text) if "&" in text else text)
        if i + 1 < len(pieces):
            name = (pieces[i + 1] or pieces[i + 2]).lower()
            if name in _RAW_TEXT_ELEMENTS:
                return html_to_text(html)
            out.append(" " if name in _TextExtractor.BLOCKS else "")
    return " ".join("".join(out).split())


def _is_hit(word: str, prefixes: tuple[str, ...]) -> bool:
    normalized = normalize(word)
    word_stem = stem(normalized)
    return any(word_stem.startswith(p) or normalized.startswith(p) for p in prefixes)


def _render(text: str, tokens: list[re.Match], start: int, end: int,
            prefixes: tuple[str, ...]) -> Markup:
    """Words ``start..end`` of ``text``, escaped, with hits wrapped in <mark>."""
    out: list[str] = []
    position = tokens[start].start()
    for match in tokens[start:end]:
        out.append(str(escape(text[position:match.start()].replace("\n", " · "))))
        word = str(escape(match.group()))
        out.append(f"<mark>{word}</mark>" if _is_hit(match.group(), prefixes) else word)
        position = match.end()
    if end == len(tokens):
        out.append(str(escape(text[position:].replace("\n", " · "))))
    return Markup("".join(out).strip())


def highlight(text: str, prefixes: tuple[str, ...]) -> Markup:
    """All of ``text`` (a title), escaped, with the words that match marked."""
    tokens = list(WORD_RE.finditer(text or ""))
    if not tokens or not prefixes:
        return Markup(escape(text or ""))
    leading = str(escape(text[: tokens[0].start()]))
    return Markup(leading) + _render(text, tokens, 0, len(tokens), prefixes)


def snippet(text: str, prefixes: tuple[str, ...], size: int = 30) -> Markup:
    """About ``size`` words of ``text`` around the densest run of hits, escaped and marked."""
    tokens = list(WORD_RE.finditer(text or ""))
    if not tokens:
        return Markup("")
    hits = [i for i, m in enumerate(tokens) if prefixes and _is_hit(m.group(), prefixes)]
    start = 0
    if hits:
        # The window of ``size`` words holding the most hits, opened a few words early.
        best, best_count = hits[0], 0
        for i, first in enumerate(hits):
            count = bisect_left(hits, first + size, lo=i) - i
            if count > best_count:
                best, best_count = first, count
        start = max(0, min(best - 5, len(tokens) - size))
    end = min(len(tokens), start + size)
    body = _render(text, tokens, start, end, prefixes)
    return Markup(("… " if start else "") + body + (" …" if end < len(tokens) else ""))
