"""The three data sets (organizations, services, projects): their columns and their rows."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import Flask

from nko_openness.core.i18n import N_
from nko_openness.core.sanitizer import html_to_text
from nko_openness.core.vocabularies import ACTIVITY_TYPES, PROJECT_STATUSES, SERVICE_STATUSES
from nko_openness.export import feed, hsds_query
from nko_openness.fields.specs import exported_values, field_specs
from nko_openness.models import Organization, Project, Service

# Formats of the structure file (methodology v3.0, «формат» column).
STRING, INTEGER, FLOAT, DATE, BOOLEAN = "string", "integer", "float", "date", "boolean"
EXTRA_FORMATS = {"integer": INTEGER, "decimal": FLOAT, "date": DATE, "boolean": BOOLEAN}
LIST_SEPARATOR = "; "


@dataclass(frozen=True)
class Column:
    name: str  # Latin, the CSV header
    en: str
    ru: str
    format: str
    value: Callable[[Any, str], Any]  # (record, base_url) -> value


@dataclass(frozen=True)
class Dataset:
    code: str  # part of the identifier: <owner INN>-<code>
    entity: str  # nko_extra_fields entity
    model: type
    title: str
    description: str
    subject: str
    columns: tuple[Column, ...]


def _text(attr):
    return lambda record, _base: html_to_text(getattr(record, attr))


def _attr(attr):
    return lambda record, _base: getattr(record, attr)


def _categories(record, _base):
    return LIST_SEPARATOR.join(c.name for c in record.categories)


def _org(attr):
    return lambda record, _base: getattr(record.organization, attr)


def _page(path_of):
    return lambda record, base: f"{base}{path_of(record)}"


COMMON_HEAD = (
    Column("id", "Identifier (UUID)", "Идентификатор (UUID)", STRING,
           lambda r, _b: str(r.uuid)),
)
CHILD_HEAD = (
    Column("organization_id", "Organization identifier (UUID)", "Идентификатор организации",
           STRING, lambda r, _b: str(r.organization.uuid)),
    Column("organization_name", "Organization name", "Наименование организации", STRING,
           _org("name")),
    Column("organization_inn", "Organization INN", "ИНН организации", STRING, _org("inn")),
)

ORGANIZATIONS = Dataset(
    "nkoorganizations", "organization", Organization,
    # Titles are passport data (Russian); N_ puts them in the catalogue for the page links.
    N_("Социально ориентированные некоммерческие организации"),
    "Сведения о социально ориентированных НКО, раскрытые ими в разделе «Некоммерческие "
    "организации» и проверенные модератором: виды деятельности, категории граждан, контакты.",
    "СО НКО, некоммерческие организации, социальная поддержка, категории граждан",
    COMMON_HEAD + (
        Column("name", "Full name", "Полное наименование", STRING, _attr("name")),
        Column("short_name", "Short name", "Сокращённое наименование", STRING,
               _attr("alternate_name")),
        Column("legal_form", "Legal form", "Организационно-правовая форма", STRING,
               _attr("legal_form_label")),
        Column("inn", "INN", "ИНН", STRING, _attr("inn")),
        Column("ogrn", "OGRN", "ОГРН", STRING, _attr("ogrn")),
        Column("kpp", "KPP", "КПП", STRING, _attr("kpp")),
        Column("year_incorporated", "Year of registration", "Год регистрации", INTEGER,
               _attr("year_incorporated")),
        Column("in_registry", "In the register of socially oriented NKOs (7-FZ art. 31.2)",
               "Включена в реестр СО НКО (ст. 31.2 7-ФЗ)", BOOLEAN, _attr("in_registry")),
        Column("activity_types", "Activity types (7-FZ art. 31.1)",
               "Виды деятельности (ст. 31.1 7-ФЗ)", STRING,
               lambda r, _b: LIST_SEPARATOR.join(
                   ACTIVITY_TYPES.get(row.activity, row.activity) for row in r.activity_rows)),
        Column("beneficiary_categories", "Beneficiary categories", "Категории граждан",
               STRING, _categories),
        Column("mission", "Mission", "Миссия", STRING, _text("mission")),
        Column("description", "Description", "Описание деятельности", STRING,
               _text("description")),
        Column("locality", "Locality", "Населённый пункт", STRING, _attr("locality")),
        Column("address", "Address", "Адрес", STRING, _attr("address")),
        Column("phone", "Phone", "Телефон", STRING, _attr("phone")),
        Column("email", "E-mail", "Электронная почта", STRING, _attr("email")),
        Column("website", "Website", "Сайт", STRING, _attr("website")),
        Column("minjust_reports_url", "Reports on the Ministry of Justice portal",
               "Отчёты на портале Минюста России", STRING, _attr("minjust_reports_url")),
        Column("page_url", "Page in the catalog", "Страница в каталоге", STRING,
               _page(lambda r: f"/organizations/{r.slug}")),
        Column("last_modified", "Date of the last publication", "Дата последней публикации",
               DATE, _attr("last_published_at")),
    ),
)

SERVICES = Dataset(
    "nkoservices", "service", Service,
    N_("Услуги социально ориентированных НКО"),
    "Услуги, которые социально ориентированные НКО оказывают жителям: кому, на каких "
    "условиях, как получить.",
    "услуги НКО, социальные услуги, категории граждан, СО НКО",
    COMMON_HEAD + CHILD_HEAD + (
        Column("name", "Service name", "Наименование услуги", STRING, _attr("name")),
        Column("description", "Description", "Описание", STRING, _text("description")),
        Column("status", "Status", "Состояние", STRING,
               lambda r, _b: SERVICE_STATUSES.get(r.service_status, r.service_status)),
        Column("beneficiary_categories", "Beneficiary categories", "Категории граждан",
               STRING, _categories),
        Column("eligibility", "Who is eligible", "Кто может получить", STRING,
               _text("eligibility_description")),
        Column("minimum_age", "Minimum age", "Возраст от", INTEGER, _attr("minimum_age")),
        Column("maximum_age", "Maximum age", "Возраст до", INTEGER, _attr("maximum_age")),
        Column("is_free", "Free of charge", "Бесплатно", BOOLEAN, _attr("is_free")),
        Column("fees", "Fees", "Стоимость", STRING, _text("fees_description")),
        Column("application_process", "How to apply", "Как получить", STRING,
               _text("application_process")),
        Column("schedule", "Schedule", "График", STRING, _text("schedule_description")),
        Column("service_area", "Service area", "Территория", STRING, _attr("service_area")),
        Column("address", "Address", "Адрес", STRING, _attr("address")),
        Column("phone", "Phone", "Телефон", STRING, _attr("phone")),
        Column("email", "E-mail", "Электронная почта", STRING, _attr("email")),
        Column("url", "Website", "Сайт", STRING, _attr("url")),
        Column("page_url", "Page in the catalog", "Страница в каталоге", STRING,
               _page(lambda r: f"/services/{r.uuid}")),
        Column("last_modified", "Date of the last publication", "Дата последней публикации",
               DATE, _attr("last_published_at")),
    ),
)

PROJECTS = Dataset(
    "nkoprojects", "project", Project,
    N_("Проекты социально ориентированных НКО"),
    "Проекты социально ориентированных НКО: цели, сроки, целевые группы, финансирование.",
    "проекты НКО, гранты, целевые группы, СО НКО",
    COMMON_HEAD + CHILD_HEAD + (
        Column("name", "Project name", "Наименование проекта", STRING, _attr("name")),
        Column("goal", "Goal", "Цель", STRING, _text("goal")),
        Column("tasks", "Tasks", "Задачи", STRING, _text("tasks")),
        Column("description", "Description", "Описание", STRING, _text("description")),
        Column("status", "Status", "Состояние", STRING,
               lambda r, _b: PROJECT_STATUSES.get(r.project_status, r.project_status)),
        Column("start_date", "Start date", "Дата начала", DATE, _attr("start_date")),
        Column("end_date", "End date", "Дата окончания", DATE, _attr("end_date")),
        Column("geography", "Geography", "География", STRING, _attr("geography")),
        Column("target_groups", "Target groups (beneficiary categories)",
               "Целевые группы (категории граждан)", STRING, _categories),
        Column("partners", "Partners", "Партнёры", STRING, _text("partners")),
        Column("funders", "Funders and programmes", "Источники финансирования", STRING,
               lambda r, _b: LIST_SEPARATOR.join(
                   f.funder + (f" ({f.programme})" if f.programme else "")
                   for f in r.fundings)),
        Column("funding_total_rub", "Total funding, RUB", "Сумма финансирования, руб.", FLOAT,
               lambda r, _b: sum((f.amount for f in r.fundings
                                  if f.amount is not None and f.currency == "RUB"),
                                 Decimal(0)) if r.fundings else None),
        Column("url", "Website", "Сайт", STRING, _attr("url")),
        Column("page_url", "Page in the catalog", "Страница в каталоге", STRING,
               _page(lambda r: f"/projects/{r.uuid}")),
        Column("last_modified", "Date of the last publication", "Дата последней публикации",
               DATE, _attr("last_published_at")),
    ),
)

DATASETS = (ORGANIZATIONS, SERVICES, PROJECTS)


def extra_columns(app: Flask, dataset: Dataset) -> tuple[Column, ...]:
    """Public exported plugin fields, as columns ``extra_<name>`` after the module's own."""
    columns = []
    for spec in field_specs(app, dataset.entity):
        if not (spec.exported and spec.public):
            continue
        columns.append(Column(
            f"extra_{spec.name}", spec.label_en or spec.label_ru, spec.label_ru,
            EXTRA_FORMATS.get(spec.type, STRING), lambda _r, _b: None))
    return tuple(columns)


def all_columns(app: Flask, dataset: Dataset) -> tuple[Column, ...]:
    return dataset.columns + extra_columns(app, dataset)


def cell(value: Any) -> str:
    """One CSV cell: ISO dates, true/false, exact decimals, lists joined, None empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, list | tuple):
        return LIST_SEPARATOR.join(cell(v) for v in value)
    return str(value)


def rows(app: Flask, dataset: Dataset, base_url: str) -> Iterator[list[str]]:
    """Every published record of the set as CSV cells, read in chunks from one snapshot."""
    extras = [spec for spec in field_specs(app, dataset.entity)
              if spec.exported and spec.public]
    engine = app.extensions["nko_openness"].db.engine
    with feed.consistent_session(engine) as session:
        for record in hsds_query.iterate(session, dataset.model):
            out = [cell(column.value(record, base_url)) for column in dataset.columns]
            if extras:
                labelled = exported_values(app, dataset.entity, record, labels=True)
                raw = exported_values(app, dataset.entity, record)
                for spec in extras:
                    value = raw.get(spec.name) if spec.type == "boolean" else \
                        labelled.get(spec.name)
                    if spec.type == "rich_text":
                        value = html_to_text(value)
                    out.append(cell(value))
            yield out
