"""Checks of what a source sends, before anything of it reaches the replica."""

from __future__ import annotations

import uuid
from typing import Any

from nko_openness.core.validators import RegistrationNumberError, validate_inn, validate_ogrn

TYPES = ("organization", "service", "program")
OPS = ("upsert", "delete")
MAX_SEQ = 2**63 - 1


class FeedFormatError(ValueError):
    """The source answered, but not in the feed's format (docs/feed.md); Russian message."""


def _is_uuid(value: Any) -> bool:
    if not isinstance(value, str) or len(value) != 36:
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _is_seq(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_SEQ


def check_item(item: Any, where: str) -> dict[str, Any]:
    """One feed item (changes or snapshot); returns it unchanged or raises FeedFormatError."""
    if not isinstance(item, dict):
        raise FeedFormatError(f"{where}: элемент не является объектом JSON.")
    if not _is_seq(item.get("seq")):
        raise FeedFormatError(f"{where}: нет целого неотрицательного seq.")
    if item.get("op") not in OPS:
        raise FeedFormatError(f"{where}: op должен быть upsert или delete.")
    if item.get("type") not in TYPES:
        raise FeedFormatError(f"{where}: неизвестный тип записи {item.get('type')!r}.")
    if not _is_uuid(item.get("id")):
        raise FeedFormatError(f"{where}: id не является UUID.")
    modified = item.get("modified")
    if modified is not None and not isinstance(modified, str):
        raise FeedFormatError(f"{where}: modified должен быть строкой даты.")
    if item["op"] == "upsert":
        _check_data(item["type"], item["id"], item.get("data"), where)
    return item


def _check_data(kind: str, ident: str, data: Any, where: str) -> None:
    if not isinstance(data, dict):
        raise FeedFormatError(f"{where}: у upsert нет объекта data.")
    if data.get("id") != ident:
        raise FeedFormatError(f"{where}: data.id не совпадает с id элемента.")
    if not isinstance(data.get("name"), str) or not data["name"].strip():
        raise FeedFormatError(f"{where}: у записи нет названия (name).")
    if kind != "organization" and not _is_uuid(data.get("organization_id")):
        raise FeedFormatError(f"{where}: organization_id не является UUID.")
    identifiers = data.get("organization_identifiers", [])
    if not isinstance(identifiers, list) or not all(isinstance(i, dict) for i in identifiers):
        raise FeedFormatError(f"{where}: organization_identifiers должен быть списком объектов.")
    for key in ("tax_id", "uri", "last_modified"):
        if key in data and not isinstance(data[key], str):
            raise FeedFormatError(f"{where}: поле {key} должно быть строкой.")


def check_page(body: Any, after: int) -> tuple[list[dict], int, bool, int | None]:
    """A changes page → (items, next, has_more, latest_seq); seqs must grow within (after, next]."""
    if not isinstance(body, dict) or not isinstance(body.get("items"), list):
        raise FeedFormatError("Страница изменений без списка items.")
    next_seq, has_more = body.get("next"), body.get("has_more")
    if not _is_seq(next_seq) or next_seq < after:
        raise FeedFormatError(f"Страница изменений: next={next_seq!r} меньше курсора {after}.")
    if not isinstance(has_more, bool):
        raise FeedFormatError("Страница изменений: has_more должен быть true или false.")
    latest = body.get("latest_seq")
    if latest is not None and not _is_seq(latest):
        raise FeedFormatError("Страница изменений: latest_seq не является числом.")
    previous = after
    for n, item in enumerate(body["items"], 1):
        check_item(item, f"Элемент {n} страницы после seq {after}")
        if not previous < item["seq"] <= next_seq:
            raise FeedFormatError(f"Элемент {n} страницы после seq {after}: seq {item['seq']} "
                                  f"вне порядка (ожидалось больше {previous} и не больше "
                                  f"{next_seq}).")
        previous = item["seq"]
    if has_more and next_seq == after:
        raise FeedFormatError("Страница изменений: has_more при неподвижном курсоре.")
    return body["items"], next_seq, has_more, latest


def registration_numbers(data: dict[str, Any]) -> tuple[str | None, str | None]:
    """(ОГРН, ИНН) of an organization object; numbers failing their check digits are ignored."""
    ogrn = inn = None
    for ident in data.get("organization_identifiers") or []:
        scheme, value = ident.get("identifier_scheme"), ident.get("identifier")
        if scheme == "RU-OGRN" and ogrn is None:
            ogrn = _valid(validate_ogrn, value)
        elif scheme == "RU-INN" and inn is None:
            inn = _valid(validate_inn, value)
    if inn is None:
        inn = _valid(validate_inn, data.get("tax_id"))
    return ogrn, inn


def _valid(check, value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        return check(value.strip())
    except (RegistrationNumberError, ValueError):
        return None
