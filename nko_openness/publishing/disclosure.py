"""What an editor types becomes a draft: whitelist, normalize, validate, sanitize, then a revision.

Live records keep their published row; the edit goes only into a new Revision, which a
moderator's approval copies onto the row (docs/architecture.md, "Draft and live"). The
organization, the workflow state and the published flags are never taken from input.
"""

from __future__ import annotations

import html
import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Flask
from slugify import slugify
from sqlalchemy import select
from sqlalchemy.orm import Session

from nko_openness.core.i18n import gettext as _
from nko_openness.core.i18n import lazy_gettext as _l
from nko_openness.core.sanitizer import get_sanitizer
from nko_openness.core.validators import (
    RegistrationNumberError,
    validate_inn,
    validate_kpp,
    validate_ogrn,
)
from nko_openness.core.vocabularies import (
    ACTIVITY_TYPES,
    FORMS_WITHOUT_LEGAL_ENTITY,
    LEGAL_FORMS,
    PROJECT_STATUSES,
    SERVICE_STATUSES,
)
from nko_openness.models import Organization, Project, Revision, Service, Status
from nko_openness.publishing.vocabulary import categories_by_slug
from nko_openness.publishing.workflow import (
    Outcome,
    StaleRevision,
    apply_snapshot,
    check_version,
    entity_type,
    latest_revision,
    mark_submitted,
    save_revision,
    snapshot,
)

# What an editor may set, per entity; everything else in the input is ignored.
EDITABLE: dict[type, tuple[str, ...]] = {
    Organization: (
        "name", "alternate_name", "legal_form", "inn", "ogrn", "kpp", "description", "mission",
        "website", "email", "phone", "contact_role", "address", "locality",
        "year_incorporated", "in_registry", "minjust_reports_url", "social_links",
        "activities", "categories",
    ),
    Service: (
        "name", "alternate_name", "description", "service_status", "url", "email", "phone",
        "contact_role", "eligibility_description", "minimum_age", "maximum_age", "is_free",
        "fees_description", "application_process", "schedule_description", "service_area",
        "address", "categories",
    ),
    Project: (
        "name", "alternate_name", "description", "goal", "tasks", "start_date", "end_date",
        "project_status", "geography", "partners", "url", "categories", "results",
        "fundings",
    ),
}
RICH_TEXT = frozenset({"description", "mission", "goal", "tasks"})
INTEGERS = frozenset({"year_incorporated", "minimum_age", "maximum_age"})
BOOLEANS = frozenset({"in_registry", "is_free"})
DATES = frozenset({"start_date", "end_date"})
LISTS = frozenset({"activities", "categories", "social_links", "results", "fundings"})
# Column lengths, so a long value is an error next to its field, not a database error.
MAX_LENGTHS = {
    "name": 500, "alternate_name": 255, "website": 500, "email": 255, "phone": 50,
    "contact_role": 255, "address": 500, "locality": 255, "minjust_reports_url": 500,
    "url": 500, "service_area": 500, "geography": 500,
}
REQUIRED = {"name": _l("Укажите название.")}
# Editing a record in these states starts a new draft; submitted and returned stay as they
# are until the editor submits (the moderator is told the submission changed).
RESTARTS_DRAFT = frozenset({Status.PUBLISHED, Status.UNPUBLISHED, Status.ARCHIVED})
SUBMITTABLE = frozenset({Status.DRAFT, Status.RETURNED})
NEW_RECORD_DEFAULTS = {
    Service: {"service_status": "active", "is_free": True, "categories": []},
    Project: {"project_status": "active", "categories": [], "results": [], "fundings": []},
}
ENTITY_NAMES = {Organization: "organization", Service: "service", Project: "project"}


class DisclosureInvalid(ValueError):
    """Input that cannot be saved; ``errors`` maps field names to Russian messages."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


# -- text ---------------------------------------------------------------------------------

_LOOKS_LIKE_HTML = re.compile(r"<[a-zA-Z/!]")
_SIMPLE_PARAGRAPHS = re.compile(r"(?:<p>(?:[^<]|<br>)*</p>\s*)+")


def text_to_html(text: str) -> str:
    """Plain text typed in a textarea as paragraphs: blank lines split them, newlines break."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text.replace("\r\n", "\n"))]
    return "".join(
        "<p>" + "<br>".join(html.escape(line.strip(), quote=False) for line in p.split("\n"))
        + "</p>"
        for p in paragraphs if p
    )


def html_for_editing(value: str | None) -> str:
    """Stored HTML as the editor typed it: plain paragraphs go back to plain text."""
    if not value:
        return ""
    if not _SIMPLE_PARAGRAPHS.fullmatch(value.strip()):
        return value
    paragraphs = re.findall(r"<p>(.*?)</p>", value, flags=re.S)
    return "\n\n".join(html.unescape(p.replace("<br>", "\n")) for p in paragraphs)


def sanitize_rich_text(app: Flask, value: str | None) -> str | None:
    if not value or not value.strip():
        return None
    source = value if _LOOKS_LIKE_HTML.search(value) else text_to_html(value)
    return get_sanitizer(app).clean(source) or None


# -- normalizing input ----------------------------------------------------------------------

def _text(value) -> str | None:
    if value is None:
        return None
    value = " ".join(str(value).split()) if "\n" not in str(value) else str(value).strip()
    return value or None


def _integer(value, key, errors) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        errors[key] = _("Введите целое число.")
        return None


def _decimal(value, key, errors) -> str | None:
    if value in (None, ""):
        return None
    text = str(value).replace("\u00a0", "").replace(" ", "").replace(",", ".")
    try:
        number = Decimal(text).quantize(Decimal("0.01"))
    except InvalidOperation:
        errors[key] = _("Введите число, например 1500 или 1500,50.")
        return None
    if not number.is_finite() or abs(number) >= Decimal("1e12"):
        errors[key] = _("Слишком большое число.")
        return None
    return str(number)


def _date(value, key, errors) -> str | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value.isoformat()
    try:
        return date.fromisoformat(str(value).strip()).isoformat()
    except ValueError:
        errors[key] = _("Введите дату в формате ГГГГ-ММ-ДД.")
        return None


def _rows(rows, kind: str, errors: dict[str, str]) -> list[dict[str, Any]]:
    """Results or fundings: blank and removed rows dropped, numbers and dates normalized."""
    cleaned = []
    for index, row in enumerate(rows or []):
        if not isinstance(row, dict) or row.get("remove"):
            continue
        prefix = f"{kind}-{index}-"
        if kind == "results":
            item = {"indicator": _text(row.get("indicator")), "unit": _text(row.get("unit")),
                    "planned": _decimal(row.get("planned"), prefix + "planned", errors),
                    "achieved": _decimal(row.get("achieved"), prefix + "achieved", errors)}
            head = "indicator"
        else:
            item = {"funder": _text(row.get("funder")), "programme": _text(row.get("programme")),
                    "amount": _decimal(row.get("amount"), prefix + "amount", errors),
                    "currency": "RUB",
                    "award_date": _date(row.get("award_date"), prefix + "award_date", errors)}
            head = "funder"
        if not any(v for k, v in item.items() if k != "currency"):
            continue
        if not item[head]:
            errors[prefix + head] = (_("Укажите показатель.") if kind == "results"
                                     else _("Укажите, кто выделил средства."))
        elif len(item[head]) > 500:
            errors[prefix + head] = _("Не длиннее 500 знаков.")
        cleaned.append(item)
    return cleaned


def normalize(app: Flask, model: type, values: dict[str, Any]) -> tuple[dict, dict]:
    """Input as snapshot-shaped data (only editable keys) and the errors found on the way."""
    errors: dict[str, str] = {}
    data: dict[str, Any] = {}
    for key in EDITABLE[model]:
        if key not in values:
            continue
        value = values[key]
        if key in RICH_TEXT:
            data[key] = sanitize_rich_text(app, value)
        elif key in INTEGERS:
            data[key] = _integer(value, key, errors)
        elif key in BOOLEANS:
            data[key] = bool(value)
        elif key in DATES:
            data[key] = _date(value, key, errors)
        elif key in ("results", "fundings"):
            data[key] = _rows(value, key, errors)
        elif key == "social_links":
            lines = value.splitlines() if isinstance(value, str) else list(value or [])
            data[key] = [line.strip() for line in lines if line and line.strip()]
        elif key in ("activities", "categories"):
            data[key] = list(dict.fromkeys(str(v) for v in (value or [])))
        else:
            data[key] = _text(value)
    return data, errors


def _extra(app: Flask, model: type, values: dict, existing, data: dict, errors: dict) -> None:
    """Plugin fields (``values["extra"]``, by field name) cleaned into the ``extra`` JSON."""
    if "extra" not in values:
        return
    from nko_openness.fields.specs import clean_extra

    data["extra"], extra_errors = clean_extra(app, ENTITY_NAMES[model], values["extra"] or {},
                                              existing)
    errors.update(extra_errors)


# -- validation -----------------------------------------------------------------------------

def _url_errors(data, errors):
    for key in ("website", "url", "minjust_reports_url"):
        value = data.get(key)
        if value and not re.match(r"^https?://[^\s/$.?#][^\s]*$", value, re.I):
            errors[key] = _("Укажите адрес, начинающийся с http:// или https://.")
    for link in data.get("social_links") or []:
        if not re.match(r"^https?://\S+$", link, re.I):
            errors["social_links"] = _("Каждая ссылка — с новой строки и начинается с https://.")
            break


def _organization_errors(data, errors):
    legal_form = data.get("legal_form")
    if legal_form not in LEGAL_FORMS:
        errors["legal_form"] = _("Выберите организационно-правовую форму из списка.")
    needs_registration = legal_form not in FORMS_WITHOUT_LEGAL_ENTITY
    for key, check, label in (("inn", validate_inn, "ИНН"), ("ogrn", validate_ogrn, "ОГРН"),
                              ("kpp", validate_kpp, "КПП")):
        value = data.get(key)
        if not value:
            if needs_registration and key != "kpp":
                errors[key] = _("Укажите %(label)s: он есть у каждой зарегистрированной "
                                "организации.", label=_(label))
            continue
        try:
            data[key] = check(value)
        except RegistrationNumberError as exc:
            errors[key] = str(exc)
    unknown = [a for a in data.get("activities") or [] if a not in ACTIVITY_TYPES]
    if unknown:
        errors["activities"] = _("Выберите виды деятельности из списка.")
    year = data.get("year_incorporated")
    if year is not None and not 1800 <= year <= date.today().year:
        errors["year_incorporated"] = _("Укажите год создания четырьмя цифрами.")


def _service_errors(data, errors):
    if data.get("service_status") not in SERVICE_STATUSES:
        errors["service_status"] = _("Выберите состояние услуги из списка.")
    low, high = data.get("minimum_age"), data.get("maximum_age")
    for key, value in (("minimum_age", low), ("maximum_age", high)):
        if value is not None and not 0 <= value <= 120:
            errors[key] = _("Возраст — от 0 до 120 лет.")
    if low is not None and high is not None and low > high and "maximum_age" not in errors:
        errors["maximum_age"] = _("Верхняя граница возраста меньше нижней.")


def _project_errors(data, errors):
    if data.get("project_status") not in PROJECT_STATUSES:
        errors["project_status"] = _("Выберите состояние проекта из списка.")
    start, end = data.get("start_date"), data.get("end_date")
    if start and end and end < start and "end_date" not in errors:
        errors["end_date"] = _("Дата окончания раньше даты начала.")


def validate(session: Session, app: Flask, model: type, data: dict, errors: dict) -> None:
    """Domain rules, then the plugins' ``nko_validate``; raise with every error at once."""
    if "name" in data and not data.get("name"):
        errors["name"] = str(REQUIRED["name"])
    for key, limit in MAX_LENGTHS.items():
        if isinstance(data.get(key), str) and len(data[key]) > limit:
            errors.setdefault(key, _("Не длиннее %(limit)s знаков.", limit=limit))
    if "email" in data and data.get("email") and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
                                                             data["email"]):
        errors["email"] = _("Проверьте адрес электронной почты.")
    _url_errors(data, errors)
    if "categories" in data:
        known = categories_by_slug(session)
        if any(slug not in known for slug in data["categories"]):
            errors["categories"] = _("Выберите категории граждан из списка.")
    {Organization: _organization_errors, Service: _service_errors,
     Project: _project_errors}[model](data, errors)
    state = app.extensions["nko_openness"]
    for extra in state.hook.nko_validate(app=app, entity=ENTITY_NAMES[model], data=data):
        for key, message in (extra or {}).items():
            errors.setdefault(key, str(message))
    if errors:
        raise DisclosureInvalid(errors)


# -- drafts ---------------------------------------------------------------------------------

def draft_data(session: Session, record) -> dict[str, Any]:
    """The working version the editor sees: the latest revision, else the row itself."""
    revision = latest_revision(session, record) if record.version else None
    return dict(revision.data) if revision is not None else snapshot(record)


def _write_draft(session: Session, record, data: dict, user_id: str | None) -> Revision:
    if record.status in RESTARTS_DRAFT:
        record.status = Status.DRAFT
    if not record.live:
        # Not public: the row is the draft and follows every save.
        apply_snapshot(session, record, data)
        return save_revision(session, record, user_id)
    # Public: the row keeps the published content until a moderator approves this revision.
    record.version = (record.version or 0) + 1
    record.has_unpublished_changes = True
    revision = Revision(entity_type=entity_type(record), entity_uuid=record.uuid,
                        number=record.version, data=data, author_id=user_id)
    session.add(revision)
    session.flush()
    return revision


def save_draft(session: Session, app: Flask, record, values: dict[str, Any],
               user_id: str | None, expected_version: int | None) -> Revision:
    """Validate ``values`` and save them as the record's next revision (caller commits).

    Raises :class:`StaleRevision` when someone saved since ``expected_version`` and
    :class:`DisclosureInvalid` with every field error.
    """
    check_version(record, expected_version)
    data, errors = normalize(app, type(record), values)
    current = draft_data(session, record)
    _extra(app, type(record), values, current.get("extra"), data, errors)
    # Rules that span fields (ИНН needed for this legal form) see the whole record.
    merged = {**current, **data}
    validate(session, app, type(record), merged, errors)
    return _write_draft(session, record, merged, user_id)


def create_record(session: Session, app: Flask, org: Organization, model: type,
                  values: dict[str, Any], user_id: str | None) -> Service | Project:
    """A new service or project of ``org`` (the organization comes from the URL, never input)."""
    data, errors = normalize(app, model, values)
    _extra(app, model, values, None, data, errors)
    data = {**NEW_RECORD_DEFAULTS[model], **data}
    if not data.get("name"):
        errors["name"] = str(REQUIRED["name"])
    validate(session, app, model, data, errors)
    record = model(organization_id=org.id, name=data["name"])
    record.status = Status.DRAFT
    record.live = False
    session.add(record)
    apply_snapshot(session, record, data)
    save_revision(session, record, user_id)
    return record


def create_organization(session: Session, app: Flask, values: dict[str, Any], slug: str | None,
                        user_id: str | None) -> Organization:
    """A new organization as a draft (the administrator's action); its slug must be free."""
    data, errors = normalize(app, Organization, values)
    _extra(app, Organization, values, None, data, errors)
    data = {"categories": [], "activities": [], "social_links": [], "in_registry": False,
            **data}
    if not data.get("name"):
        errors["name"] = str(REQUIRED["name"])
    slug = slugify(slug or data.get("name") or "", max_length=100, word_boundary=True)
    if not slug:
        errors["slug"] = _("Укажите адрес страницы латинскими буквами.")
    elif session.scalar(select(Organization.id).where(Organization.slug == slug)):
        errors["slug"] = _("Такой адрес страницы уже занят.")
    validate(session, app, Organization, data, errors)
    org = Organization(slug=slug, name=data["name"], legal_form=data["legal_form"])
    session.add(org)
    apply_snapshot(session, org, data)
    save_revision(session, org, user_id)
    return org


def proposed_data(session: Session, app: Flask, record, values: dict[str, Any]) -> dict:
    """What the editor tried to save, merged over the working version (the conflict page)."""
    data, _errors = normalize(app, type(record), values)
    return {**draft_data(session, record), **data}


# -- submitting -----------------------------------------------------------------------------

def is_submittable(record, pending_documents: int = 0) -> bool:
    if record.status not in SUBMITTABLE:
        return False
    return bool(record.has_unpublished_changes
                or (isinstance(record, Organization) and pending_documents))


def submit(session: Session, items: list[tuple[Any, int]], user_id: str | None) -> list[Outcome]:
    """Send each (record, expected version) for review; all or nothing (caller commits)."""
    outcomes = []
    for record, expected in items:
        check_version(record, expected)
        outcomes.append(mark_submitted(session, record, user_id, expected))
    return outcomes


def find_child(session: Session, org: Organization, model: type, public_id) -> Any:
    """A service or project only if it belongs to ``org`` (URLs cannot cross organizations)."""
    return session.scalar(select(model).where(model.organization_id == org.id,
                                              model.uuid == public_id))


def lock(session: Session, record) -> Any:
    """Re-read ``record`` with a row lock, so concurrent saves queue on PostgreSQL."""
    return session.scalar(select(type(record)).where(type(record).id == record.id)
                          .with_for_update().execution_options(populate_existing=True))


__all__ = [
    "DisclosureInvalid", "StaleRevision", "create_organization", "create_record", "draft_data",
    "save_draft", "submit",
]
