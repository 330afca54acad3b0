"""Plugin fields in the cabinet's Flask-WTF forms: fields, validation, prefill, the macro."""

from __future__ import annotations

import re

import pytest
from conftest import make_app
from flask import render_template_string
from flask_wtf import FlaskForm
from test_fields import CityFields
from werkzeug.datastructures import MultiDict
from wtforms import StringField

from nko_openness.fields.forms import (
    extend_form,
    extra_fields_of,
    extra_from_form,
    form_data_from_extra,
)
from nko_openness.fields.specs import clean_extra

MACRO = ('{% from "nko_openness/_extra_fields.html" import extra_inputs with context %}'
         "{{ extra_inputs(form) }}")


class BaseForm(FlaskForm):
    name = StringField("Название")


@pytest.fixture
def app(tmp_path):
    # Forms never touch the database.
    return make_app("sqlite://", tmp_path, NKO_PLUGINS=[CityFields()])


def post(app, form_class, data):
    with app.test_request_context(method="POST", data=MultiDict(data)):
        form = form_class()
        return form, form.validate()


def test_extend_form_adds_the_plugin_fields_to_a_subclass(app, tmp_path):
    ProjectForm = extend_form(BaseForm, app, "project")
    assert issubclass(ProjectForm, BaseForm) and ProjectForm is not BaseForm
    assert ProjectForm.nko_extra_fields == ("extra_district", "extra_nko_day")
    assert not hasattr(BaseForm, "extra_district")
    assert extend_form(BaseForm, app, "project") is ProjectForm  # built once per app
    plain = make_app("sqlite://", tmp_path / "plain")
    assert extend_form(BaseForm, plain, "project").nko_extra_fields == ()


def test_real_cabinet_forms_can_be_extended(app):
    from nko_openness.cabinet.forms import FORMS

    with app.test_request_context():
        for entity, form_class in FORMS.items():
            form = extend_form(form_class, app, entity)()
            assert [f.name for f in extra_fields_of(form)] == list(form.nko_extra_fields)
            assert "name" in form  # the core fields are still there


def test_valid_submission_is_stored_via_clean_extra(app):
    OrgForm = extend_form(BaseForm, app, "organization")
    form, valid = post(app, OrgForm, [
        ("name", "СПОРТиЯ"), ("extra_district", "north"), ("extra_focus", "care"),
        ("extra_focus", "sport"), ("extra_volunteers", "1 200"), ("extra_budget", "10,5"),
        ("extra_founded", "2019-03-01"), ("extra_vk", "https://vk.com/x"),
        ("extra_story", "Первый абзац\n\nВторой"), ("extra_curator_note", ""),
    ])
    assert valid, form.errors
    raw = extra_from_form(form, app, "organization")
    assert raw["district"] == "north" and raw["focus"] == ["care", "sport"]
    values, errors = clean_extra(app, "organization", raw, existing={"old": 1})
    assert errors == {}
    assert values == {"old": 1, "district": "north", "focus": ["sport", "care"],
                      "volunteers": 1200, "budget": "10.5", "founded": "2019-03-01",
                      "vk": "https://vk.com/x", "story": "<p>Первый абзац</p><p>Второй</p>"}


def test_invalid_submission_keeps_input_and_explains_in_russian(app):
    OrgForm = extend_form(BaseForm, app, "organization")
    form, valid = post(app, OrgForm, [("extra_volunteers", "много"), ("extra_vk", "vk.com"),
                                      ("extra_district", "east"), ("extra_founded", "вчера")])
    assert not valid
    assert form.extra_volunteers.errors == ["Введите целое число."]
    assert form.extra_vk.errors == ["Введите адрес сайта, начинающийся с http:// или https://."]
    assert form.extra_district.errors == ["Выберите значение из списка."]
    assert form.extra_founded.errors == ["Введите дату в формате ДД.ММ.ГГГГ."]
    assert form.extra_volunteers.data == "много"  # what was typed comes back


def test_required_field(app):
    ServiceForm = extend_form(BaseForm, app, "service")
    form, valid = post(app, ServiceForm, [("extra_room", " ")])
    assert not valid and form.extra_room.errors == ["Заполните это поле."]
    assert form.extra_room.flags.required
    _form, valid = post(app, ServiceForm, [("extra_room", "каб. 5")])
    assert valid


def test_prefill_from_stored_extra(app):
    OrgForm = extend_form(BaseForm, app, "organization")
    stored = {"district": "south", "focus": ["culture"], "volunteers": 7,
              "story": "<p>Раз</p><p>Два</p>", "vk": ["not", "a", "url"]}
    data = form_data_from_extra(stored, app, "organization")
    assert data["extra_district"] == "south" and data["extra_story"] == "Раз\n\nДва"
    assert data["extra_vk"] is None  # a value that no longer fits is not offered back
    ProjectForm = extend_form(BaseForm, app, "project")
    assert form_data_from_extra({"nko_day": False}, app, "project")["extra_nko_day"] == "no"
    with app.test_request_context():
        html = render_template_string(MACRO, form=OrgForm(data=data))
        assert '<option selected value="south">Южный</option>' in html
        assert re.search(r'<input checked id="extra_focus-1"[^>]*value="culture"', html)
        assert 'value="7"' in html
        project_html = render_template_string(MACRO, form=ProjectForm(
            data=form_data_from_extra({"nko_day": True}, app, "project")))
        assert '<option selected value="yes">Да</option>' in project_html


def test_macro_renders_labels_help_and_errors(app):
    ServiceForm = extend_form(BaseForm, app, "service")
    with app.test_request_context(method="POST", data={"extra_room": ""}):
        form = ServiceForm()
        form.validate()
        html = render_template_string(MACRO, form=form)
    assert "<legend>Дополнительные сведения</legend>" in html
    assert '<label for="extra_room">Кабинет</label>' in html
    assert re.search(r'<input aria-describedby="extra_room-help extra_room-error" '
                     r'aria-invalid="true" id="extra_room" name="extra_room" required', html)
    assert '<p class="nko-help" id="extra_room-help">Номер кабинета или «по записи»</p>' in html
    assert '<p class="nko-error" id="extra_room-error">Заполните это поле.</p>' in html


def test_macro_renders_nothing_without_plugin_fields(app):
    with app.test_request_context():
        assert render_template_string(MACRO, form=BaseForm()).strip() == ""
