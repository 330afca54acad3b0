"""The bulk rebuild writes exactly what publishing writes, row for row (issue 7).

``search_index.rebuild`` reads Core rows in batches and, on PostgreSQL, builds documents in a
worker thread; publishing indexes ORM records one organization at a time. Both are compared
on generated data: documents, facet values, the FTS rows or tsvectors, and the category tally.
"""

from __future__ import annotations

import json

import pytest
from conftest import shared_path
from factories import make_org, make_project, make_service
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text

from nko_openness import hookimpl
from nko_openness.core.sanitizer import BACKENDS, Sanitizer
from nko_openness.devdata.generator import generate
from nko_openness.models import Organization, Project, SearchDocument, Service
from nko_openness.search import index as search_index
from nko_openness.search.text import fast_html_to_text, html_to_text


class DistrictField:
    """A plugin choice field: a facet whose values come from ``record.extra``."""

    @hookimpl
    def nko_extra_fields(self, entity):
        if entity in ("organization", "service"):
            return [{"name": "district", "label_ru": "Микрорайон", "type": "multi_choice",
                     "choices": [("north", "Северный"), ("south", "Южный")]}]
        return []


@pytest.fixture
def app_config():
    return {"NKO_PLUGINS": [DistrictField()]}


def snapshot(session) -> dict[str, list]:
    """Every row of the index and the tally; documents keyed by their record, not their id."""
    key = {id_: (kind, entity_id) for id_, kind, entity_id in session.execute(
        select(SearchDocument.id, SearchDocument.entity_type, SearchDocument.entity_id))}
    columns = [c for c in SearchDocument.__table__.c if c.name not in ("id", "indexed_at")]
    rows = {
        "documents": [tuple(r) for r in session.execute(select(*columns))],
        "facets": [(*key[d], f, v) for d, f, v in session.execute(
            text("SELECT document_id, facet, value FROM nko_search_facet"))],
        "tally": [tuple(r) for r in session.execute(
            text("SELECT category_id, items FROM nko_category_tally"))],
        "entries": [(*key[d], c) for d, c in session.execute(
            text("SELECT document_id, category_id FROM nko_category_tally_entry"))],
    }
    if session.get_bind().dialect.name == "sqlite":
        fts = session.execute(text("SELECT rowid, title, body FROM nko_search_fts")).all()
        rows["fts"] = [(*key[rowid], title, body) for rowid, title, body in fts]
    else:
        rows["vectors"] = [tuple(r) for r in session.execute(text(
            "SELECT entity_type, entity_id, search_vector::text FROM nko_search_document"))]
    return {name: sorted(values, key=repr) for name, values in rows.items()}


def build_data(app, session) -> None:
    generate(app, 40, seed=11, search_index=False)
    # Cases the generator may miss: a sub-category (indexed under its parent too), entities
    # and line breaks in HTML, plugin values, a live service of an unpublished organization.
    org = make_org(session, name="НКО «Тест &amp; проверка»", categories=["orphans"],
                   description="<p>Помощь&nbsp;детям</p><p>и&#160;семьям<br/>города</p>",
                   extra={"district": ["north", "south"]})
    make_service(session, org, categories=["children", "orphans"], minimum_age=3,
                 maximum_age=17, is_free=False, extra={"district": ["south"]})
    make_project(session, org, categories=["elderly"], tasks="<ul><li>Раз</li><li>Два</li></ul>")
    hidden = make_org(session, publish=False)
    make_service(session, hidden, categories=["elderly"])
    for record in session.scalars(select(Organization).where(Organization.id % 3 == 0)):
        record.extra = {"district": ["north"]}
    session.commit()


def index_one_by_one(app, session) -> None:
    """What publishing does: each organization's public records indexed in turn."""
    for org in session.scalars(select(Organization).order_by(Organization.id)).all():
        search_index.index_records(session, [org, *org.services, *org.projects], app)
    session.commit()


@pytest.mark.parametrize("registered_facet", [False, True], ids=["core-rows", "orm-records"])
def test_rebuild_equals_indexing_record_by_record(app, session, registered_facet):
    if registered_facet:  # a registered facet may read anything: the rebuild loads ORM records
        search_index.register_facet(app, search_index.Facet(
            "named", "Есть краткое имя", lambda r: ["yes" if r.alternate_name else "no"]))
    build_data(app, session)
    index_one_by_one(app, session)
    expected = snapshot(session)
    assert len(expected["documents"]) > 100
    assert {f[2] for f in expected["facets"]} >= {"type", "category", "fee", "age", "activity",
                                                  "locality", "district"}
    assert ("named" in {f[2] for f in expected["facets"]}) is registered_facet
    assert expected["tally"] and expected["entries"]

    seen = []
    written = search_index.rebuild(session, app, batch=7,
                                   progress=lambda done, total: seen.append((done, total)))
    session.commit()

    assert written == len(expected["documents"])
    assert snapshot(session) == expected
    total = session.scalar(select(func.count()).select_from(Organization)
                           .where(Organization.live.is_(True)))
    assert seen[-1] == (total, total) and len(seen) == -(-total // 7)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)

    # Once more over a full index: the same rows again.
    search_index.rebuild(session, app, batch=500)
    session.commit()
    assert snapshot(session) == expected


# -- fast_html_to_text: the parser's output, faster --------------------------------------------

def test_fast_html_to_text_on_generated_texts(app, session):
    generate(app, 40, seed=11, search_index=False)
    texts = [value for model, names in ((Organization, ("description", "mission")),
                                        (Service, ("description",)),
                                        (Project, ("description", "goal", "tasks")))
             for name in names
             for value in session.scalars(select(getattr(model, name))) if value]
    assert len(texts) > 100 and all("<" in t for t in texts)
    assert [fast_html_to_text(t) for t in texts] == [html_to_text(t) for t in texts]


def both(text_: str):
    """Each function's output, or the exception it raised (malformed input may do that)."""
    results = []
    for function in (html_to_text, fast_html_to_text):
        try:
            results.append(function(text_))
        except Exception as exc:  # compared below, not hidden
            results.append(type(exc))
    return results


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_fast_html_to_text_on_the_xss_corpora(backend):
    payloads = json.loads(
        shared_path("testdata", "xss", "dompurify-payloads.json").read_text("utf-8"))
    payloads += shared_path("testdata", "xss", "payloadbox-xss-payload-list.txt").read_text(
        "utf-8").splitlines()
    sanitizer = Sanitizer(backend=backend)
    for payload in payloads:
        for value in (sanitizer.clean(payload), payload):
            first, second = both(value)
            assert first == second, value


PIECES = [
    *"<>/=\"'&#; \t\n\r\f\v\x00\xa0", "</", "/>", "&amp;", "&amp", "&#106;", "&#x41;", "&lt;",
    "&nbsp;", "&laquo;", "&notit;", "<!--", "-->", "<!", "<?", "<![CDATA[", "]]>", "p", "P",
    "br", "li", "h2", "script", "style", "title", "textarea", " href=", '"x"', "'y'", "<p>",
    "</p>", "<P>", "<br/>", "<br />", "<li>", "<b>", "</b>", "<a href=\"?a=1&amp;b=2\">", "</a>",
    "<td colspan=\"2\">", "<script>", "</script>", "<style>", "<p\xa0class=\"x\">", "<x-y>",
    "<a title=\"a>b\">", "</p >", "< p>", "<p/>", "Жук", "ёлка",
]  # fmt: skip


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=3)), max_size=25))
def test_fast_html_to_text_on_random_markup(pieces):
    first, second = both("".join(pieces))
    assert first == second
