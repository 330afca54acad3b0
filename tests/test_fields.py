"""Plugin fields end to end: specs, values, storage, public pages, catalog filters, export."""

from __future__ import annotations

import re
from decimal import Decimal

import jsonschema
import pytest
from conftest import make_app
from factories import make_org, make_project, make_service
from flask_babel import force_locale
from sqlalchemy import select

from nko_openness import hookimpl
from nko_openness.core.plugins import PluginError
from nko_openness.fields.display import display_values
from nko_openness.fields.specs import (
    FieldSpec,
    clean_extra,
    exported_values,
    field_specs,
    json_schema,
    make_spec,
)
from nko_openness.fields.values import FieldValueError, clean_value, stored_value
from nko_openness.models import Organization, Project

DISTRICTS = [("center", "Центральный", "Centre"), ("north", "Северный", "North"),
             ("south", "Южный", "South")]
FOCUS = [("sport", "Спорт"), ("culture", "Культура"), ("care", "Забота о пожилых")]


class CityFields:
    """A municipality's plugin: a field of every type, on all three entities."""

    @hookimpl
    def nko_extra_fields(self, entity):
        if entity == "project":
            return [
                {"name": "district", "label_ru": "Микрорайон", "label_en": "District",
                 "type": "choice", "choices": DISTRICTS},
                {"name": "nko_day", "label_ru": "Участвует в Дне НКО", "type": "boolean"},
            ]
        if entity == "organization":
            return [
                {"name": "district", "label_ru": "Микрорайон", "type": "choice",
                 "choices": DISTRICTS},
                {"name": "focus", "label_ru": "Направления", "type": "multi_choice",
                 "choices": FOCUS},
                {"name": "volunteers", "label_ru": "Добровольцев", "type": "integer",
                 "min_value": 0},
                {"name": "budget", "label_ru": "Бюджет, руб.", "type": "decimal"},
                {"name": "founded", "label_ru": "Дата основания", "type": "date"},
                {"name": "vk", "label_ru": "Группа ВКонтакте", "type": "url"},
                {"name": "press_email", "label_ru": "Почта для прессы", "type": "email",
                 "exported": False},
                {"name": "story", "label_ru": "История", "type": "rich_text"},
                {"name": "curator_note", "label_ru": "Заметка куратора", "type": "text",
                 "public": False},
                {"name": "grant_stage", "label_ru": "Этап гранта", "type": "choice",
                 "choices": ["заявка", "договор"], "public": False},
            ]
        return [FieldSpec(name="room", label_ru="Кабинет", type="text", required=True,
                          help_ru="Номер кабинета или «по записи»")]


@pytest.fixture
def app_config():
    return {"NKO_PLUGINS": [CityFields()]}


ORG_EXTRA = {
    "district": "north", "focus": ["culture", "sport"], "volunteers": 12000,
    "budget": "1500.5", "founded": "2019-03-01", "vk": "https://vk.com/sportiya",
    "press_email": "press@sportiya.example", "story": "<p>Начали <em>во дворе</em></p>",
    "curator_note": "проверить отчёт", "grant_stage": "договор",
    "gone_plugin_field": {"whatever": [1, 2]},
}


def page_text(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


# -- specs ----------------------------------------------------------------------------------


def test_nko_extra_fields_are_merged_in_plugin_order(tmp_path):
    class More:
        @hookimpl
        def nko_extra_fields(self, app, entity):
            assert app.name == "nko_test_host"
            return [{"name": "partner_school", "label_ru": "Школа-партнёр"}] \
                if entity == "project" else None

    app = make_app("sqlite://", tmp_path, NKO_PLUGINS=[CityFields(), More()])
    specs = field_specs(app, "project")
    assert [s.name for s in specs] == ["district", "nko_day", "partner_school"]
    assert specs[0].choices[0].label_en == "Centre"
    assert specs[2].type == "text" and specs[2].public and specs[2].exported
    assert specs[2].plugin.endswith("More")
    assert field_specs(app, "project") is specs  # cached per app


def test_nko_extra_fields_same_name_from_two_plugins_is_a_startup_error(tmp_path):
    class Rival:
        __name__ = "rival_plugin"

        @hookimpl
        def nko_extra_fields(self, entity):
            return [{"name": "district", "label_ru": "Район"}] if entity == "project" else []

    with pytest.raises(PluginError) as caught:
        make_app("sqlite://", tmp_path, NKO_PLUGINS=[CityFields(), Rival()])
    message = str(caught.value)
    assert "объявляют одно и то же поле 'district'" in message and "rival_plugin" in message
    assert "CityFields" in message and "both declare the field 'district'" in message


def test_nko_extra_fields_same_name_on_other_entities_is_fine(tmp_path):
    # CityFields itself declares "district" on projects and on organizations.
    app = make_app("sqlite://", tmp_path, NKO_PLUGINS=[CityFields()])
    assert "district" in {s.name for s in field_specs(app, "organization")}


@pytest.mark.parametrize(("spec", "problem"), [
    ({"name": "Район", "label_ru": "Район"}, "латиницей"),
    ({"name": "x", "label_ru": "X", "type": "colour"}, "тип должен быть"),
    ({"name": "x", "label_ru": "X", "type": "choice"}, "варианты"),
    ({"name": "x", "label_ru": "X", "choices": ["a"]}, "варианты"),
    ({"name": "x", "label_ru": ""}, "label_ru"),
    ({"name": "x", "label_ru": "X", "type": "choice", "choices": ["a", "a"]}, "повторяются"),
    ({"name": "x", "label_ru": "X", "colour": "red"}, "неверное описание"),
])
def test_nko_extra_fields_invalid_spec_is_a_startup_error(tmp_path, spec, problem):
    class Bad:
        @hookimpl
        def nko_extra_fields(self, entity):
            return [spec]

    with pytest.raises(PluginError, match=problem):
        make_app("sqlite://", tmp_path, NKO_PLUGINS=[Bad()])


def test_labels_follow_the_locale(tmp_path):
    app = make_app("sqlite://", tmp_path, NKO_PLUGINS=[CityFields()])
    district = field_specs(app, "project")[0]
    with app.test_request_context():
        assert str(district.label) == "Микрорайон"
        with force_locale("en"):
            assert str(district.label) == "District"
            assert str(district.choice_label("north")) == "North"


# -- values ---------------------------------------------------------------------------------


def spec_of(kind, **extra) -> FieldSpec:
    choices = {"choice": DISTRICTS, "multi_choice": FOCUS}.get(kind, ())
    return make_spec({"name": "f", "label_ru": "Поле", "type": kind, "choices": choices,
                      **extra}, "project")


@pytest.mark.parametrize(("kind", "raw", "value"), [
    ("text", "  Парк «Амурский»  ", "Парк «Амурский»"),
    ("integer", "1 200", 1200),
    ("integer", -5, -5),
    ("decimal", "1 500,50", "1500.5"),
    ("decimal", "100", "100"),
    ("date", "01.03.2019", "2019-03-01"),
    ("date", "2019-03-01", "2019-03-01"),
    ("url", "https://vk.com/club1", "https://vk.com/club1"),
    ("email", "Ivan@Sportiya.example", "Ivan@sportiya.example"),
    ("boolean", "yes", True),
    ("boolean", "нет", False),
    ("boolean", False, False),
    ("choice", "south", "south"),
    ("multi_choice", ["care", "sport", "sport"], ["sport", "care"]),
    ("multi_choice", "culture", ["culture"]),
    ("text", "   ", None),
    ("multi_choice", [], None),
])
def test_values_are_coerced_to_json(kind, raw, value):
    assert clean_value(spec_of(kind), raw) == value


@pytest.mark.parametrize(("kind", "raw", "message"), [
    ("integer", "12,5", "Введите целое число."),
    ("integer", True, "Введите целое число."),
    ("integer", str(2**60), "Слишком большое число."),
    ("decimal", "двенадцать", "Введите число, например 12,5."),
    ("decimal", "NaN", "Введите число, например 12,5."),
    ("date", "31.02.2024", "Введите дату в формате ДД.ММ.ГГГГ."),
    ("url", "javascript:alert(1)", "Введите адрес сайта, начинающийся с http:// или https://."),
    ("url", "vk.com/club1", "Введите адрес сайта, начинающийся с http:// или https://."),
    ("email", "не почта", "Введите адрес электронной почты, например info@example.ru."),
    ("boolean", "может быть", "Выберите «Да» или «Нет»."),
    ("choice", "east", "Выберите значение из списка."),
    ("multi_choice", ["sport", "chess"], "Выберите значения из списка."),
])
def test_bad_values_get_russian_messages(kind, raw, message):
    with pytest.raises(FieldValueError) as caught:
        clean_value(spec_of(kind), raw)
    assert str(caught.value) == message


def test_ranges_and_lengths():
    with pytest.raises(FieldValueError, match="не меньше 0"):
        clean_value(spec_of("integer", min_value=0), "-1")
    with pytest.raises(FieldValueError, match="не больше 10"):
        clean_value(spec_of("decimal", max_value=Decimal(10)), "10,01")
    with pytest.raises(FieldValueError, match="Не больше 5 символов"):
        clean_value(spec_of("text", max_length=5), "Белогорск")


def test_stored_values_that_no_longer_fit_are_dropped():
    assert stored_value(spec_of("integer"), "12") is None  # was a text field once
    assert stored_value(spec_of("text"), ["a"]) is None
    assert stored_value(spec_of("choice"), "east") is None  # choice removed by the plugin
    assert stored_value(spec_of("boolean"), 1) is None
    assert stored_value(spec_of("integer"), 12) == 12


def test_clean_extra_checks_required_and_keeps_other_plugins_values(app):
    values, errors = clean_extra(app, "service", {"room": ""},
                                 existing={"room": "old", "old_plugin": "kept"})
    assert errors == {"extra_room": "Заполните это поле."}
    values, errors = clean_extra(app, "service", {"room": " 12 "},
                                 existing={"room": "old", "old_plugin": "kept"})
    assert errors == {} and values == {"room": "12", "old_plugin": "kept"}


def test_clean_extra_sanitizes_rich_text_like_the_core_fields(app):
    values, errors = clean_extra(app, "organization", {
        "story": '<p onclick="x()">Было <script>alert(1)</script>так</p>'})
    assert errors == {} and values["story"] == "<p>Было так</p>"
    values, _ = clean_extra(app, "organization", {"story": "Абзац один\n\nАбзац <два>"})
    assert values["story"] == "<p>Абзац один</p><p>Абзац &lt;два&gt;</p>"


def test_clean_extra_errors_are_keyed_by_form_field(app):
    _, errors = clean_extra(app, "organization", {"volunteers": "много", "vk": "ftp://x"})
    assert errors == {"extra_volunteers": "Введите целое число.",
                      "extra_vk": "Введите адрес сайта, начинающийся с http:// или https://."}


def test_nko_sanitizer_policy_applies_to_rich_text_extra_fields(tmp_path):
    class NoLinks:
        @hookimpl
        def nko_sanitizer_policy(self, policy):
            policy.tags.discard("a")

    app = make_app("sqlite://", tmp_path, NKO_PLUGINS=[CityFields(), NoLinks()])
    values, _ = clean_extra(app, "organization",
                            {"story": '<p>См. <a href="https://x.example">сайт</a></p>'})
    assert values["story"] == "<p>См. сайт</p>"


# -- storage and public pages (both backends) ------------------------------------------------


def test_extra_values_are_stored_as_json(app, session):
    org = make_org(session, extra=dict(ORG_EXTRA))
    project = make_project(session, org, extra={"district": "south", "nko_day": True})
    session.expire_all()
    stored = session.scalar(select(Organization).where(Organization.id == org.id)).extra
    assert stored == ORG_EXTRA
    assert session.get(Project, project.id).extra == {"district": "south", "nko_day": True}


def test_public_pages_show_public_extra_values(app, session, client):
    org = make_org(session, slug="sportiya", extra=dict(ORG_EXTRA))
    project = make_project(session, org, extra={"district": "south", "nko_day": False})
    service = make_service(session, org, extra={"room": "каб. 5"})

    page = page_text(client, "/nko/organizations/sportiya")
    assert re.search(r"<dt>Микрорайон</dt>\s*<dd[^>]*>Северный</dd>", page)
    assert "Культура, Спорт" not in page and "Спорт, Культура" in page  # the plugin's order
    assert re.search(r"Добровольцев</dt>\s*<dd[^>]*>12\s000</dd>", page)
    assert re.search(r"Бюджет, руб.</dt>\s*<dd[^>]*>1\s500,5</dd>", page)
    assert "1 марта 2019" in page
    assert '<a href="https://vk.com/sportiya" rel="nofollow noopener">' in page
    assert '<a href="mailto:press@sportiya.example">' in page
    assert "<p>Начали <em>во дворе</em></p>" in page
    # Internal fields never reach the public page; a removed plugin's key is ignored.
    assert "Заметка куратора" not in page and "проверить отчёт" not in page
    assert "Этап гранта" not in page and "whatever" not in page

    project_page = page_text(client, f"/nko/projects/{project.uuid}")
    assert re.search(r"Микрорайон</dt>\s*<dd[^>]*>Южный</dd>", project_page)
    assert re.search(r"Участвует в Дне НКО</dt>\s*<dd[^>]*>Нет</dd>", project_page)
    assert re.search(r"Кабинет</dt>\s*<dd[^>]*>каб. 5</dd>",
                     page_text(client, f"/nko/services/{service.uuid}"))


def test_rich_text_extra_is_cleaned_again_on_display(app, session, client):
    # Written around the form (an import, an older plugin where the field was plain text).
    make_org(session, slug="raw", extra={"story": "<p>ok<script>alert(1)</script></p>"})
    page = page_text(client, "/nko/organizations/raw")
    assert "<p>ok</p>" in page and "alert(1)" not in page


def test_pages_survive_removing_the_plugin(app, session, app_database_url, tmp_path):
    org = make_org(session, slug="sportiya", extra=dict(ORG_EXTRA))
    project = make_project(session, org, extra={"district": "south", "nko_day": True})
    without = make_app(app_database_url, tmp_path / "without")
    client = without.test_client()
    page = page_text(client, "/nko/organizations/sportiya")
    assert "Микрорайон" not in page and "Северный" not in page
    assert "Южный" not in page_text(client, f"/nko/projects/{project.uuid}")
    assert "Микрорайон" not in page_text(client, "/nko/")
    without.extensions["nko_openness"].db.engine.dispose()


def test_pages_survive_a_changed_field_type(app, session, client):
    make_org(session, slug="changed", extra={"volunteers": "много", "district": "east",
                                             "focus": "sport"})
    page = page_text(client, "/nko/organizations/changed")
    assert "много" not in page and "Добровольцев" not in page and "Микрорайон" not in page


# -- catalog filters (both backends) ---------------------------------------------------------


@pytest.fixture
def districts(session):
    return {
        "north": make_org(session, name="Северяне", extra={"district": "north",
                                                           "focus": ["sport"]}),
        "south": make_org(session, name="Южане", extra={"district": "south",
                                                        "focus": ["culture", "care"]}),
        "none": make_org(session, name="Без района"),
        "draft": make_org(session, name="Черновик севера", publish=False,
                          extra={"district": "north"}),
        "secret": make_org(session, name="Договорники", extra={"grant_stage": "договор"}),
    }


def names_on(client, url) -> set[str]:
    page = page_text(client, url)
    return {n for n in ("Северяне", "Южане", "Без района", "Черновик севера", "Договорники")
            if n in page}


def test_catalog_filters_by_a_choice_field(client, districts):
    assert names_on(client, "/nko/?extra_district=north") == {"Северяне"}
    assert names_on(client, "/nko/?extra_district=south") == {"Южане"}


def test_catalog_filters_by_a_multi_choice_field(client, districts):
    assert names_on(client, "/nko/?extra_focus=care") == {"Южане"}
    assert names_on(client, "/nko/?extra_focus=sport&extra_district=north") == {"Северяне"}
    assert names_on(client, "/nko/?extra_focus=sport&extra_district=south") == set()


def test_catalog_ignores_unknown_values_and_internal_fields(client, districts):
    everyone = {"Северяне", "Южане", "Без района", "Договорники"}
    assert names_on(client, "/nko/?extra_district=east") == everyone
    assert names_on(client, "/nko/?extra_grant_stage=договор") == everyone


def test_catalog_shows_select_boxes_for_public_choice_fields(client, districts):
    page = page_text(client, "/nko/?extra_district=south")
    assert '<select id="nko-filter-extra_district" name="extra_district">' in page
    assert '<option value="south" selected>Южный</option>' in page
    assert 'name="extra_focus"' in page and "Забота о пожилых" in page
    assert 'name="extra_grant_stage"' not in page and "Сбросить отбор" in page


def test_catalog_pages_keep_the_plugin_filter(client, session, app):
    for n in range(3):
        make_org(session, name=f"Северная НКО {n}", extra={"district": "north"})
    app.extensions["nko_openness"].config["NKO_PAGE_SIZE"] = 2
    page = page_text(client, "/nko/?extra_district=north")
    next_link = re.search(r'<a rel="next" href="([^"]+)"', page).group(1)
    assert "extra_district=north" in next_link


# -- export ---------------------------------------------------------------------------------


def test_exported_values_for_hsds_and_exports(app, session):
    org = make_org(session, extra=dict(ORG_EXTRA, volunteers="много"))
    public = exported_values(app, "organization", org)
    assert public == {"district": "north", "focus": ["sport", "culture"], "budget": "1500.5",
                      "founded": "2019-03-01", "vk": "https://vk.com/sportiya",
                      "story": "<p>Начали <em>во дворе</em></p>"}
    internal = exported_values(app, "organization", org, include_internal=True)
    assert internal["curator_note"] == "проверить отчёт" and internal["grant_stage"] == "договор"
    assert "press_email" not in internal  # exported=False: never, not even for tokens
    labelled = exported_values(app, "organization", org, labels=True)
    assert labelled["district"] == "Северный" and labelled["focus"] == ["Спорт", "Культура"]
    project = make_project(session, org, extra={"nko_day": True})
    assert exported_values(app, "project", project, labels=True) == {"nko_day": "Да"}


def test_exported_values_validate_against_the_json_schema(app, session):
    org = make_org(session, extra=dict(ORG_EXTRA))
    for internal in (False, True):
        schema = json_schema(app, "organization", include_internal=internal)
        assert ("curator_note" in schema["properties"]) is internal
        assert "press_email" not in schema["properties"]
        jsonschema.validate(
            exported_values(app, "organization", org, include_internal=internal),
            {**schema, "additionalProperties": False},
            format_checker=jsonschema.FormatChecker(),
        )


def test_display_values_for_a_draft_preview(app):
    class Draft:
        extra = {"district": "center", "nko_day": True}

    with app.test_request_context():
        shown = {v.name: str(v.text) for v in display_values(app, "project", Draft())}
    assert shown == {"district": "Центральный", "nko_day": "Да"}
