"""The Atom document (RFC 4287) for a list of published services and projects."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.sax.saxutils import escape, quoteattr

from flask import Flask

from nko_openness.core.sanitizer import get_sanitizer
from nko_openness.models import Service

ATOM_NS = "http://www.w3.org/2005/Atom"
# Characters XML 1.0 forbids even escaped: one in a pasted name would break the whole feed.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class FeedInfo:
    self_url: str  # the feed's own absolute URL
    page_url: str  # the HTML page it follows
    title: str
    subtitle: str
    author: str  # the site: an empty feed still needs an author (RFC 4287, 4.1.1)
    base_url: str  # the module's absolute root, for entry links


def timestamp(value: datetime | None) -> str:
    """RFC 3339 in UTC with a Z, as Atom's date constructs require."""
    value = value or datetime(2000, 1, 1, tzinfo=UTC)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def feed_id(self_url: str) -> str:
    # Stable for as long as the feed's URL is (NKO_BASE_URL behind a proxy keeps it so).
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, self_url)}"


def _text(tag: str, value: str, **attrs: str) -> str:
    attributes = "".join(f" {name}={quoteattr(v)}" for name, v in attrs.items())
    return f"<{tag}{attributes}>{escape(_NOT_XML.sub('', value))}</{tag}>"


def _link(rel: str, href: str, media_type: str) -> str:
    return f"<link rel={quoteattr(rel)} type={quoteattr(media_type)} href={quoteattr(href)}/>"


def _content(app: Flask, record) -> str:
    """The stored (sanitized) HTML, cleaned once more: a feed is read outside our pages."""
    clean = get_sanitizer(app).clean
    if isinstance(record, Service):
        parts = [record.description, record.eligibility_description]
    else:
        parts = [record.goal, record.description]
    html = "".join(clean(part) for part in parts if part)
    return html or f"<p>{escape(record.name)}</p>"


def entry(app: Flask, record, info: FeedInfo) -> str:
    org = record.organization
    kind, path = (("service", "services") if isinstance(record, Service)
                  else ("project", "projects"))
    label = "Услуга" if kind == "service" else "Проект"
    lines = [
        _text("id", f"urn:uuid:{record.uuid}"),
        _text("title", record.name),
        _link("alternate", f"{info.base_url}/{path}/{record.uuid}", "text/html"),
        _text("published", timestamp(record.first_published_at)),
        _text("updated", timestamp(record.last_published_at)),
        "<author>" + _text("name", org.name)
        + _text("uri", f"{info.base_url}/organizations/{org.slug}") + "</author>",
        f"<category term={quoteattr(kind)} label={quoteattr(label)}/>",
        *(f"<category term={quoteattr(c.slug)} label={quoteattr(_NOT_XML.sub('', c.name))}/>"
          for c in record.categories),
        _text("content", _content(app, record), type="html"),
    ]
    return "<entry>\n    " + "\n    ".join(lines) + "\n  </entry>"


def render(app: Flask, records: list, info: FeedInfo, fallback_updated: datetime | None
           ) -> Iterator[str]:
    updated = max((r.last_published_at for r in records if r.last_published_at),
                  default=fallback_updated)
    yield '<?xml version="1.0" encoding="utf-8"?>\n'
    yield f'<feed xmlns="{ATOM_NS}" xml:lang="ru">\n'
    yield "  " + "\n  ".join([
        _text("id", feed_id(info.self_url)),
        _text("title", info.title),
        _text("subtitle", info.subtitle),
        _text("updated", timestamp(updated)),
        _link("self", info.self_url, "application/atom+xml"),
        _link("alternate", info.page_url, "text/html"),
        "<author>" + _text("name", info.author) + "</author>",
        _text("generator", "nko-openness"),
    ]) + "\n"
    for record in records:
        yield "  " + entry(app, record, info) + "\n"
    yield "</feed>\n"
