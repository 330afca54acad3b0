"""The cabinet's forms (Flask-WTF, CSRF on); the disclosure service has the final word on values.

Fields are named as the model's columns, so the service's errors land next to the right field.
Numbers and dates are text fields: what the editor typed comes back unchanged when a check
fails, and the service explains the problem in Russian.
"""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from nko_openness.core.i18n import category_name
from nko_openness.core.i18n import lazy_gettext as _l
from nko_openness.core.vocabularies import (
    ACTIVITY_TYPES,
    DOCUMENT_KINDS,
    LEGAL_FORMS,
    PROJECT_STATUSES,
    SERVICE_STATUSES,
)

NAME_REQUIRED = _l("Укажите название.")
RICH_TEXT_HINT = _l("Абзацы разделяйте пустой строкой. Можно вставить простую разметку HTML: "
                    "ссылки, списки, выделение.")


class MultiCheckboxField(SelectMultipleField):
    """Checkboxes for a list of choices; unknown values are the service's to refuse."""

    # Each choice is its own checkbox (the default would draw <option>s outside a <select>).
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("validate_choice", False)
        super().__init__(*args, **kwargs)


def _choices(mapping: dict[str, str]) -> list:
    # The vocabularies' labels are Russian msgids: translated when the form is drawn.
    return [SelectChoice(value, _l(label)) for value, label in mapping.items()]


class _VersionedForm(FlaskForm):
    # The revision number the editor started from: the expected-version check.
    version = HiddenField()


class OrganizationForm(_VersionedForm):
    name = StringField(_l("Полное наименование"), [InputRequired(NAME_REQUIRED), Length(max=500)])
    alternate_name = StringField(_l("Краткое наименование"), [Optional(), Length(max=255)])
    legal_form = SelectField(_l("Организационно-правовая форма"), choices=_choices(LEGAL_FORMS),
                             validate_choice=False)
    inn = StringField(_l("ИНН"), render_kw={"inputmode": "numeric", "autocomplete": "off"})
    ogrn = StringField(_l("ОГРН"), render_kw={"inputmode": "numeric", "autocomplete": "off"})
    kpp = StringField(_l("КПП"), render_kw={"autocomplete": "off"})
    year_incorporated = StringField(_l("Год создания"), render_kw={"inputmode": "numeric"})
    in_registry = BooleanField(_l("Организация включена в реестр СО НКО — получателей поддержки"))
    description = TextAreaField(_l("Об организации"), render_kw={"rows": 8})
    mission = TextAreaField(_l("Миссия"), render_kw={"rows": 4})
    activities = MultiCheckboxField(_l("Виды деятельности (ст. 31.1 Федерального закона № 7-ФЗ)"),
                                    choices=_choices(ACTIVITY_TYPES))
    categories = MultiCheckboxField(_l("С кем работает организация"))
    website = StringField(_l("Сайт"), render_kw={"type": "url", "autocomplete": "url"})
    social_links = TextAreaField(_l("Страницы в социальных сетях"), render_kw={"rows": 3})
    email = StringField(_l("Электронная почта"), render_kw={"type": "email"})
    phone = StringField(_l("Телефон"), render_kw={"type": "tel"})
    contact_role = StringField(_l("Контактное лицо (должность)"))
    address = StringField(_l("Адрес"))
    locality = StringField(_l("Населённый пункт"))
    minjust_reports_url = StringField(_l("Ссылка на отчёты на портале Минюста России"),
                                      render_kw={"type": "url"})
    save = SubmitField(_l("Сохранить черновик"))


class NewOrganizationForm(OrganizationForm):
    slug = StringField(_l("Адрес страницы (латиницей)"), [Optional(), Length(max=120)])


class ServiceForm(_VersionedForm):
    name = StringField(_l("Название услуги"), [InputRequired(NAME_REQUIRED), Length(max=500)])
    alternate_name = StringField(_l("Краткое название"), [Optional(), Length(max=255)])
    service_status = SelectField(_l("Состояние"), choices=_choices(SERVICE_STATUSES),
                                 validate_choice=False)
    description = TextAreaField(_l("Описание услуги"), render_kw={"rows": 8})
    categories = MultiCheckboxField(_l("Для кого услуга"))
    eligibility_description = TextAreaField(_l("Кто может получить"), render_kw={"rows": 3})
    minimum_age = StringField(_l("Возраст от (лет)"), render_kw={"inputmode": "numeric"})
    maximum_age = StringField(_l("Возраст до (лет)"), render_kw={"inputmode": "numeric"})
    is_free = BooleanField(_l("Услуга бесплатная"))
    fees_description = TextAreaField(_l("Стоимость и условия оплаты"), render_kw={"rows": 2})
    application_process = TextAreaField(_l("Как получить услугу"), render_kw={"rows": 3})
    schedule_description = TextAreaField(_l("Расписание"), render_kw={"rows": 2})
    service_area = StringField(_l("Территория"))
    address = StringField(_l("Адрес, где оказывается услуга"))
    url = StringField(_l("Страница услуги в интернете"), render_kw={"type": "url"})
    email = StringField(_l("Электронная почта"), render_kw={"type": "email"})
    phone = StringField(_l("Телефон"), render_kw={"type": "tel"})
    contact_role = StringField(_l("Контактное лицо (должность)"))
    save = SubmitField(_l("Сохранить черновик"))


class ResultRowForm(Form):
    indicator = StringField(_l("Показатель"))
    unit = StringField(_l("Единица измерения"))
    planned = StringField(_l("План"), render_kw={"inputmode": "decimal"})
    achieved = StringField(_l("Достигнуто"), render_kw={"inputmode": "decimal"})
    remove = BooleanField(_l("Удалить строку"))


class FundingRowForm(Form):
    funder = StringField(_l("Кто выделил средства"))
    programme = StringField(_l("Программа, конкурс"))
    amount = StringField(_l("Сумма, руб."), render_kw={"inputmode": "decimal"})
    award_date = StringField(_l("Дата решения"), render_kw={"type": "date"})
    remove = BooleanField(_l("Удалить строку"))


class ProjectForm(_VersionedForm):
    name = StringField(_l("Название проекта"), [InputRequired(NAME_REQUIRED), Length(max=500)])
    alternate_name = StringField(_l("Краткое название"), [Optional(), Length(max=255)])
    project_status = SelectField(_l("Состояние"), choices=_choices(PROJECT_STATUSES),
                                 validate_choice=False)
    start_date = StringField(_l("Дата начала"), render_kw={"type": "date"})
    end_date = StringField(_l("Дата окончания"), render_kw={"type": "date"})
    description = TextAreaField(_l("Описание проекта"), render_kw={"rows": 6})
    goal = TextAreaField(_l("Цель"), render_kw={"rows": 3})
    tasks = TextAreaField(_l("Задачи"), render_kw={"rows": 5})
    categories = MultiCheckboxField(_l("Целевые группы"))
    geography = StringField(_l("География"))
    partners = TextAreaField(_l("Партнёры"), render_kw={"rows": 2})
    url = StringField(_l("Страница проекта в интернете"), render_kw={"type": "url"})
    results = FieldList(FormField(ResultRowForm), min_entries=1, max_entries=100)
    fundings = FieldList(FormField(FundingRowForm), min_entries=1, max_entries=100)
    add_result = SubmitField(_l("Добавить строку результатов"))
    add_funding = SubmitField(_l("Добавить строку финансирования"))
    save = SubmitField(_l("Сохранить черновик"))


class DocumentForm(FlaskForm):
    title = StringField(_l("Название документа"),
                        [InputRequired(_l("Укажите название документа.")), Length(max=500)])
    kind = SelectField(_l("Вид документа"), choices=_choices(DOCUMENT_KINDS),
                       validate_choice=False)
    year = StringField(_l("Год"), render_kw={"inputmode": "numeric"})
    file = FileField(_l("Файл PDF"), [FileRequired(_l("Выберите файл PDF."))],
                     render_kw={"accept": "application/pdf,.pdf"})
    upload = SubmitField(_l("Загрузить"))


class ConfirmForm(FlaskForm):
    """A button that changes something: only the CSRF token travels with it."""


FORMS = {"organization": OrganizationForm, "service": ServiceForm, "project": ProjectForm}


def set_category_choices(form, categories) -> None:
    """Top-level terms with their children, in vocabulary order."""
    choices = []
    for category in categories:
        name = category_name(category)
        choices.append(SelectChoice(category.slug, name))
        choices += [SelectChoice(child.slug, f"{name}: {category_name(child)}")
                    for child in category.children]
    form.categories.choices = choices


def form_values(data: dict[str, Any], html_for_editing) -> dict[str, Any]:
    """A draft's snapshot as form data: rich text back as typed, numbers without trailing .00."""
    values = dict(data)
    for key in ("description", "mission", "goal", "tasks"):
        if key in values:
            values[key] = html_for_editing(values[key])
    if isinstance(values.get("social_links"), list):
        values["social_links"] = "\n".join(values["social_links"])
    for key in ("results", "fundings"):
        if key in values:
            values[key] = [{k: _plain_number(v) for k, v in row.items()} for row in values[key]]
            if not values[key]:
                values[key] = [{}]
    return values


def _plain_number(value):
    if isinstance(value, str) and value.endswith(".00") and value[:-3].lstrip("-").isdigit():
        return value[:-3]
    return value


def apply_errors(form, errors: dict[str, str]) -> dict[str, str]:
    """Put the service's errors next to their fields; return those no field could take."""
    unplaced = {}
    for key, message in errors.items():
        field = _find_field(form, key)
        if field is None:
            unplaced[key] = message
        else:
            field.errors = [*list(field.errors or ()), message]
    return unplaced


def _find_field(form, key: str):
    if key in form:
        return form[key]
    # Row errors use WTForms ids: results-0-indicator.
    name, _, rest = key.partition("-")
    index, _, sub = rest.partition("-")
    if name in form and index.isdigit() and sub:
        rows = form[name].entries
        if int(index) < len(rows) and sub in rows[int(index)].form:
            return rows[int(index)].form[sub]
    return None


def field_attrs(field, hint=None, readonly: bool = False) -> dict[str, Any]:
    """ARIA attributes tying an input to its hint and error text (screen readers read both)."""
    ids = [f"{field.id}-hint"] if hint else []
    attrs: dict[str, Any] = {}
    if field.errors:
        ids.append(f"{field.id}-error")
        attrs["aria-invalid"] = "true"
    if ids:
        attrs["aria-describedby"] = " ".join(ids)
    if readonly:
        attrs["disabled"] = True
    return attrs


def error_list(form) -> list[tuple[str, str, str]]:
    """Every error as (field id, label, message), rows included, for the summary at the top."""
    found = []
    for field in form:
        if field.type == "FieldList":
            for number, entry in enumerate(field.entries, start=1):
                for sub in entry.form:
                    label = f"{sub.label.text}, {_l('строка')} {number}"
                    found += [(sub.id, label, e) for e in sub.errors]
        elif field.type != "CSRFTokenField":
            found += [(field.id, str(field.label.text), e) for e in field.errors]
        else:
            found += [("", "", e) for e in field.errors]
    return found
