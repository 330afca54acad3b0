"""Plugin fields in the cabinet forms: a Flask-WTF form class extended per app and entity.

    ProjectForm = extend_form(forms.ProjectForm, current_app, "project")
    form = ProjectForm(data={**form_values(draft),
                             **form_data_from_extra(draft.get("extra"), current_app, "project")})
    if form.validate_on_submit():
        values = {..., "extra": extra_from_form(form, current_app, "project")}
        disclosure.save_draft(...)   # cleans them with fields.clean_extra
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask
from wtforms import Field, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import StopValidation, ValidationError
from wtforms.widgets import (
    CheckboxInput,
    DateInput,
    EmailInput,
    ListWidget,
    NumberInput,
    TextInput,
    URLInput,
)

from nko_openness.core.plugins import derived
from nko_openness.fields.specs import (
    FieldSpec,
    FieldValueError,
    LocalizedText,
    clean_value,
    field_specs,
    form_field_name,
    required_message,
    stored_value,
)

_NOT_SET = ("", LocalizedText("— не выбрано —", "— not set —"))


class ExtraValue:
    """WTForms validator: the value must fit its spec (Russian messages)."""

    def __init__(self, spec: FieldSpec):
        self.spec = spec
        # Checkbox lists would get "required" on every box, demanding all of them.
        self.field_flags = {"required": True} if spec.required and \
            spec.type != "multi_choice" else {}

    def __call__(self, form, field: Field) -> None:
        try:
            value = clean_value(self.spec, field.data)
        except FieldValueError as exc:
            raise ValidationError(str(exc)) from None
        if value is None and self.spec.required:
            raise StopValidation(required_message(self.spec))


def make_form_field(spec: FieldSpec):
    """An unbound WTForms field for ``spec``; every input is parsed by the spec, not WTForms."""
    options = {"label": spec.label, "description": spec.help or "",
               "validators": [ExtraValue(spec)]}
    choices = [(c.value, c.label) for c in spec.choices]
    kind = spec.type
    if kind == "rich_text":
        return TextAreaField(render_kw={"rows": 6, "data-nko-rich": "1"}, **options)
    if kind == "boolean":
        # Yes / no / not answered: a checkbox cannot tell "no" from "not filled in yet".
        return SelectField(choices=[_NOT_SET, ("yes", LocalizedText("Да", "Yes")),
                                    ("no", LocalizedText("Нет", "No"))],
                           validate_choice=False, **options)
    if kind == "choice":
        return SelectField(choices=[_NOT_SET, *choices], validate_choice=False, **options)
    if kind == "multi_choice":
        return SelectMultipleField(choices=choices, validate_choice=False,
                                   widget=ListWidget(prefix_label=False),
                                   option_widget=CheckboxInput(), **options)
    widget, render_kw = {
        "integer": (NumberInput(step="1"), {"inputmode": "numeric"}),
        "decimal": (TextInput(), {"inputmode": "decimal"}),
        "date": (DateInput(), {}),
        "url": (URLInput(), {"inputmode": "url", "placeholder": "https://"}),
        "email": (EmailInput(), {"inputmode": "email"}),
    }.get(kind, (TextInput(), {}))
    if spec.max_length:
        render_kw["maxlength"] = spec.max_length
    return StringField(widget=widget, render_kw=render_kw, **options)


def extend_form(form_class: type, app: Flask, entity: str) -> type:
    """A subclass of ``form_class`` with the app's plugin fields for ``entity``, cached.

    The form class is module-global and apps differ in their plugins, so the fields are
    added to a per-app subclass, never to ``form_class`` itself.
    """
    def build():
        specs = field_specs(app, entity)
        attrs: dict[str, Any] = {form_field_name(s.name): make_form_field(s) for s in specs}
        attrs["nko_extra_entity"] = entity
        attrs["nko_extra_fields"] = tuple(form_field_name(s.name) for s in specs)
        return type(form_class.__name__, (form_class,), attrs)

    return derived(app, ("form", form_class, entity), build)


def extra_fields_of(form) -> list[Field]:
    """The bound plugin fields of a form made by :func:`extend_form`, in plugin order."""
    return [form[name] for name in getattr(form, "nko_extra_fields", ())]


def extra_from_form(form, app: Flask, entity: str) -> dict[str, Any]:
    """What the editor submitted for the plugin fields, by field name (not yet cleaned).

    Hand it to the disclosure service as ``values["extra"]``; :func:`fields.clean_extra`
    turns it into the JSON to store (rich text sanitized) or errors keyed ``extra_<name>``.
    """
    return {s.name: form[form_field_name(s.name)].data
            for s in field_specs(app, entity) if form_field_name(s.name) in form}


def form_data_from_extra(extra: Mapping[str, Any] | None, app: Flask,
                         entity: str) -> dict[str, Any]:
    """Stored values as the form's ``data=`` expects them (``{"extra_district": "center"}``)."""
    from nko_openness.publishing.disclosure import html_for_editing

    out = {}
    for spec in field_specs(app, entity):
        value = stored_value(spec, (extra or {}).get(spec.name))
        if spec.type == "boolean":
            value = "" if value is None else ("yes" if value else "no")
        elif spec.type == "rich_text":
            value = html_for_editing(value)
        out[form_field_name(spec.name)] = value
    return out
