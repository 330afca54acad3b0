"""Russian full-text search over published records: ranked hits, snippets and facet counts.

PostgreSQL matches ``to_tsquery('russian', 'word')`` against a GIN-indexed tsvector;
SQLite matches Snowball stems in FTS5 (``"stem"``). Words are whole stems first and prefixes
(``word:*``, ``"stem"*``) when that finds at most ``TOTAL_CAP``. One statement per mode
fetches at most ``RANK_CAP`` candidates (id, rank); the count, the ranked page and the facet
counts (GROUP BY over at most ``FACET_CAP`` of those ids) are read from that list, so the
index is searched once per search and a query costs about the same at 20 or 220,000
organizations.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from markupsafe import Markup
from sqlalchemy import Integer, Select, any_, bindparam, exists, func, literal_column, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from nko_openness.models.search import FTS_TABLE, VECTOR_COLUMN, SearchDocument, SearchFacet
from nko_openness.search.index import (
    Facet,
    facets,
    fts_table,
)
from nko_openness.search.text import Term, highlight, query_terms, snippet

PAGE_SIZE = 20
MAX_PAGE = 50  # deeper than this a resident refines the query instead
TOTAL_CAP = 1000  # "Найдено более 1000"
# Matches ranked for one query; beyond it the order is approximate. Ranking is what a capped
# query costs (PostgreSQL detoasts each candidate's vector): at 220,000 organizations 5000
# made the search 3.1x its cost at 1,000, 1000 makes it 1.4-2.3x (docs/search.md).
RANK_CAP = 1000
FACET_CAP = 1000  # facet counts look at no more matched documents than this
FACET_VALUES_SHOWN = 12
MAX_QUERY_LENGTH = 200
MAX_FILTER_VALUES = 20


@dataclass
class SearchRequest:
    """What the resident asked: words, facet filters (facet → values), page number."""

    q: str = ""
    filters: dict[str, list[str]] = field(default_factory=dict)
    page: int = 1

    @property
    def is_empty(self) -> bool:
        return not self.q.strip() and not self.filters


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


@dataclass
class FacetResult:
    name: str
    label: str
    values: list[FacetValue]


@dataclass
class Hit:
    document: SearchDocument
    title: Markup
    snippet: Markup


@dataclass
class SearchResult:
    request: SearchRequest
    hits: list[Hit]
    total: int
    total_capped: bool
    facets: list[FacetResult]
    has_next: bool
    # How the words matched: "whole" (every word's whole stem, over TOTAL_CAP found), "all"
    # (every word as a prefix), "relaxed" (shorter stems), "any" (some word).
    match_mode: str | None = None
    counts_capped: bool = False


def parse_request(args, app: Flask | None = None) -> SearchRequest:
    """A SearchRequest from query arguments (a MultiDict); unknown or odd values are dropped."""
    names = {f.name for f in facets(app)}
    filters = {}
    for name in sorted(names):
        values = [v for v in dict.fromkeys(args.getlist(name)) if v and len(v) <= 255]
        if values:
            filters[name] = values[:MAX_FILTER_VALUES]
    try:
        page = int(args.get("page", 1))
    except (TypeError, ValueError):
        page = 1
    return SearchRequest(q=(args.get("q") or "").strip()[:MAX_QUERY_LENGTH], filters=filters,
                         page=min(max(page, 1), MAX_PAGE))


# -- matching ------------------------------------------------------------------------------

# The order modes are tried in. "whole" matches each term as a whole stem; it is taken only
# when it finds more than TOTAL_CAP documents (the page shows «более 1000» either way),
# otherwise the prefix modes decide, so a query that finds at most TOTAL_CAP documents finds
# what it did before "whole" existed.
WHOLE, ALL, RELAXED, ANY = "whole", "all", "relaxed", "any"


def _prefixes(terms: list[Term], mode: str) -> list[str]:
    return [t.relaxed if mode == RELAXED else t.stem for t in terms]


def _modes(terms: list[Term]) -> list[str]:
    modes = [WHOLE, ALL]
    if any(t.relaxed != t.stem for t in terms):
        modes.append(RELAXED)
    if len(terms) > 1:
        modes.append(ANY)
    return modes


@dataclass
class Match:
    """How a text query narrows SearchDocument, and the relevance of each document."""

    rank: Any
    condition: Any = None  # PostgreSQL: a WHERE on the document's own tsvector
    fts: Any = None  # SQLite: the FTS5 rows to join (id, rank)

    def apply(self, stmt: Select) -> Select:
        if self.fts is not None:
            return stmt.join(self.fts, self.fts.c.id == SearchDocument.id)
        return stmt.where(self.condition)


def _match(session: Session, terms: list[Term], mode: str) -> Match:
    """The documents whose text has the terms; a higher rank is a better match."""
    joiner_pg, joiner_fts = (" | ", " OR ") if mode == ANY else (" & ", " ")
    # A whole stem is one posting list; a prefix is the union of every stem that starts
    # with it, which both backends build in full before any LIMIT applies.
    star_pg, star_fts = ("", "") if mode == WHOLE else (":*", "*")
    if session.get_bind().dialect.name == "postgresql":
        # PostgreSQL stems the words itself.
        words = [t.relaxed if mode == RELAXED else t.word for t in terms]
        query = func.to_tsquery(literal_column("'russian'::regconfig"),
                                bindparam("tsquery", joiner_pg.join(w + star_pg for w in words)))
        vector = literal_column(f"{SearchDocument.__tablename__}.{VECTOR_COLUMN}")
        return Match(rank=func.ts_rank_cd(vector, query, 1),
                     condition=vector.bool_op("@@")(query))
    fts = literal_column(FTS_TABLE)
    # Stems are letters and digits only, so quoting them is all FTS5 syntax needs.
    query = joiner_fts.join(f'"{p}"{star_fts}' for p in _prefixes(terms, mode))
    rows = (select(fts_table.c.rowid.label("id"), (-func.bm25(fts, 10.0, 1.0)).label("rank"))
            .where(fts.op("MATCH")(bindparam("fts_query", query))).subquery("matched"))
    return Match(rank=rows.c.rank, fts=rows)


def _facet_condition(name: str, values: list[str]):
    return exists().where(SearchFacet.document_id == SearchDocument.id,
                          SearchFacet.facet == name, SearchFacet.value.in_(values))


def _filtered(stmt: Select, filters: dict[str, list[str]], skip: str | None = None) -> Select:
    for name, values in filters.items():
        if name != skip:
            stmt = stmt.where(_facet_condition(name, values))
    return stmt


def _base(match: Match | None, filters: dict[str, list[str]],
          skip: str | None = None) -> Select:
    stmt = select(SearchDocument.id)
    if match is not None:
        stmt = match.apply(stmt)
    return _filtered(stmt, filters, skip)


def _candidates(session: Session, matched: Match | None, filters) -> list[tuple[int, float]]:
    """(id, rank) of the first matches in the index's order: the one statement that runs the
    match; the count, the page and the facets are read from it."""
    counted = max(TOTAL_CAP, FACET_CAP) + 1
    stmt = _base(matched, filters)
    if matched is None:  # browsing: nothing to rank, so no more than is counted
        return [(id_, 0.0) for id_ in session.scalars(stmt.limit(counted))]
    # Ranking reads each candidate's vector: at most RANK_CAP of them, so a word found in
    # half of 220,000 organizations costs what a rarer one does.
    stmt = stmt.add_columns(matched.rank.label("rank")).limit(max(RANK_CAP, counted))
    return [(id_, rank) for id_, rank in session.execute(stmt)]


def _page(session: Session, matched, filters, candidates, page: int, page_size: int):
    offset = (page - 1) * page_size
    if matched is not None:
        ranked = sorted(candidates, key=lambda c: (-c[1], c[0]))[offset:offset + page_size + 1]
        ids = [id_ for id_, _rank in ranked]
        by_id = {d.id: d for d in session.scalars(
            select(SearchDocument).where(SearchDocument.id.in_(ids)))}
        documents = [by_id[id_] for id_ in ids if id_ in by_id]
    else:
        # Browsing walks the title index; the candidates only counted.
        stmt = _filtered(select(SearchDocument), filters).order_by(SearchDocument.sort_title,
                                                                   SearchDocument.id)
        documents = list(session.scalars(stmt.limit(page_size + 1).offset(offset)))
    return documents[:page_size], len(documents) > page_size


# -- facets --------------------------------------------------------------------------------

def _among(column, session: Session, ids: list[int]):
    """``column IN ids`` as one parameter. With a literal list of 2,000 ids SQLite walks the
    whole (facet, value) index to skip the GROUP BY sort (115 ms at 22,000 organizations,
    growing with the table) instead of the primary key per id (15 ms)."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam("ids", ids, type_=ARRAY(Integer)))
    listed = func.json_each(bindparam("ids", json.dumps(ids))).table_valued("value")
    return column.in_(select(listed.c.value))


def _filters_key(filters: dict[str, list[str]]) -> tuple:
    return tuple(sorted((name, tuple(values)) for name, values in filters.items()))


def _facet_counts(session: Session, matched, filters, facet_list: list[Facet], candidates):
    """Counts per (facet, value): each active facet is counted without its own filter,
    so ticking a second value shows what the wider (OR) choice would add."""
    groups: dict[str | None, list[str]] = {None: []}
    for facet in facet_list:
        groups.setdefault(facet.name if facet.name in filters else None, []).append(facet.name)
    # The request's own filters are the candidates already fetched; a facet counted without
    # its filter needs the ids matched under the others, fetched once per filter set.
    matched_ids = {_filters_key(filters): [id_ for id_, _rank in candidates]}
    counts: dict[tuple[str, str], int] = {}
    capped = False
    for skip, names in groups.items():
        if not names:
            continue
        wider = {k: v for k, v in filters.items() if k != skip}
        key = _filters_key(wider)
        if key not in matched_ids:
            matched_ids[key] = list(session.scalars(_base(matched, wider).limit(FACET_CAP + 1)))
        ids = matched_ids[key]
        capped = capped or len(ids) > FACET_CAP
        if not ids:
            continue
        # No condition on the facet name: with one, planners walk the (facet, value) index
        # over every document instead of the primary key over the matched few.
        rows = session.execute(
            select(SearchFacet.facet, SearchFacet.value, func.count())
            .where(_among(SearchFacet.document_id, session, ids[:FACET_CAP]))
            .group_by(SearchFacet.facet, SearchFacet.value)
        )
        wanted = set(names)
        for name, value, count in rows:
            if name in wanted:
                counts[(name, value)] = count
    return counts, capped


def _facet_results(session: Session, counts, filters, facet_list) -> list[FacetResult]:
    results = []
    for facet in facet_list:
        selected = filters.get(facet.name, [])
        found = sorted(((v, c) for (n, v), c in counts.items() if n == facet.name),
                       key=lambda item: (-item[1], item[0]))[:FACET_VALUES_SHOWN]
        shown = dict(found)
        for value in selected:  # a ticked value stays on screen, even at zero
            shown.setdefault(value, counts.get((facet.name, value), 0))
        if not shown:
            continue
        labels = facet.label_for(session, list(shown))
        values = sorted(
            (FacetValue(v, labels.get(v, v), c, v in selected) for v, c in shown.items()),
            key=lambda fv: (-fv.count, fv.label.lower()),
        )
        results.append(FacetResult(facet.name, str(facet.label), values))
    return results


# -- the search ----------------------------------------------------------------------------

def _find(session: Session, terms: list[Term], filters):
    """The first mode that finds something, its Match and its candidates."""
    matched, mode, candidates = None, None, []
    for mode in _modes(terms):
        matched = _match(session, terms, mode)
        candidates = _candidates(session, matched, filters)
        # "whole" decides only when it is over the cap, where no result can change.
        if len(candidates) > (TOTAL_CAP if mode == WHOLE else 0):
            break
    return matched, mode, candidates


def search(session: Session, request: SearchRequest, app: Flask | None = None, *,
           page_size: int = PAGE_SIZE) -> SearchResult:
    """Run ``request``: with words, ranked by relevance; without, every document by title.

    More than TOTAL_CAP documents with every word as a whole stem are the results as they
    are; otherwise every word is a prefix, and when that finds nothing the search retries
    with shorter stems (a typo or another derivation: «экологическая» → «эколог*»), then
    with any word.
    """
    facet_list = facets(app)
    known = {f.name for f in facet_list}
    filters = {k: v for k, v in request.filters.items() if k in known}
    terms = query_terms(request.q)
    if terms:
        matched, mode, candidates = _find(session, terms, filters)
    else:
        matched, mode, candidates = None, None, _candidates(session, None, filters)
    total, capped = min(len(candidates), TOTAL_CAP), len(candidates) > TOTAL_CAP
    documents, has_next = ([], False)
    if total:
        documents, has_next = _page(session, matched, filters, candidates, request.page,
                                    page_size)
    prefixes = tuple(_prefixes(terms, mode or ALL))
    hits = [Hit(d, highlight(d.title, prefixes), snippet(d.body, prefixes)) for d in documents]
    counts, counts_capped = _facet_counts(session, matched, filters, facet_list, candidates)
    return SearchResult(
        request=request, hits=hits, total=total, total_capped=capped,
        facets=_facet_results(session, counts, filters, facet_list), has_next=has_next,
        match_mode=mode, counts_capped=counts_capped,
    )


def result_meta(document: SearchDocument) -> dict[str, Any]:
    """Facts a result line shows besides its title, for the template to phrase."""
    age = None
    if document.minimum_age is not None or document.maximum_age is not None:
        age = (document.minimum_age, document.maximum_age)
    return {"type": document.entity_type, "organization": document.organization_name,
            "locality": document.locality, "is_free": document.is_free, "age": age}
