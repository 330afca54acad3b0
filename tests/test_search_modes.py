"""Search modes and caps: whole stems before prefixes, one match per search, exact counts."""

from __future__ import annotations

from collections import Counter

import pytest
from factories import make_org, make_service
from searching import find
from sqlalchemy import event, select

from nko_openness.models import SearchDocument, SearchFacet
from nko_openness.search import query as search

WHOLE = [f"Спорт для всех, группа {n}" for n in range(4)]
PREFIX_ONLY = "Спортивная секция"


def titles(result) -> set[str]:
    return {hit.document.title for hit in result.hits}


@pytest.fixture
def sport(session):
    club = make_org(session, name="Клуб «Движение»", slug="dvizhenie")
    for name in WHOLE:
        make_service(session, club, name=name, is_free=True)
    make_service(session, club, name=PREFIX_ONLY)
    return club


@pytest.fixture
def match_statements(app):
    """How many statements sent run the full-text match."""
    engine = app.extensions["nko_openness"].db.engine
    sent: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        if "nko_search_fts" in statement or "@@" in statement:
            sent.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    yield sent
    event.remove(engine, "before_cursor_execute", record)


# -- whole stems first -----------------------------------------------------------------------

def test_more_whole_stem_matches_than_the_cap_are_the_results(app, session, sport, monkeypatch):
    monkeypatch.setattr(search, "TOTAL_CAP", 3)

    result = find(app, session, "спорт")

    assert result.match_mode == "whole"
    assert result.total == 3 and result.total_capped
    assert titles(result) == set(WHOLE)


def test_at_most_the_cap_of_whole_stems_still_finds_prefix_matches(app, session, sport,
                                                                     monkeypatch):
    monkeypatch.setattr(search, "TOTAL_CAP", 5)

    result = find(app, session, "спорт")

    assert result.match_mode == "all"
    assert result.total == 5 and not result.total_capped
    assert titles(result) == {*WHOLE, PREFIX_ONLY}


def test_every_word_must_be_a_whole_stem_for_the_whole_mode(app, session, sport, monkeypatch):
    monkeypatch.setattr(search, "TOTAL_CAP", 1)
    make_service(session, sport, name="Спортивная секция для детей")

    # «секция» is whole in two titles, «спорт» only as the prefix of «спортивная».
    result = find(app, session, "спорт секция")

    assert result.match_mode == "all"
    assert titles(result) == {PREFIX_ONLY, "Спортивная секция для детей"}


# -- one match per search ----------------------------------------------------------------------

def test_a_search_runs_the_match_once_per_mode_tried(app, session, sport, monkeypatch,
                                                     match_statements):
    monkeypatch.setattr(search, "TOTAL_CAP", 3)
    find(app, session, "спорт")
    assert len(match_statements) == 1  # "whole" found more than the cap

    match_statements.clear()
    monkeypatch.setattr(search, "TOTAL_CAP", 10)
    find(app, session, "спорт")
    assert len(match_statements) == 2  # "whole", then "all"


def test_each_filter_set_is_matched_once(app, session, sport, monkeypatch, match_statements):
    monkeypatch.setattr(search, "TOTAL_CAP", 3)

    find(app, session, "спорт", type="service", fee="free")

    # The request's filters, then each active facet counted without its own filter.
    assert len(match_statements) == 3


# -- counts under the caps ---------------------------------------------------------------------

@pytest.fixture
def swimming(session):
    pool = make_org(session, name="Бассейн «Волна»", slug="volna")
    for n in range(9):
        make_service(session, pool, name=f"Плавание, группа {n}", is_free=n < 6,
                     categories=["children"] if n % 3 else ["elderly"])
    return pool


def plain_facet_counts(session, title_word: str) -> Counter:
    """(facet, value) counts over every document with the word, straight from the tables."""
    ids = [d.id for d in session.scalars(select(SearchDocument)) if title_word in d.title]
    rows = session.scalars(select(SearchFacet).where(SearchFacet.document_id.in_(ids)))
    return Counter((row.facet, row.value) for row in rows)


def shown_counts(result) -> Counter:
    return Counter({(f.name, v.value): v.count for f in result.facets for v in f.values})


def test_counts_and_facets_equal_a_plain_count(app, session, swimming):
    result = find(app, session, "плавание")

    assert result.total == 9 and not result.total_capped and not result.counts_capped
    assert shown_counts(result) == plain_facet_counts(session, "Плавание")


def test_a_filtered_facet_is_counted_without_its_own_filter(app, session, swimming):
    result = find(app, session, "плавание", fee="free")

    assert result.total == 6
    counts = shown_counts(result)
    assert (counts[("fee", "free")], counts[("fee", "paid")]) == (6, 3)
    assert counts[("type", "service")] == 6


def test_counts_are_capped_where_the_caps_say(app, session, swimming, monkeypatch):
    monkeypatch.setattr(search, "TOTAL_CAP", 5)
    monkeypatch.setattr(search, "FACET_CAP", 4)

    result = find(app, session, "плавание")

    assert (result.total, result.total_capped, result.counts_capped) == (5, True, True)
    counts = shown_counts(result)
    # Each document has one type and one fee: the counts cover exactly FACET_CAP of them.
    assert counts[("type", "service")] == 4
    assert counts[("fee", "free")] + counts[("fee", "paid")] == 4


def test_pages_follow_the_rank_over_all_candidates(app, session, swimming):
    first = find(app, session, "плавание")
    every = [hit.document.id for hit in first.hits]

    paged = []
    for page in (1, 2, 3):
        result = search.search(session, search.SearchRequest(q="плавание", page=page), app,
                               page_size=4)
        paged += [hit.document.id for hit in result.hits]
        assert result.has_next == (page < 3)

    assert paged == every and len(every) == 9
