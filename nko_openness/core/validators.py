"""Check digits of Russian registration numbers (ИНН, ОГРН, КПП), with messages for people."""

from __future__ import annotations

import re

from nko_openness.core.i18n import gettext as _

_INN10_WEIGHTS = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_WEIGHTS_1 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_WEIGHTS_2 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_KPP_RE = re.compile(r"^\d{4}[\dA-Z]{2}\d{3}$")


class RegistrationNumberError(ValueError):
    """A number that fails its format or check digit; the message is for the person who typed it."""


def _weighted(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights, strict=False)) % 11 % 10


def inn_check_digits(first_digits: str) -> str:
    """The check digit(s) for the first 9 (legal entity) or 10 (individual) digits of an ИНН."""
    if len(first_digits) == 9:
        return str(_weighted(first_digits, _INN10_WEIGHTS))
    if len(first_digits) == 10:
        d11 = str(_weighted(first_digits, _INN12_WEIGHTS_1))
        return d11 + str(_weighted(first_digits + d11, _INN12_WEIGHTS_2))
    raise ValueError("expected 9 or 10 digits")


def ogrn_check_digit(first_digits: str) -> str:
    """The check digit for the first 12 (ОГРН) or 14 (ОГРНИП) digits."""
    divisor = {12: 11, 14: 13}[len(first_digits)]
    return str(int(first_digits) % divisor % 10)


def validate_inn(value: str) -> str:
    value = (value or "").strip()
    if not value.isdigit() or len(value) not in (10, 12):
        raise RegistrationNumberError(
            _("ИНН должен состоять из 10 цифр (для организации) или 12 цифр.")
        )
    body_length = 9 if len(value) == 10 else 10
    if inn_check_digits(value[:body_length]) != value[body_length:]:
        raise RegistrationNumberError(_("ИНН указан с ошибкой: не сходится контрольная цифра."))
    return value


def validate_ogrn(value: str) -> str:
    value = (value or "").strip()
    if not value.isdigit() or len(value) not in (13, 15):
        raise RegistrationNumberError(_("ОГРН должен состоять из 13 цифр (ОГРНИП — из 15 цифр)."))
    if ogrn_check_digit(value[:-1]) != value[-1]:
        raise RegistrationNumberError(_("ОГРН указан с ошибкой: не сходится контрольная цифра."))
    return value


def validate_kpp(value: str) -> str:
    """КПП has no check digit; the format is 4 digits (tax office), 2 characters, 3 digits."""
    value = (value or "").strip().upper()
    if not _KPP_RE.match(value):
        raise RegistrationNumberError(_(
            "КПП должен состоять из 9 знаков: 4 цифры, 2 цифры или заглавные латинские буквы, "
            "3 цифры."
        ))
    return value
