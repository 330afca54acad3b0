"""Field-by-field comparison of two record snapshots, as a moderator reads it."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any

from nko_openness.core.i18n import lazy_gettext as _l
from nko_openness.core.vocabularies import (
    ACTIVITY_TYPES,
    LEGAL_FORMS,
    PROJECT_STATUSES,
    SERVICE_STATUSES,
)

try:  # the sanitizer's own HTML → text keeps diffs and search in step
    from nko_openness.core.sanitizer import html_to_text
except ImportError:  # pragma: no cover - older trees without the sanitizer module
    import bleach

    def html_to_text(text: str | None) -> str:
        return bleach.clean(text or "", tags=set(), strip=True)


# Labels in the order a moderator expects; fields not listed follow, under their key,
# so a field added later (or by a plugin) is never hidden from review.
FIELD_LABELS: dict[str, dict[str, Any]] = {
    "organization": {
        "name": _l("Полное наименование"),
        "alternate_name": _l("Краткое наименование"),
        "slug": _l("Адрес страницы"),
        "legal_form": _l("Организационно-правовая форма"),
        "inn": _l("ИНН"),
        "ogrn": _l("ОГРН"),
        "kpp": _l("КПП"),
        "year_incorporated": _l("Год создания"),
        "in_registry": _l("В реестре СО НКО — получателей поддержки"),
        "description": _l("Описание"),
        "mission": _l("Миссия"),
        "activities": _l("Виды деятельности"),
        "categories": _l("Категории граждан"),
        "website": _l("Сайт"),
        "social_links": _l("Страницы в социальных сетях"),
        "email": _l("Электронная почта"),
        "phone": _l("Телефон"),
        "contact_role": _l("Контактное лицо"),
        "address": _l("Адрес"),
        "locality": _l("Населённый пункт"),
        "minjust_reports_url": _l("Отчёты на портале Минюста"),
        "extra": _l("Дополнительные сведения"),
    },
    "service": {
        "name": _l("Название услуги"),
        "alternate_name": _l("Краткое название"),
        "service_status": _l("Состояние"),
        "description": _l("Описание"),
        "categories": _l("Категории граждан"),
        "eligibility_description": _l("Кто может получить"),
        "minimum_age": _l("Возраст от"),
        "maximum_age": _l("Возраст до"),
        "is_free": _l("Бесплатно"),
        "fees_description": _l("Стоимость"),
        "application_process": _l("Как получить"),
        "schedule_description": _l("Расписание"),
        "service_area": _l("Территория"),
        "address": _l("Адрес"),
        "url": _l("Страница услуги"),
        "email": _l("Электронная почта"),
        "phone": _l("Телефон"),
        "contact_role": _l("Контактное лицо"),
        "extra": _l("Дополнительные сведения"),
    },
    "program": {
        "name": _l("Название проекта"),
        "alternate_name": _l("Краткое название"),
        "project_status": _l("Состояние"),
        "start_date": _l("Дата начала"),
        "end_date": _l("Дата окончания"),
        "description": _l("Описание"),
        "goal": _l("Цель"),
        "tasks": _l("Задачи"),
        "categories": _l("Целевые группы"),
        "geography": _l("География"),
        "results": _l("Результаты"),
        "fundings": _l("Финансирование"),
        "partners": _l("Партнёры"),
        "url": _l("Страница проекта"),
        "extra": _l("Дополнительные сведения"),
    },
}

# Stored sanitized HTML: compared as the text a reader sees, not as markup.
RICH_FIELDS = frozenset({"description", "mission", "goal", "tasks"})
LONG_TEXT_FIELDS = frozenset({
    "partners", "eligibility_description", "fees_description", "application_process",
    "schedule_description",
})
CHOICES: dict[str, dict[str, str]] = {
    "legal_form": LEGAL_FORMS,
    "service_status": SERVICE_STATUSES,
    "project_status": PROJECT_STATUSES,
}
# Never edited by people, so never worth a line in the review.
SKIPPED = frozenset({"uuid"})

# Word-level diffs beyond this many tokens per block fall back to whole lines (difflib is
# quadratic in the worst case and a moderator cannot read such a diff anyway).
MAX_WORD_TOKENS = 4000
_TOKEN = re.compile(r"\w+|[^\w\s]|\s+")


@dataclass
class FieldChange:
    """One field's comparison; ``kind`` tells the template how to show it."""

    key: str
    label: str
    kind: str  # "text", "value", "list" or "rows"
    changed: bool
    before: str = ""
    after: str = ""
    segments: list[tuple[str, str]] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    lines: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class RecordDiff:
    fields: list[FieldChange]
    # No published version to compare with: everything is new.
    is_new: bool

    @property
    def changed(self) -> list[FieldChange]:
        return [f for f in self.fields if f.changed]

    @property
    def unchanged(self) -> list[FieldChange]:
        return [f for f in self.fields if not f.changed]


def text_segments(before: str, after: str) -> list[tuple[str, str]]:
    """(op, text) pieces with op "equal", "delete" or "insert": lines first, then words."""
    a_lines, b_lines = before.splitlines(keepends=True), after.splitlines(keepends=True)
    segments: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(None, a_lines, b_lines, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        old, new = "".join(a_lines[i1:i2]), "".join(b_lines[j1:j2])
        if op == "equal":
            segments.append(("equal", old))
        elif op == "replace":
            segments.extend(_word_segments(old, new))
        else:
            segments.append(("delete", old) if old else ("insert", new))
    return _merge(segments)


def _word_segments(old: str, new: str) -> list[tuple[str, str]]:
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    if len(a) + len(b) > MAX_WORD_TOKENS:
        return [("delete", old), ("insert", new)]
    pieces = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            pieces.append(("equal", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            pieces.append(("delete", "".join(a[i1:i2])))
        if j2 > j1:
            pieces.append(("insert", "".join(b[j1:j2])))
    return pieces


def _merge(segments):
    merged: list[tuple[str, str]] = []
    for op, text in segments:
        if not text:
            continue
        if merged and merged[-1][0] == op:
            merged[-1] = (op, merged[-1][1] + text)
        else:
            merged.append((op, text))
    return merged


def _display(key: str, value: Any) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return ""
    if isinstance(value, bool):
        return str(_l("да") if value else _l("нет"))
    if key in CHOICES:
        return CHOICES[key].get(value, str(value))
    if isinstance(value, list):
        return "\n".join(_display(key, item) for item in value)
    if isinstance(value, dict):
        return "\n".join(f"{k}: {_display(k, v)}" for k, v in value.items())
    return str(value)


def _result_line(row: dict) -> str:
    parts = [row.get("indicator") or "—"]
    if row.get("unit"):
        parts.append(f"({row['unit']})")
    parts.append(f"— {_l('план')} {_number(row.get('planned'))},")
    parts.append(f"{_l('факт')} {_number(row.get('achieved'))}")
    return " ".join(parts)


def _funding_line(row: dict) -> str:
    parts = [row.get("funder") or "—"]
    if row.get("programme"):
        parts.append(f"«{row['programme']}»")
    if row.get("amount") not in (None, ""):
        parts.append(f"— {_number(row['amount'])} {row.get('currency') or 'RUB'}")
    if row.get("award_date"):
        parts.append(f"({row['award_date']})")
    return " ".join(parts)


def _number(value) -> str:
    if value in (None, ""):
        return "—"
    text = str(value)
    return text[:-3] if text.endswith(".00") else text


ROW_FORMATTERS = {"results": _result_line, "fundings": _funding_line}


def _list_labels(key: str, values, category_names: dict[str, str]) -> list[str]:
    names = {"categories": category_names, "activities": ACTIVITY_TYPES}.get(key, {})
    return [names.get(v, str(v)) for v in values or []]


def _normalized(value: Any) -> Any:
    return None if value in (None, "", [], {}) else value


def compare_field(key: str, label: str, before: Any, after: Any,
                  category_names: dict[str, str], rich: bool = False) -> FieldChange:
    # An empty value stored as None, "" or [] is the same empty field to a reader.
    changed = _normalized(before) != _normalized(after)
    if key in ROW_FORMATTERS:
        fmt = ROW_FORMATTERS[key]
        old = [fmt(r) for r in before or []]
        new = [fmt(r) for r in after or []]
        lines = [(line[0], line[2:]) for line in difflib.ndiff(old, new) if line[0] in " -+"]
        return FieldChange(key, label, "rows", changed, lines=lines)
    if key in ("categories", "activities", "social_links"):
        old = _list_labels(key, before, category_names)
        new = _list_labels(key, after, category_names)
        added = [v for v in new if v not in old]
        removed = [v for v in old if v not in new]
        # Categories and activities are sets: a different order is not a change.
        if key != "social_links":
            changed = bool(added or removed)
        return FieldChange(key, label, "list", changed, added=added, removed=removed,
                           kept=[v for v in new if v in old])
    if rich or key in RICH_FIELDS or key in LONG_TEXT_FIELDS:
        convert = html_to_text if rich or key in RICH_FIELDS else (lambda v: v or "")
        old, new = convert(before), convert(after)
        # Markup-only edits (a <p> split the same words) still count: the page changes.
        return FieldChange(key, label, "text", changed, before=old, after=new,
                           segments=text_segments(old, new) if changed else [])
    return FieldChange(key, label, "value", changed, before=_display(key, before),
                       after=_display(key, after))


def diff_snapshots(entity: str, before: dict | None, after: dict,
                   category_names: dict[str, str] | None = None,
                   extra_labels: dict[str, str] | None = None,
                   extra_rich: frozenset[str] = frozenset()) -> RecordDiff:
    """Compare the published snapshot ``before`` (None when never published) with ``after``."""
    labels = dict(FIELD_LABELS.get(entity, {}))
    old = before or {}
    keys = list(labels) + [k for k in (*old, *after) if k not in labels]
    fields = []
    for key in dict.fromkeys(keys):
        if key in SKIPPED or (key not in old and key not in after):
            continue
        if key == "extra":
            fields += _extra_fields(old.get("extra") or {}, after.get("extra") or {},
                                    extra_labels or {}, extra_rich, labels["extra"])
            continue
        fields.append(compare_field(key, str(labels.get(key, key)), old.get(key),
                                    after.get(key), category_names or {}))
    return RecordDiff(fields=fields, is_new=before is None)


def _extra_fields(old: dict, new: dict, extra_labels: dict[str, str], rich: frozenset[str],
                  heading) -> list:
    """Plugin fields (the ``extra`` JSON column), one line each under the plugin's label."""
    return [
        compare_field(key, f"{heading}: {extra_labels.get(key, key)}", old.get(key),
                      new.get(key), {}, rich=key in rich)
        for key in dict.fromkeys([*old, *new])
    ]
