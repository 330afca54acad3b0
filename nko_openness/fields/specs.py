"""Plugin fields (``nko_extra_fields``): specs, validation, ``extra`` storage and export."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from flask import Flask
from flask_babel import get_locale
from markupsafe import escape

from nko_openness.core.plugins import PluginError, call_one, derived, implementations
from nko_openness.fields.values import (
    CHOICE_TYPES,
    FieldValueError,
    clean_value,
    required_message,
    stored_value,
)

ENTITIES = ("organization", "service", "project")
TYPES = ("text", "rich_text", "integer", "decimal", "date", "url", "email", "boolean",
         "choice", "multi_choice")
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
# Form field (and error key) of a plugin field: "district" is "extra_district", so it never
# collides with a core field such as "name" or "version" in the cabinet's forms.
FORM_PREFIX = "extra_"


class LocalizedText:
    """A Russian text with an English translation, chosen when it is rendered."""

    __slots__ = ("ru", "en")

    def __init__(self, ru: str, en: str | None = None):
        self.ru = ru
        self.en = en or ru

    def __str__(self) -> str:
        locale = get_locale()
        return self.en if locale is not None and locale.language == "en" else self.ru

    def __html__(self) -> str:
        return str(escape(str(self)))

    def __repr__(self) -> str:
        return f"LocalizedText({self.ru!r}, {self.en!r})"


class Choice(NamedTuple):
    value: str
    label_ru: str
    label_en: str

    @property
    def label(self) -> LocalizedText:
        return LocalizedText(self.label_ru, self.label_en)


@dataclass(frozen=True)
class FieldSpec:
    """One field a plugin adds to an entity; values live in the record's ``extra`` JSON."""

    name: str
    label_ru: str
    label_en: str | None = None
    type: str = "text"
    choices: tuple[Choice, ...] = ()
    required: bool = False
    help_ru: str | None = None
    help_en: str | None = None
    public: bool = True  # shown on public pages and in public feeds
    exported: bool = True  # included in HSDS output and exports
    max_length: int | None = None  # text, rich_text, url, email
    min_value: int | Decimal | None = None  # integer, decimal
    max_value: int | Decimal | None = None
    plugin: str | None = field(default=None, compare=False)  # who declared it

    @property
    def label(self) -> LocalizedText:
        return LocalizedText(self.label_ru, self.label_en)

    @property
    def help(self) -> LocalizedText | None:
        return LocalizedText(self.help_ru, self.help_en) if self.help_ru else None

    @property
    def choice_values(self) -> tuple[str, ...]:
        return tuple(c.value for c in self.choices)

    def choice_label(self, value) -> LocalizedText | None:
        for choice in self.choices:
            if choice.value == value:
                return choice.label
        return None


# -- specs from plugins -------------------------------------------------------------------


def _choice(item) -> Choice:
    if isinstance(item, str):
        return Choice(item, item, item)
    if isinstance(item, Mapping):
        item = (item["value"], item["label_ru"], item.get("label_en"))
    value, label_ru, *rest = item
    label_en = rest[0] if rest and rest[0] else label_ru
    return Choice(str(value), str(label_ru), str(label_en))


def make_spec(item, entity: str, plugin: str | None = None) -> FieldSpec:
    """A FieldSpec from what a plugin returned (a dict or a FieldSpec), or a PluginError."""
    where_ru = f"плагин {plugin!r}, поле для «{entity}»"
    where_en = f"plugin {plugin!r}, field for {entity!r}"
    try:
        data = dict(vars(item)) if isinstance(item, FieldSpec) else dict(item)
        data["choices"] = tuple(_choice(c) for c in data.get("choices") or ())
        data["plugin"] = plugin
        spec = FieldSpec(**data)
    except (TypeError, ValueError, KeyError) as exc:
        raise PluginError(f"{where_ru}: неверное описание поля ({exc!r}).",
                          f"{where_en}: invalid field spec ({exc!r}).") from exc
    problems = []
    if not isinstance(spec.name, str) or not _NAME.match(spec.name):
        problems.append(("имя должно быть латиницей в нижнем регистре: a-z, 0-9, _",
                         "name must be lower-case latin: a-z, 0-9, _"))
    if spec.type not in TYPES:
        problems.append((f"тип должен быть одним из: {', '.join(TYPES)}",
                         f"type must be one of: {', '.join(TYPES)}"))
    if not spec.label_ru:
        problems.append(("нет подписи label_ru", "label_ru is missing"))
    if (spec.type in CHOICE_TYPES) != bool(spec.choices):
        problems.append(("варианты (choices) нужны только и обязательно для choice/multi_choice",
                         "choices are required for, and only for, choice/multi_choice"))
    if len(set(spec.choice_values)) != len(spec.choices):
        problems.append(("значения вариантов повторяются", "choice values repeat"))
    if problems:
        ru, en = zip(*problems, strict=True)
        raise PluginError(f"{where_ru} {spec.name!r}: {'; '.join(ru)}.",
                          f"{where_en} {spec.name!r}: {'; '.join(en)}.")
    return spec


def _collect_specs(app: Flask, entity: str) -> tuple[FieldSpec, ...]:
    specs: dict[str, FieldSpec] = {}
    for plugin, impl in implementations(app, "nko_extra_fields"):
        for item in call_one(impl, app=app, entity=entity) or ():
            spec = make_spec(item, entity, plugin)
            other = specs.get(spec.name)
            if other is not None:
                raise PluginError(
                    f"Плагины {other.plugin!r} и {plugin!r} объявляют одно и то же поле "
                    f"{spec.name!r} для «{entity}». Отключите один из них в NKO_PLUGINS.",
                    f"Plugins {other.plugin!r} and {plugin!r} both declare the field "
                    f"{spec.name!r} on {entity!r}. Disable one of them in NKO_PLUGINS.",
                )
            specs[spec.name] = spec
    return tuple(specs.values())


def field_specs(app: Flask, entity: str) -> tuple[FieldSpec, ...]:
    """The merged plugin fields of ``entity``, in plugin order; cached per app."""
    if entity not in ENTITIES:
        raise ValueError(f"entity must be one of {ENTITIES}, not {entity!r}")
    return derived(app, ("field_specs", entity), lambda: _collect_specs(app, entity))


def entity_of(record) -> str:
    """"organization", "service" or "project" for a model instance."""
    return type(record).__name__.lower()


def form_field_name(name: str) -> str:
    return FORM_PREFIX + name


def rich_text_cleaner(app: Flask) -> Callable[[str], str | None]:
    """Typed text to stored HTML exactly as the core rich-text fields do it."""
    from nko_openness.publishing.disclosure import sanitize_rich_text

    return lambda value: sanitize_rich_text(app, value)


def clean_extra(app: Flask, entity: str, data: Mapping[str, Any],
                existing: Mapping[str, Any] | None = None) -> tuple[dict, dict[str, str]]:
    """(the ``extra`` JSON to store, errors) for submitted plugin values keyed by field name.

    Errors are keyed by form field name (``extra_<name>``), the key the cabinet's forms put
    next to the input. Keys of ``existing`` that no enabled plugin declares (a removed
    plugin's values) are kept, so switching a plugin off and on again loses nothing.
    """
    specs = field_specs(app, entity)
    declared = {spec.name for spec in specs}
    values = {k: v for k, v in (existing or {}).items() if k not in declared}
    errors: dict[str, str] = {}
    sanitize = rich_text_cleaner(app) if any(s.type == "rich_text" for s in specs) else None
    for spec in specs:
        key = form_field_name(spec.name)
        try:
            value = clean_value(spec, data.get(spec.name), sanitize)
        except FieldValueError as exc:
            errors[key] = str(exc)
            continue
        if value is None and spec.required:
            errors[key] = required_message(spec)
        elif value is not None:
            values[spec.name] = value
    return values, errors


# -- export ---------------------------------------------------------------------------------


def exported_values(app: Flask, entity: str, record, *, include_internal: bool = False,
                    labels: bool = False) -> dict[str, Any]:
    """Plugin values for HSDS output and exports: exported fields that hold a valid value.

    JSON types: text, rich text (sanitized HTML), url, e-mail, choice → string; decimal →
    string ("12.5", exact); date → ISO string; integer → number; boolean → true/false;
    multi_choice → list of strings. Internal (non-public) fields only with
    ``include_internal`` (token-holding consumers). ``labels=True`` gives Russian labels
    instead of codes for choices and «Да»/«Нет» for booleans (human-readable CSV).
    """
    extra = getattr(record, "extra", None) or {}
    out: dict[str, Any] = {}
    for spec in field_specs(app, entity):
        if not spec.exported or not (spec.public or include_internal):
            continue
        value = stored_value(spec, extra.get(spec.name))
        if value is None:
            continue
        if labels and spec.type == "choice":
            value = spec.choice_label(value).ru
        elif labels and spec.type == "multi_choice":
            value = [spec.choice_label(v).ru for v in value]
        elif labels and spec.type == "boolean":
            value = "Да" if value else "Нет"
        out[spec.name] = value
    return out


_SCHEMA_TYPES = {
    "text": {"type": "string"},
    "rich_text": {"type": "string", "contentMediaType": "text/html"},
    "integer": {"type": "integer"},
    "decimal": {"type": "string", "pattern": r"^-?\d+(\.\d+)?$"},
    "date": {"type": "string", "format": "date"},
    # Internationalized: Russian sites and mailboxes often have Cyrillic domains (.рф).
    "url": {"type": "string", "format": "iri"},
    "email": {"type": "string", "format": "idn-email"},
    "boolean": {"type": "boolean"},
}


def json_schema(app: Flask, entity: str, *, include_internal: bool = False) -> dict:
    """JSON Schema properties of the exported plugin fields (for the HSDS profile)."""
    properties = {}
    for spec in field_specs(app, entity):
        if not spec.exported or not (spec.public or include_internal):
            continue
        if spec.type == "choice":
            schema = {"type": "string", "enum": list(spec.choice_values)}
        elif spec.type == "multi_choice":
            schema = {"type": "array", "uniqueItems": True,
                      "items": {"type": "string", "enum": list(spec.choice_values)}}
        else:
            schema = dict(_SCHEMA_TYPES[spec.type])
        properties[spec.name] = {"title": spec.label_ru, **schema}
    return {"type": "object", "properties": properties}
