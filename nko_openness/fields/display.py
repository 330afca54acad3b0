"""Plugin fields on public pages: their values in templates and choice filters in the catalog."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from flask import Flask, current_app
from flask_babel import format_date, format_decimal
from markupsafe import Markup
from sqlalchemy import exists, func, type_coerce
from sqlalchemy.dialects.postgresql import JSONB

from nko_openness.fields.specs import (
    CHOICE_TYPES,
    FieldSpec,
    LocalizedText,
    entity_of,
    field_specs,
    stored_value,
)

# Query arguments of the catalog's plugin filters: ?extra_district=center
FILTER_PREFIX = "extra_"


@dataclass(frozen=True)
class DisplayValue:
    name: str
    label: LocalizedText
    text: Any  # str, LocalizedText or Markup (rich text, sanitized)
    href: str | None = None
    type: str = "text"


def _display(app: Flask, spec: FieldSpec, value) -> DisplayValue:
    kind, text, href = spec.type, value, None
    if kind == "rich_text":
        from nko_openness.core.sanitizer import get_sanitizer

        # Cleaned again on display: the field may have been plain text in an older version
        # of the plugin, stored unsanitized; cleaning is idempotent and these fields are few.
        text = Markup(get_sanitizer(app).clean(str(value)))
    elif kind == "boolean":
        text = LocalizedText("Да", "Yes") if value else LocalizedText("Нет", "No")
    elif kind == "choice":
        text = spec.choice_label(value)
    elif kind == "multi_choice":
        text = ", ".join(str(spec.choice_label(v)) for v in value)
    elif kind == "date":
        text = format_date(date.fromisoformat(value), "long")
    elif kind in ("integer", "decimal"):
        text = format_decimal(Decimal(str(value)), format="#,##0.##########")
    elif kind == "url":
        href = value
    elif kind == "email":
        href = f"mailto:{value}"
    return DisplayValue(spec.name, spec.label, text, href, kind)


def display_values(app: Flask, entity: str, record) -> list[DisplayValue]:
    """Public plugin fields of ``record`` that hold a value, ready for a template.

    Keys no enabled plugin declares are ignored, and values that no longer fit their field
    are skipped, so removing or changing a plugin never breaks a page.
    """
    extra = getattr(record, "extra", None) or {}
    items = []
    for spec in field_specs(app, entity):
        value = stored_value(spec, extra.get(spec.name)) if spec.public else None
        if value is not None:
            items.append(_display(app, spec, value))
    return items


def init_templates(app: Flask) -> None:
    """``nko_extra_values(record)`` in every template (the _extra_fields.html macros use it)."""

    def nko_extra_values(record, entity: str | None = None) -> list[DisplayValue]:
        return display_values(current_app, entity or entity_of(record), record)

    app.add_template_global(nko_extra_values)


# -- catalog filters ------------------------------------------------------------------------


@dataclass(frozen=True)
class CatalogFilter:
    """One select box of the public catalog for a public choice field."""

    spec: FieldSpec
    arg: str
    selected: str | None

    @property
    def label(self) -> LocalizedText:
        return self.spec.label

    @property
    def options(self):
        return [(c.value, c.label) for c in self.spec.choices]


def filter_specs(app: Flask, entity: str) -> list[FieldSpec]:
    """Fields the public may filter by: public choice and multi-choice fields."""
    return [s for s in field_specs(app, entity) if s.public and s.type in CHOICE_TYPES]


def catalog_filters(app: Flask, entity: str, args: Mapping[str, str]):
    """(select boxes for the template, filters for the catalog query) from query arguments.

    Unknown values are ignored rather than rejected: a link kept from before a plugin
    changed its choices still opens the catalog.
    """
    boxes, filters = [], {}
    for spec in filter_specs(app, entity):
        arg = FILTER_PREFIX + spec.name
        value = args.get(arg) or None
        if value not in spec.choice_values:
            value = None
        boxes.append(CatalogFilter(spec, arg, value))
        if value is not None:
            filters[spec.name] = [value] if spec.type == "multi_choice" else value
    return boxes, filters


def extra_filter_clause(column, name: str, value: str | list[str], dialect: str):
    """SQL for "extra[name] is value" (a list: "extra[name] contains value").

    PostgreSQL uses JSONB containment (``extra @> '{"name": "value"}'``), which a GIN index
    on ``extra`` (``jsonb_path_ops``) serves; SQLite uses ``json_extract``/``json_each``.
    Neither is indexed by the module's own migrations: see docs/plugins.md on scale.
    """
    if dialect == "postgresql":
        return type_coerce(column, JSONB).contains({name: value})
    path = f'$."{name}"'  # names are checked identifiers ([a-z0-9_]), safe in a path
    if isinstance(value, list):
        items = func.json_each(column, path).table_valued("value")
        return exists().select_from(items).where(items.c.value.in_(value))
    return func.json_extract(column, path) == value
