"""Values of plugin fields: typed input in, JSON-able value out, a message on failure."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email

from nko_openness.core.i18n import gettext as _

if TYPE_CHECKING:
    from nko_openness.fields.specs import FieldSpec

CHOICE_TYPES = ("choice", "multi_choice")
# JSON numbers beyond 2**53 lose digits in JavaScript and many JSON parsers.
MAX_SAFE_INTEGER = 2**53 - 1
DEFAULT_MAX_LENGTH = {"text": 1000, "rich_text": 50_000, "url": 500, "email": 255}
_TRUE = frozenset({"1", "true", "yes", "y", "on", "да"})
_FALSE = frozenset({"0", "false", "no", "n", "off", "нет"})


class FieldValueError(ValueError):
    """A value that does not fit its field; the message is for the person typing it."""


def _is_empty(raw) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip()) or raw in ([], ())


def _parse_integer(spec: FieldSpec, raw) -> int:
    if isinstance(raw, bool):
        raise FieldValueError(_("Введите целое число."))
    if isinstance(raw, int):
        value = raw
    else:
        text = str(raw).replace(" ", "").replace("\u00a0", "")
        if not re.fullmatch(r"[+-]?\d+", text):
            raise FieldValueError(_("Введите целое число."))
        value = int(text)
    if abs(value) > MAX_SAFE_INTEGER:
        raise FieldValueError(_("Слишком большое число."))
    return value


def _parse_decimal(spec: FieldSpec, raw) -> Decimal:
    if isinstance(raw, bool):
        raise FieldValueError(_("Введите число."))
    text = str(raw).replace(" ", "").replace("\u00a0", "").replace(",", ".")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise FieldValueError(_("Введите число, например 12,5.")) from None
    if not value.is_finite() or len(value.as_tuple().digits) > 28:
        raise FieldValueError(_("Введите число, например 12,5."))
    return value


def _check_range(spec: FieldSpec, value) -> None:
    if spec.min_value is not None and value < spec.min_value:
        raise FieldValueError(_("Значение должно быть не меньше %(limit)s.", limit=spec.min_value))
    if spec.max_value is not None and value > spec.max_value:
        raise FieldValueError(_("Значение должно быть не больше %(limit)s.", limit=spec.max_value))


def _parse_date(raw) -> date:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    text = str(raw).strip()
    try:
        if re.fullmatch(r"\d{1,2}\.\d{1,2}\.\d{4}", text):
            day, month, year = map(int, text.split("."))
            return date(year, month, day)
        return date.fromisoformat(text)
    except ValueError:
        raise FieldValueError(_("Введите дату в формате ДД.ММ.ГГГГ.")) from None


def _parse_url(raw) -> str:
    text = str(raw).strip()
    parts = urlsplit(text)
    if (parts.scheme.lower() not in ("http", "https") or not parts.netloc
            or re.search(r"[\s\x00-\x1f]", text)):
        raise FieldValueError(_("Введите адрес сайта, начинающийся с http:// или https://."))
    return text


def _parse_email(raw) -> str:
    try:
        return validate_email(str(raw).strip(), check_deliverability=False).normalized
    except EmailNotValidError:
        raise FieldValueError(_("Введите адрес электронной почты, например info@example.ru.")) \
            from None


def _parse_boolean(raw) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise FieldValueError(_("Выберите «Да» или «Нет»."))


def _parse_choices(spec: FieldSpec, raw) -> str | list[str]:
    allowed = spec.choice_values
    if spec.type == "choice":
        if str(raw) not in allowed:
            raise FieldValueError(_("Выберите значение из списка."))
        return str(raw)
    chosen = {str(v) for v in ([raw] if isinstance(raw, str) else raw) if str(v).strip()}
    if not chosen <= set(allowed):
        raise FieldValueError(_("Выберите значения из списка."))
    return [v for v in allowed if v in chosen]  # one order, whatever the form sent


def clean_value(spec: FieldSpec, raw, sanitize: Callable[[str], str] | None = None):
    """The JSON value to store for ``raw`` (None when empty), or a FieldValueError.

    Numbers become int or a decimal string, dates ISO strings; rich text is passed through
    ``sanitize`` (the app's sanitizer) when given.
    """
    if _is_empty(raw):
        return None
    kind = spec.type
    if kind in ("text", "rich_text"):
        value = str(raw).strip()
        if kind == "rich_text" and sanitize is not None:
            value = sanitize(value) or None
            if value is None:
                return None
    elif kind == "integer":
        value = _parse_integer(spec, raw)
        _check_range(spec, value)
    elif kind == "decimal":
        number = _parse_decimal(spec, raw)
        _check_range(spec, number)
        value = format(number.normalize(), "f")
    elif kind == "date":
        value = _parse_date(raw).isoformat()
    elif kind == "url":
        value = _parse_url(raw)
    elif kind == "email":
        value = _parse_email(raw)
    elif kind == "boolean":
        return _parse_boolean(raw)
    else:
        value = _parse_choices(spec, raw)
        return value or None
    limit = spec.max_length or DEFAULT_MAX_LENGTH.get(kind)
    if limit and isinstance(value, str) and len(value) > limit:
        raise FieldValueError(_("Не больше %(limit)s символов (сейчас %(length)s).", limit=limit,
                                 length=len(value)))
    return value


def required_message(spec: FieldSpec) -> str:
    return _("Выберите значение.") if spec.type in (*CHOICE_TYPES, "boolean") \
        else _("Заполните это поле.")


_JSON_TYPES = {"integer": int, "boolean": bool, "multi_choice": list}


def stored_value(spec: FieldSpec, value):
    """A stored value re-checked against the current spec; None when it no longer fits.

    The plugin may have changed the field's type or choices since the value was saved.
    """
    expected = _JSON_TYPES.get(spec.type, str)
    if value is None or type(value) is not expected:
        return None
    try:
        return clean_value(spec, value)
    except (FieldValueError, TypeError, ValueError):
        return None
