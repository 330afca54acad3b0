"""Published records as Open Referral HSDS 3.1 objects with the module's Russian profile.

One canonical object per record, used by the HSDS API, the changes feed and the snapshot
alike. An object holds only its own record's data (children and the organization are
referenced by id, never embedded): every change to it then has its own Change row, which is
what lets a feed consumer converge byte for byte (docs/feed.md).
"""

from __future__ import annotations

import copy
import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from flask import Flask

from nko_openness.core.vocabularies import ACTIVITY_TYPES, LEGAL_FORMS, PROJECT_STATUSES
from nko_openness.models import (
    BENEFICIARY_TAXONOMY_ID,
    BeneficiaryCategory,
    Organization,
    Project,
    Service,
)

HSDS_VERSION = "3.1"
PROFILE_NAME = "ru-nko"
TAXONOMY_UUID = uuid.UUID(BENEFICIARY_TAXONOMY_ID)
# HSDS type of each model, and the entity name the nko_extra_fields hook uses for it.
HSDS_TYPES: dict[type, str] = {Organization: "organization", Service: "service",
                               Project: "program"}
MODELS: dict[str, type] = {v: k for k, v in HSDS_TYPES.items()}
HOOK_ENTITIES = {"organization": "organization", "service": "service", "program": "project"}


@dataclass(frozen=True)
class ExportContext:
    """Who the objects are for: links are absolute, internal fields only for token holders."""

    base_url: str  # the module's public root, e.g. "https://belogorsk.example/nko"
    internal: bool = False
    app: Flask | None = field(default=None, compare=False)

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + path


def sub_id(parent: uuid.UUID, name: str) -> str:
    """A stable UUID for a nested HSDS object (phone, identifier, attribute) of a record.

    ``str(uuid.uuid5(parent, name))`` without the two UUID objects it builds: the snapshot
    makes several of these per record, and the objects cost more than the hash.
    """
    h = hashlib.sha1(parent.bytes + name.encode("utf-8")).hexdigest()
    # RFC 4122: version 5 in the 13th hex digit, variant 10xx in the 17th.
    return f"{h[:8]}-{h[8:12]}-5{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:32]}"


_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}


@lru_cache(maxsize=1024)  # the vocabulary: a few dozen codes
def term_id(slug: str) -> str:
    """A category's HSDS id: derived from its code, so it is the same in every municipality."""
    return str(uuid.uuid5(TAXONOMY_UUID, slug))


def iso(value: datetime | date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        value = value.astimezone(UTC).replace(microsecond=0)
        return value.isoformat().replace("+00:00", "Z")
    return value.isoformat()


def number(value: Decimal | None) -> int | float | None:
    """Money and indicators as JSON numbers (Numeric(14, 2) fits a double exactly enough)."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _compact(data: dict[str, Any]) -> dict[str, Any]:
    # HSDS types its fields as plain strings/numbers: an absent value is an absent key.
    return {k: v for k, v in data.items() if v is not None and v != [] and v != {}}


def _attributes(record, link_entity: str) -> list[dict[str, Any]]:
    categories = record.categories
    if not categories:
        return []
    parent = record.uuid
    link_id = str(parent)
    return [
        {"id": sub_id(parent, f"attribute:{c.slug}"), "link_id": link_id,
         "link_type": "audience", "link_entity": link_entity,
         "taxonomy_term_id": term_id(c.slug), "value": c.slug}
        for c in categories
    ]


def _phones(record, owner_key: str) -> list[dict[str, Any]]:
    if not record.phone:
        return []
    return [{"id": sub_id(record.uuid, "phone"), owner_key: str(record.uuid),
             "number": record.phone}]


def _contacts(record, owner_key: str) -> list[dict[str, Any]]:
    if not record.contact_role:
        return []
    return [_compact({"id": sub_id(record.uuid, "contact"), owner_key: str(record.uuid),
                      "title": record.contact_role, "email": record.email})]


def extra_values(ctx: ExportContext, hsds_type: str, record) -> dict[str, Any]:
    """Exported plugin fields; internal ones only for token holders."""
    if ctx.app is None:
        return {}
    try:
        from nko_openness.fields.specs import exported_values
    except ImportError:  # the plugin field machinery is optional for the feed
        return {}
    return exported_values(ctx.app, HOOK_ENTITIES[hsds_type], record,
                           include_internal=ctx.internal)


def organization(org: Organization, ctx: ExportContext) -> dict[str, Any]:
    oid = str(org.uuid)
    return _compact({
        "id": oid,
        "name": org.name,
        "alternate_name": org.alternate_name,
        "description": org.description or "",
        "email": org.email,
        "website": org.website,
        "additional_websites": [
            {"id": sub_id(org.uuid, f"website:{i}"), "organization_id": oid, "url": link}
            for i, link in enumerate(_links(org.social_links))
        ],
        "tax_id": org.inn,
        "year_incorporated": org.year_incorporated,
        "legal_status": org.legal_form_label,
        "uri": ctx.url(f"/organizations/{org.slug}"),
        "phones": _phones(org, "organization_id"),
        "contacts": _contacts(org, "organization_id"),
        "organization_identifiers": [
            {"id": sub_id(org.uuid, f"identifier:{i['identifier_scheme']}"),
             "organization_id": oid, **i}
            for i in org.identifiers
        ],
        "attributes": _attributes(org, "organization"),
        # ru-nko profile
        "legal_form": org.legal_form,
        "kpp": org.kpp,
        # The rows, not the association proxy: the proxy's list makes a reference cycle,
        # which would keep every streamed organization alive until a full GC.
        "activity_types": [row.activity for row in org.activity_rows],
        "mission": org.mission,
        "in_registry": org.in_registry,
        "minjust_reports_url": org.minjust_reports_url,
        "locality": org.locality,
        "address": org.address,
        "last_modified": iso(org.last_published_at),
        "extra": extra_values(ctx, "organization", org),
    })


def _links(value) -> list[str]:
    links = []
    for item in value or []:
        link = item.get("url") if isinstance(item, dict) else item
        if isinstance(link, str) and link:
            links.append(link)
    return links


def service(svc: Service, ctx: ExportContext) -> dict[str, Any]:
    sid = str(svc.uuid)
    return _compact({
        "id": sid,
        "organization_id": str(svc.organization.uuid),
        "name": svc.name,
        "alternate_name": svc.alternate_name,
        "description": svc.description or "",
        "url": svc.url,
        "email": svc.email,
        "status": svc.service_status,
        "application_process": svc.application_process,
        "fees_description": svc.fees_description,
        "eligibility_description": svc.eligibility_description,
        "minimum_age": svc.minimum_age,
        "maximum_age": svc.maximum_age,
        "last_modified": iso(svc.last_published_at),
        "phones": _phones(svc, "service_id"),
        "contacts": _contacts(svc, "service_id"),
        "schedules": [{"id": sub_id(svc.uuid, "schedule"), "service_id": sid,
                       "description": svc.schedule_description}]
        if svc.schedule_description else [],
        "service_areas": [{"id": sub_id(svc.uuid, "service_area"), "service_id": sid,
                           "name": svc.service_area}] if svc.service_area else [],
        "cost_options": [{"id": sub_id(svc.uuid, "cost:free"), "service_id": sid,
                          "option": "Бесплатно", "amount": 0, "currency": "RUB"}]
        if svc.is_free else [],
        "attributes": _attributes(svc, "service"),
        # ru-nko profile
        "is_free": svc.is_free,
        "address": svc.address,
        "uri": ctx.url(f"/services/{sid}"),
        "extra": extra_values(ctx, "service", svc),
    })


def program(project: Project, ctx: ExportContext) -> dict[str, Any]:
    pid = str(project.uuid)
    return _compact({
        "id": pid,
        "organization_id": str(project.organization.uuid),
        "name": project.name,
        "alternate_name": project.alternate_name,
        "description": project.description or "",
        "attributes": _attributes(project, "program"),
        # ru-nko profile
        "goal": project.goal,
        "tasks": project.tasks,
        "start_date": iso(project.start_date),
        "end_date": iso(project.end_date),
        "status": project.project_status,
        "geography": project.geography,
        "partners": project.partners,
        "url": project.url,
        "uri": ctx.url(f"/projects/{pid}"),
        "results": [
            _compact({"indicator": r.indicator, "unit": r.unit, "planned": number(r.planned),
                      "achieved": number(r.achieved)})
            for r in project.results
        ],
        "funding": [
            _compact({"funder": f.funder, "programme": f.programme,
                      "amount": number(f.amount), "currency": f.currency,
                      "award_date": iso(f.award_date)})
            for f in project.fundings
        ],
        "last_modified": iso(project.last_published_at),
        "extra": extra_values(ctx, "program", project),
    })


SERIALIZERS = {Organization: organization, Service: service, Project: program}


def to_hsds(record, ctx: ExportContext) -> dict[str, Any]:
    return SERIALIZERS[type(record)](record, ctx)


def minimal(record) -> dict[str, Any]:
    """HSDS ``minimal=true``: just the id and when it last changed."""
    return _compact({"id": str(record.uuid), "last_modified": iso(record.last_published_at)})


# Built once: json.dumps with options makes a new encoder on every call.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def dumps(data: Any) -> str:
    """The one JSON encoding of every feed: compact, UTF-8 text, key order as built."""
    return _ENCODER.encode(data)


# -- taxonomy ---------------------------------------------------------------------------------


def taxonomy() -> dict[str, Any]:
    return {
        "id": BENEFICIARY_TAXONOMY_ID,
        "name": "Категории граждан",
        "description": (
            "Категории граждан, с которыми работают социально ориентированные НКО: целевые "
            "группы (практика Фонда президентских грантов) и обстоятельства, при которых "
            "гражданин признаётся нуждающимся в социальном обслуживании (442-ФЗ, ст. 15)."
        ),
        "version": "1",
    }


def taxonomy_term(category: BeneficiaryCategory, parent_slug: str | None) -> dict[str, Any]:
    return _compact({
        "id": term_id(category.slug),
        "code": category.slug,
        "name": category.name,
        "description": category.description or category.name_en or category.name,
        "parent_id": term_id(parent_slug) if parent_slug else None,
        "taxonomy": "nko-beneficiary-categories",
        "taxonomy_id": BENEFICIARY_TAXONOMY_ID,
        "language": "ru",
    })


# -- the profile ------------------------------------------------------------------------------


@cache
def _static_profile() -> dict[str, Any]:
    text = resources.files("nko_openness").joinpath("data/hsds_profile.json").read_text("utf-8")
    return json.loads(text)


def profile(app: Flask | None, *, internal: bool = False) -> dict[str, Any]:
    """The profile document: JSON Merge Patches over HSDS 3.1, plus the plugin fields."""
    doc = copy.deepcopy(_static_profile())
    schemas = doc["schemas"]
    # Code lists come from the module's vocabularies, so the profile never lags behind them.
    org = schemas["organization.json"]["properties"]
    org["legal_form"]["enum"] = list(LEGAL_FORMS)
    org["activity_types"]["items"]["enum"] = list(ACTIVITY_TYPES)
    schemas["program.json"]["properties"]["status"]["enum"] = list(PROJECT_STATUSES)
    if app is None:
        return doc
    try:
        from nko_openness.fields.specs import json_schema
    except ImportError:
        return doc
    for hsds_type, entity in HOOK_ENTITIES.items():
        extra = schemas[f"{hsds_type}.json"]["properties"]["extra"]
        extra["properties"] = json_schema(app, entity, include_internal=internal)["properties"]
        # Exactly the fields this audience receives: an internal one is an error here.
        extra["additionalProperties"] = False
    return doc


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON Merge Patch: how a profile schema is applied to its HSDS base schema."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result
