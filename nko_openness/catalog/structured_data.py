"""schema.org JSON-LD for public records, and the published-page stream behind the sitemap."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from nko_openness.core.vocabularies import ACTIVITY_TYPES
from nko_openness.models import BeneficiaryCategory, Organization, Project, Service

# The URL of a record's public page, absolute; the view layer knows the routes and the host.
UrlOf = Callable[[Any], str]

SCHEMA_CONTEXT = "https://schema.org"
SITEMAP_BATCH = 1000
_BLOCK_TAG = re.compile(r"</?(?:p|div|li|ul|ol|br|h[1-6]|blockquote|tr|td|th)\b[^>]*>", re.I)


def plain_text(stored_html: str | None, limit: int | None = None) -> str | None:
    """Sanitized HTML as one line of text, cut at a word boundary when ``limit`` is given."""
    if not stored_html:
        return None
    # Block boundaries become spaces, so "</p><ul><li>" does not glue two sentences together.
    text = Markup(_BLOCK_TAG.sub(r" \g<0>", stored_html)).striptags()
    if limit and len(text) > limit:
        text = text[:limit].rsplit(" ", 1)[0].rstrip(",.;:—- ") + "…"
    return text or None


def dumps_for_script(data: dict) -> Markup:
    """JSON safe inside ``<script>``: no ``</script>``, ``<!--`` or ``&`` can end or bend it."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escape)
    return Markup(text)


def _compact(data: dict) -> dict:
    return {k: v for k, v in data.items() if v not in (None, "", [], {})}


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _org_ref(org: Organization, url_of: UrlOf) -> dict:
    url = url_of(org)
    return {"@type": "NGO", "@id": f"{url}#organization", "name": org.name, "url": url}


def _postal_address(street: str | None, locality: str | None) -> dict | None:
    if not (street or locality):
        return None
    return _compact({"@type": "PostalAddress", "streetAddress": street,
                     "addressLocality": locality, "addressCountry": "RU"})


def organization_jsonld(org: Organization, url_of: UrlOf) -> dict:
    """An ``NGO`` with ОГРН and ИНН as ``identifier`` PropertyValues (schemes from org-id.guide)."""
    identifiers = [
        {"@type": "PropertyValue", "propertyID": item["identifier_scheme"],
         "name": item["identifier_type"], "value": item["identifier"]}
        for item in org.identifiers
    ]
    same_as = [link for link in [org.website, *_social_urls(org)] if link]
    return _compact({
        "@context": SCHEMA_CONTEXT,
        **_org_ref(org, url_of),
        "alternateName": org.alternate_name,
        "legalName": org.name if org.has_legal_entity else None,
        "description": plain_text(org.description) or plain_text(org.mission),
        "identifier": identifiers,
        "taxID": org.inn,
        "foundingDate": str(org.year_incorporated) if org.year_incorporated else None,
        "address": _postal_address(org.address, org.locality),
        "telephone": org.phone,
        "email": org.email,
        "sameAs": same_as,
        "knowsAbout": [ACTIVITY_TYPES.get(code, code) for code in org.activities],
    })


def _social_urls(org: Organization) -> list[str]:
    links = []
    for item in org.social_links or []:
        link = item.get("url") if isinstance(item, dict) else item
        if isinstance(link, str) and link.startswith(("https://", "http://")):
            links.append(link)
    return links


def service_jsonld(service: Service, url_of: UrlOf) -> dict:
    """A ``Service``: who it is for, where, who provides it, whether it is free."""
    org = service.organization
    audience = _compact({
        "@type": "PeopleAudience",
        "audienceType": [c.name for c in service.categories],
        "suggestedMinAge": service.minimum_age,
        "suggestedMaxAge": service.maximum_age,
        "description": service.eligibility_description,
    })
    offer = _compact({
        "@type": "Offer",
        "price": 0 if service.is_free else None,
        "priceCurrency": "RUB" if service.is_free else None,
        "description": service.fees_description,
    })
    channel = _compact({
        "@type": "ServiceChannel",
        "serviceUrl": service.url,
        "description": service.application_process,
        "servicePhone": _compact({"@type": "ContactPoint", "telephone": service.phone,
                                  "email": service.email}) if service.phone or service.email
        else None,
        "serviceLocation": _compact({"@type": "Place",
                                     "address": _postal_address(service.address, None)})
        if service.address else None,
    })
    url = url_of(service)
    return _compact({
        "@context": SCHEMA_CONTEXT,
        "@type": "Service",
        "@id": f"{url}#service",
        "name": service.name,
        "alternateName": service.alternate_name,
        "url": url,
        "description": plain_text(service.description),
        "provider": _org_ref(org, url_of),
        "audience": audience if len(audience) > 1 else None,
        "areaServed": service.service_area or org.locality,
        "offers": offer if len(offer) > 1 else None,
        "availableChannel": channel if len(channel) > 1 else None,
        "serviceType": [c.name for c in service.categories] or None,
    })


def project_jsonld(project: Project, url_of: UrlOf) -> dict:
    """A ``Project`` (an organization-like endeavour) with its grants as ``MonetaryGrant``."""
    url = url_of(project)
    grants = [
        _compact({
            "@type": "MonetaryGrant",
            "name": funding.programme or funding.funder,
            "funder": {"@type": "Organization", "name": funding.funder},
            "amount": {"@type": "MonetaryAmount", "value": _number(funding.amount),
                       "currency": funding.currency} if funding.amount is not None else None,
        })
        for funding in project.fundings
    ]
    funders = list(dict.fromkeys(funding.funder for funding in project.fundings))
    return _compact({
        "@context": SCHEMA_CONTEXT,
        "@type": "Project",
        "@id": f"{url}#project",
        "name": project.name,
        "alternateName": project.alternate_name,
        "url": url,
        "description": plain_text(project.description) or plain_text(project.goal),
        "parentOrganization": _org_ref(project.organization, url_of),
        "areaServed": project.geography,
        "foundingDate": project.start_date.isoformat() if project.start_date else None,
        "dissolutionDate": project.end_date.isoformat() if project.end_date else None,
        "keywords": [c.name for c in project.categories] or None,
        "funder": [{"@type": "Organization", "name": name} for name in funders],
        "funding": grants,
        "sameAs": [project.url] if project.url else None,
    })


BUILDERS = {"organization": organization_jsonld, "service": service_jsonld,
            "project": project_jsonld}


def jsonld_for(page: str, obj: Any, url_of: UrlOf) -> dict | None:
    builder = BUILDERS.get(page)
    return builder(obj, url_of) if builder and obj is not None else None


def share_description(obj: Any, limit: int = 200) -> str | None:
    """A short text for link previews (OpenGraph), from the record's own description."""
    for attr in ("description", "mission", "goal"):
        text = plain_text(getattr(obj, attr, None), limit)
        if text:
            return text
    return None


# --- sitemap -------------------------------------------------------------------------------

def _keyset_ids(session: Session, stmt, id_col, low: int, high: int | None) -> Iterator:
    """Rows in id order, a batch at a time: each batch is an index range scan (flat cost)."""
    last = low - 1
    while True:
        batch_stmt = stmt.where(id_col > last).order_by(id_col).limit(SITEMAP_BATCH)
        if high is not None:
            batch_stmt = batch_stmt.where(id_col < high)
        rows = session.execute(batch_stmt).all()
        yield from rows
        if len(rows) < SITEMAP_BATCH:
            return
        last = rows[-1][0]


def published_organizations(session: Session, low: int = 0, high: int | None = None):
    stmt = select(Organization.id, Organization.slug, Organization.last_published_at).where(
        Organization.live.is_(True))
    for _id, slug, modified in _keyset_ids(session, stmt, Organization.id, low, high):
        yield slug, modified


def _published_children(session: Session, model, low: int, high: int | None):
    stmt = (select(model.id, model.uuid, model.last_published_at)
            .join(Organization, model.organization_id == Organization.id)
            .where(model.live.is_(True), Organization.live.is_(True)))
    for _id, public_id, modified in _keyset_ids(session, stmt, model.id, low, high):
        yield public_id, modified


def published_services(session: Session, low: int = 0, high: int | None = None):
    return _published_children(session, Service, low, high)


def published_projects(session: Session, low: int = 0, high: int | None = None):
    return _published_children(session, Project, low, high)


def category_slugs(session: Session) -> list[str]:
    return list(session.scalars(select(BeneficiaryCategory.slug)
                                .order_by(BeneficiaryCategory.position, BeneficiaryCategory.id)))


SITEMAP_KINDS = {"organizations": Organization, "services": Service, "projects": Project}


def max_ids(session: Session) -> dict[str, int]:
    """The highest row id per kind: how many id ranges a sitemap index needs, in O(1) each."""
    return {kind: session.scalar(select(func.max(model.id))) or 0
            for kind, model in SITEMAP_KINDS.items()}


def w3c_date(value: datetime | None) -> str | None:
    return value.date().isoformat() if value else None
