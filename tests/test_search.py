"""Search service: Russian word forms, the index in step with publishing, ranking, facets."""

from __future__ import annotations

import pytest
from factories import make_org, make_project, make_service
from searching import find
from sqlalchemy import func, select, text
from werkzeug.datastructures import MultiDict

from nko_openness.models import SearchDocument, SearchFacet, sort_key
from nko_openness.publishing.workflow import (
    approve,
    mark_deleted,
    mark_published,
    mark_unpublished,
    save_revision,
)
from nko_openness.search import index as search_index
from nko_openness.search import query as search


def titles(result) -> list[str]:
    return [hit.document.title for hit in result.hits]


@pytest.fixture
def world(session):
    sport = make_org(session, name="Амурская спортивная общественная организация «СПОРТиЯ»",
                     slug="sportiya", activities=["sport_healthy_lifestyle"],
                     categories=["children"], description="<p>Спорт во дворах Белогорска</p>")
    walking = make_service(session, sport, name="Скандинавская ходьба для старшего поколения",
                           categories=["elderly"], minimum_age=55, is_free=True)
    gto = make_service(session, sport, name="Подготовка к сдаче норм ГТО", is_free=False,
                       minimum_age=10, categories=["schoolchildren"])
    parents = make_org(session, name="Родители за здоровое будущее", slug="parents",
                       activities=["prevention"], locality="с. Васильевка")
    drugs = make_project(session, parents, name="Защитим детей от наркотиков",
                         categories=["families"],
                         goal="<p>Профилактика употребления наркотиков подростками</p>")
    eco = make_org(session, name="Добровольческое объединение «Берег Томи»", slug="bereg",
                   activities=["environment"], description="<p>Экология родного края</p>")
    cleanup = make_service(session, eco, name="Экологические субботники", is_free=True,
                           categories=["residents"])
    draft = make_service(session, sport, name="Черновая секция пожилых спортсменов",
                         publish=False, categories=["elderly"])
    return {"sport": sport, "walking": walking, "gto": gto, "parents": parents,
            "drugs": drugs, "eco": eco, "cleanup": cleanup, "draft": draft}


# -- word forms ------------------------------------------------------------------------------

@pytest.mark.parametrize("query, expected", [
    # «Пожилые граждане» is the walking service's category.
    ("пожилым", "Скандинавская ходьба для старшего поколения"),
    ("пожилых", "Скандинавская ходьба для старшего поколения"),
    ("пожилые", "Скандинавская ходьба для старшего поколения"),
    ("Пожилой", "Скандинавская ходьба для старшего поколения"),
    ("спортивный", "Амурская спортивная общественная организация «СПОРТиЯ»"),
    ("спорта", "Амурская спортивная общественная организация «СПОРТиЯ»"),
    ("спорт", "Амурская спортивная общественная организация «СПОРТиЯ»"),
    ("СПОРТИЯ", "Амурская спортивная общественная организация «СПОРТиЯ»"),
    ("наркотиков", "Защитим детей от наркотиков"),
    ("наркотики", "Защитим детей от наркотиков"),
    ("наркотик", "Защитим детей от наркотиков"),
    ("экологическая", "Экологические субботники"),
    ("экология", "Экологические субботники"),
    ("экологию", "Добровольческое объединение «Берег Томи»"),
    ("субботник", "Экологические субботники"),
])
def test_every_word_form_finds_the_record(app, session, world, query, expected):
    result = find(app, session, query)

    assert expected in titles(result), (query, titles(result))


def test_sport_prefix_finds_sportiya_and_marks_it(app, session, world):
    result = find(app, session, "спорт")

    top = result.hits[0]
    assert top.document.title == "Амурская спортивная общественная организация «СПОРТиЯ»"
    assert "<mark>СПОРТиЯ</mark>" in top.title
    assert "<mark>спортивная</mark>" in top.title
    assert result.match_mode == "all"


def test_several_words_must_all_match_and_stop_words_are_ignored(app, session, world):
    result = find(app, session, "ходьба для пожилых")

    assert titles(result) == ["Скандинавская ходьба для старшего поколения"]


def test_yo_and_ye_are_the_same_letter(app, session, world):
    make_service(session, world["eco"], name="Уборка берёзовой рощи")

    assert "Уборка берёзовой рощи" in titles(find(app, session, "березовая"))
    assert "Уборка берёзовой рощи" in titles(find(app, session, "берёзовой"))


def test_a_typo_falls_back_to_shorter_stems(app, session, world):
    # «экологичность» shares no full stem with the records: the relaxed search still helps.
    result = find(app, session, "экологичность")

    assert result.match_mode == "relaxed"
    assert "Экологические субботники" in titles(result)


def test_when_no_record_has_every_word_any_word_is_enough(app, session, world):
    result = find(app, session, "наркотиков субботники")

    assert result.match_mode == "any"
    assert {"Защитим детей от наркотиков", "Экологические субботники"} <= set(titles(result))


def test_nothing_found(app, session, world):
    result = find(app, session, "квантовая хромодинамика")

    assert result.total == 0 and result.hits == []


def test_query_syntax_is_plain_text(app, session, world):
    # Quotes, operators and column filters of tsquery and FTS5 are just punctuation here.
    for query in ['"спорт', "спорт OR NOT", "спорт & | ! ( ) :* ^", "title:спорт", "NEAR(a b)",
                  "*", "'; DROP TABLE nko_search_document; --", "спорт\x00"]:
        result = find(app, session, query)
        assert result.total >= 0, query
    assert session.scalar(select(func.count()).select_from(SearchDocument)) == 7


# -- the index follows publishing --------------------------------------------------------------

def indexed(session) -> set[str]:
    return set(session.scalars(select(SearchDocument.title)))


def test_only_published_records_are_indexed(session, world):
    assert "Черновая секция пожилых спортсменов" not in indexed(session)
    assert len(indexed(session)) == 7


def test_unpublishing_drops_the_record_in_the_same_transaction(app, session, world):
    mark_unpublished(session, world["walking"], "moderator", "устарело")
    # Not committed yet: the index already agrees with the record's state...
    assert "Скандинавская ходьба для старшего поколения" not in titles(
        find(app, session, "пожилым"))
    # ...and a rollback restores both together.
    session.rollback()
    assert "Скандинавская ходьба для старшего поколения" in titles(find(app, session, "пожилым"))

    mark_unpublished(session, world["walking"], "moderator", "устарело")
    session.commit()
    assert titles(find(app, session, "пожилым")) == []


def test_unpublishing_an_organization_hides_its_children_and_republishing_restores(
        app, session, world):
    mark_unpublished(session, world["sport"], "moderator", "проверка")
    session.commit()
    assert find(app, session, "спорт").total == 0
    assert find(app, session, "ГТО").total == 0

    mark_published(session, world["sport"], "moderator")
    session.commit()
    assert {"Подготовка к сдаче норм ГТО", "Скандинавская ходьба для старшего поколения"} <= set(
        titles(find(app, session, "спорт")))
    # The draft child stays out.
    assert "Черновая секция пожилых спортсменов" not in indexed(session)


def test_deleting_drops_the_documents(app, session, world):
    mark_deleted(session, world["drugs"], "moderator")
    session.commit()
    assert find(app, session, "наркотики").total == 0

    mark_deleted(session, world["eco"], "moderator")
    session.commit()
    assert find(app, session, "субботник").total == 0
    assert indexed(session) == {
        "Амурская спортивная общественная организация «СПОРТиЯ»",
        "Скандинавская ходьба для старшего поколения", "Подготовка к сдаче норм ГТО",
        "Родители за здоровое будущее",
    }


def test_an_approved_edit_replaces_the_indexed_text(app, session, world):
    service = world["gto"]
    service.name = "Подготовка к лыжному марафону"
    save_revision(session, service, "editor")
    session.commit()
    # The public (and the index) still see the published version until approval.
    assert find(app, session, "ГТО").total == 1

    approve(session, service, "moderator", reviewed_version=service.version)
    session.commit()
    assert find(app, session, "ГТО").total == 0
    assert titles(find(app, session, "лыжный")) == ["Подготовка к лыжному марафону"]


def test_publishing_a_child_of_a_hidden_organization_indexes_nothing(session, world):
    hidden = make_org(session, name="Черновая НКО", slug="hidden-org", publish=False)
    make_service(session, hidden, name="Услуга черновой НКО")

    assert "Услуга черновой НКО" not in indexed(session)


def test_renaming_an_organization_reindexes_its_children(app, session, world):
    org = world["parents"]
    org.name = "Родительский комитет Белогорска"
    save_revision(session, org, "editor")
    approve(session, org, "moderator", reviewed_version=org.version)
    session.commit()

    (hit,) = find(app, session, "наркотики").hits
    assert hit.document.organization_name == "Родительский комитет Белогорска"


# -- ranking and snippets --------------------------------------------------------------------

def test_title_matches_rank_above_body_matches(app, session, world):
    make_service(session, world["eco"], name="Прогулки у реки",
                 description="<p>Иногда говорим о наркотиках</p>")

    assert titles(find(app, session, "наркотики"))[0] == "Защитим детей от наркотиков"


def test_snippets_are_escaped_and_marked(app, session, world):
    make_service(session, world["eco"], name="Лекторий",
                 description="<p>Лекция &lt;script&gt;alert(1)&lt;/script&gt; о вреде "
                             "наркотиков для подростков</p>")

    (hit,) = [h for h in find(app, session, "наркотики").hits
              if h.document.title == "Лекторий"]
    assert "<script>" not in hit.snippet
    assert "&lt;script&gt;" in hit.snippet
    assert "<mark>наркотиков</mark>" in hit.snippet


def test_long_text_gives_a_short_snippet_around_the_match(app, session, world):
    filler = " ".join(["Белогорск"] * 200)
    make_service(session, world["eco"], name="Длинное описание",
                 description=f"<p>{filler} Помощь пожилым соседям. {filler}</p>")

    (hit,) = [h for h in find(app, session, "пожилым").hits
              if h.document.title == "Длинное описание"]
    assert "<mark>пожилым</mark>" in hit.snippet
    assert hit.snippet.startswith("… ") and hit.snippet.endswith(" …")
    assert len(hit.snippet.split()) < 45


def test_browsing_without_words_lists_everything_by_title(app, session, world):
    result = find(app, session, "")

    assert result.total == 7 and result.match_mode is None
    # The catalog's order: «СПОРТиЯ» sorts under С, «Берег Томи» under Б.
    assert titles(result) == sorted(titles(result), key=sort_key)
    assert titles(result)[0] == "Добровольческое объединение «Берег Томи»"


# -- facets ----------------------------------------------------------------------------------

def facet(result, name) -> dict[str, tuple[int, bool]]:
    for f in result.facets:
        if f.name == name:
            return {v.value: (v.count, v.selected) for v in f.values}
    return {}


def test_facets_count_the_matched_documents(app, session, world):
    result = find(app, session, "спорт")

    assert facet(result, "type") == {"organization": (1, False), "service": (2, False)}
    assert facet(result, "fee") == {"free": (1, False), "paid": (1, False)}
    assert facet(result, "activity") == {"sport_healthy_lifestyle": (3, False)}
    assert facet(result, "locality") == {"Белогорск": (3, False)}
    # The walking service is 55+; the ГТО one 10+ (no upper limit): both reach the seniors.
    assert facet(result, "age")["seniors"] == (2, False)
    assert facet(result, "age")["children"] == (1, False)
    labels = {v.value: v.label for f in result.facets for v in f.values}
    assert labels["elderly"] == "Пожилые граждане"
    assert labels["free"] == "Бесплатно"
    assert labels["sport_healthy_lifestyle"].startswith("Физическая культура")


def test_filters_combine_across_facets(app, session, world):
    result = find(app, session, "", fee="free", category="elderly")

    assert titles(result) == ["Скандинавская ходьба для старшего поколения"]


def test_values_of_one_facet_are_alternatives_and_counted_without_it(app, session, world):
    result = find(app, session, "", type=["service", "program"])

    assert set(titles(result)) == {
        "Скандинавская ходьба для старшего поколения", "Подготовка к сдаче норм ГТО",
        "Экологические субботники", "Защитим детей от наркотиков"}
    # Counts for "type" ignore the type filter, so the organizations' count is still shown.
    assert facet(result, "type") == {"service": (3, True), "program": (1, True),
                                     "organization": (3, False)}
    # Other facets count within the filtered set.
    assert facet(result, "locality") == {"Белогорск": (3, False), "с. Васильевка": (1, False)}


def test_a_selected_value_without_matches_stays_visible(app, session, world):
    result = find(app, session, "наркотики", fee="free")

    assert result.total == 0
    assert facet(result, "fee")["free"] == (0, True)


def test_subcategories_are_found_under_their_parent(app, session, world):
    from nko_openness.models import BeneficiaryCategory

    child = session.scalar(select(BeneficiaryCategory)
                           .where(BeneficiaryCategory.parent_id.is_not(None)))
    service = make_service(session, world["eco"], name="Услуга подкатегории",
                           categories=[child.slug])

    assert service.name in titles(find(app, session, "", category=child.parent.slug))


def test_unknown_filters_and_bad_pages_are_ignored(app, session, world):
    request = search.parse_request(
        MultiDict([("q", "спорт"), ("nonsense", "1"), ("page", "abc"), ("fee", "x" * 300)]), app)

    assert request.filters == {} and request.page == 1
    assert search.parse_request(MultiDict({"page": "100000"}), app).page == search.MAX_PAGE


def test_pages(app, session, world):
    first = search.search(session, search.parse_request(MultiDict(), app), app, page_size=3)
    second = search.search(session, search.parse_request(MultiDict({"page": "2"}), app), app,
                           page_size=3)
    third = search.search(session, search.parse_request(MultiDict({"page": "3"}), app), app,
                          page_size=3)

    assert first.has_next and second.has_next and not third.has_next
    seen = titles(first) + titles(second) + titles(third)
    assert len(seen) == len(set(seen)) == 7


# -- the extension point for plugin facets -----------------------------------------------------

def test_register_facet_indexes_and_counts_a_new_facet(app, session):
    search_index.register_facet(app, search_index.Facet(
        "district", "Микрорайон", lambda r: [(r.extra or {}).get("district", "")],
        {"north": "Северный", "south": "Южный"}, entities=("organization",)))
    make_org(session, name="Северная НКО", extra={"district": "north"})
    make_org(session, name="Южная НКО", extra={"district": "south"})
    make_org(session, name="НКО без микрорайона")

    result = find(app, session, "", district="north")

    assert titles(result) == ["Северная НКО"]
    assert facet(result, "district") == {"north": (1, True), "south": (1, False)}
    assert [f.label for f in result.facets if f.name == "district"] == ["Микрорайон"]


def test_register_facet_refuses_the_query_arguments(app):
    with pytest.raises(ValueError):
        search_index.register_facet(app, search_index.Facet("q", "Слова", lambda r: []))


def test_reindex_rebuilds_the_index(app, session, world, runner):
    session.execute(text("DELETE FROM nko_search_facet"))
    session.execute(text("DELETE FROM nko_search_document"))
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("DELETE FROM nko_search_fts"))
    session.commit()
    assert find(app, session, "пожилым").total == 0
    session.rollback()  # the command works in a session of its own

    result = runner.invoke(args=["nko", "search", "reindex"])

    assert result.exit_code == 0, result.output
    assert "3/3" in result.output and "7" in result.output
    session.expire_all()
    assert titles(find(app, session, "пожилым")) == [
        "Скандинавская ходьба для старшего поколения"]
    assert session.scalar(select(func.count()).select_from(SearchFacet)) > 7


def test_rebuild_in_batches_reports_progress(app, session, world):
    seen = []
    written = search_index.rebuild(session, app, batch=2, progress=lambda d, t: seen.append((d, t)))
    session.commit()

    assert written == 7
    assert seen == [(2, 3), (3, 3)]
    assert len(find(app, session, "").hits) == 7


def test_rows_deleted_around_the_module_leave_no_stale_matches(app, session, world):
    # Raw SQL (or a database cascade) leaves SQLite's FTS rows behind; ids then get reused.
    session.execute(text("DELETE FROM nko_search_facet"))
    session.execute(text("DELETE FROM nko_search_document"))
    session.commit()

    make_org(session, name="Новая НКО")
    make_org(session, name="Ещё одна НКО")

    assert find(app, session, "спорт").total == 0
    assert titles(find(app, session, "новая")) == ["Новая НКО"]
