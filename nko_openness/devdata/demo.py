"""Demo data for `flask nko load-demo`: Belogorsk NKOs built from the 2023 roundtable resolution."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from importlib.resources import files
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from nko_openness.models import (
    BeneficiaryCategory,
    Organization,
    Project,
    ProjectFunding,
    ProjectResult,
    Service,
)
from nko_openness.publishing.vocabulary import categories_by_slug, seed_categories
from nko_openness.publishing.workflow import mark_published, save_revision

DEMO_RESOURCE = "demo_belogorsk.json"
# Revisions and workflow events name the loader as their author, so moderators can tell
# demo content from content typed by a person.
DEMO_AUTHOR = "load-demo"

# Keys the JSON may carry for each record; anything else is a typo that would otherwise
# be dropped silently.
_ORG_COLUMNS = frozenset({
    "slug", "name", "alternate_name", "legal_form", "inn", "ogrn", "kpp", "description",
    "mission", "website", "email", "phone", "contact_role", "address", "locality",
    "year_incorporated", "in_registry", "minjust_reports_url", "social_links",
})
_SERVICE_COLUMNS = frozenset({
    "name", "alternate_name", "description", "service_status", "url", "email", "phone",
    "contact_role", "eligibility_description", "minimum_age", "maximum_age", "is_free",
    "fees_description", "application_process", "schedule_description", "service_area",
    "address",
})
_PROJECT_COLUMNS = frozenset({
    "name", "alternate_name", "description", "goal", "tasks", "project_status", "geography",
    "partners", "url",
})
_PROJECT_DATES = frozenset({"start_date", "end_date"})
_ORG_NESTED = frozenset({"publish", "activities", "categories", "services", "projects"})
_SERVICE_NESTED = frozenset({"publish", "categories"})
_PROJECT_NESTED = frozenset({"publish", "categories", "results", "fundings"})
_RESULT_KEYS = frozenset({"indicator", "unit", "planned", "achieved"})
_FUNDING_KEYS = frozenset({"funder", "programme", "amount", "currency", "award_date"})


class DemoDataError(ValueError):
    """The bundled demo file does not match the models (a packaging or editing mistake)."""


@dataclass
class _Counts:
    organizations: int = 0
    services: int = 0
    projects: int = 0
    draft_organizations: int = 0
    draft_services: int = 0
    draft_projects: int = 0
    skipped: int = 0


def read_demo_data() -> dict[str, Any]:
    """The bundled JSON, read through importlib.resources so it also works from a wheel."""
    resource = files("nko_openness") / "data" / DEMO_RESOURCE
    return json.loads(resource.read_text(encoding="utf-8"))


def load_demo(session: Session, app: Flask) -> str:
    """Load the demo organizations that are not there yet, in one transaction; a summary line."""
    data = read_demo_data()
    seed_categories(session, app)
    categories = categories_by_slug(session)
    existing = set(session.scalars(select(Organization.slug)))
    counts = _Counts()
    try:
        for item in data["organizations"]:
            if item["slug"] in existing:
                counts.skipped += 1
                continue
            _load_organization(session, item, categories, counts)
            existing.add(item["slug"])
        session.commit()
    except Exception:
        session.rollback()
        raise
    return _summary(counts)


def _load_organization(session: Session, item: dict, categories, counts: _Counts) -> None:
    _check_keys(item, _ORG_COLUMNS | _ORG_NESTED, f"организация {item.get('slug')!r}")
    publish = item.get("publish", True)
    org = Organization(**{k: v for k, v in item.items() if k in _ORG_COLUMNS})
    org.activities = list(item.get("activities", []))
    org.categories = _categories(item, categories, org.slug)
    session.add(org)

    # SQLAlchemy 2 no longer cascades a child into the session through its backref
    # (``Service(organization=org)``), so each child is added explicitly.
    children: list[tuple[Service | Project, bool]] = [
        (_build_service(org, child, categories), publish and child.get("publish", True))
        for child in item.get("services", [])
    ] + [
        (_build_project(org, child, categories), publish and child.get("publish", True))
        for child in item.get("projects", [])
    ]

    session.add_all(child for child, _ in children)
    session.flush()
    save_revision(session, org, DEMO_AUTHOR)
    for child, _ in children:
        save_revision(session, child, DEMO_AUTHOR)

    # The organization goes first: publishing it while no child is live yet emits exactly
    # one upsert (its own); each child then emits its own upsert because its organization
    # is already public. Children of a draft organization stay drafts, so nothing about
    # an unpublished organization reaches the feeds.
    if publish:
        mark_published(session, org, DEMO_AUTHOR)
    for child, child_publish in children:
        if child_publish:
            mark_published(session, child, DEMO_AUTHOR)

    counts.organizations += 1
    counts.draft_organizations += not publish
    for child, child_publish in children:
        if isinstance(child, Service):
            counts.services += 1
            counts.draft_services += not child_publish
        else:
            counts.projects += 1
            counts.draft_projects += not child_publish


def _build_service(org: Organization, item: dict, categories) -> Service:
    _check_keys(item, _SERVICE_COLUMNS | _SERVICE_NESTED, f"услуга {item.get('name')!r}")
    service = Service(organization=org, **{k: v for k, v in item.items()
                                           if k in _SERVICE_COLUMNS})
    service.categories = _categories(item, categories, item["name"])
    return service


def _build_project(org: Organization, item: dict, categories) -> Project:
    label = f"проект {item.get('name')!r}"
    _check_keys(item, _PROJECT_COLUMNS | _PROJECT_DATES | _PROJECT_NESTED, label)
    project = Project(organization=org, **{k: v for k, v in item.items()
                                           if k in _PROJECT_COLUMNS})
    for key in _PROJECT_DATES:
        setattr(project, key, _date(item.get(key)))
    project.categories = _categories(item, categories, item["name"])
    for position, result in enumerate(item.get("results", [])):
        _check_keys(result, _RESULT_KEYS, f"{label}, результат")
        project.results.append(ProjectResult(
            position=position, indicator=result["indicator"], unit=result.get("unit"),
            planned=_decimal(result.get("planned")), achieved=_decimal(result.get("achieved")),
        ))
    for position, funding in enumerate(item.get("fundings", [])):
        _check_keys(funding, _FUNDING_KEYS, f"{label}, финансирование")
        project.fundings.append(ProjectFunding(
            position=position, funder=funding["funder"], programme=funding.get("programme"),
            amount=_decimal(funding.get("amount")), currency=funding.get("currency", "RUB"),
            award_date=_date(funding.get("award_date")),
        ))
    return project


def _categories(item: dict, categories: dict[str, BeneficiaryCategory],
                label: str) -> list[BeneficiaryCategory]:
    try:
        return [categories[slug] for slug in item.get("categories", [])]
    except KeyError as exc:
        raise DemoDataError(f"{label}: неизвестная категория граждан {exc.args[0]!r}") from None


def _check_keys(item: dict, allowed: frozenset[str], label: str) -> None:
    unknown = sorted(set(item) - allowed)
    if unknown:
        raise DemoDataError(f"{label}: неизвестные поля {', '.join(unknown)}")


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _decimal(value: Any) -> Decimal | None:
    # Through str() so a JSON float such as 14.5 becomes Decimal("14.5"), not its binary
    # approximation.
    return None if value is None else Decimal(str(value))


def plural(n: int, one: str, few: str, many: str) -> str:
    """Russian plural agreement: 1 организация, 2 организации, 5 организаций."""
    if n % 10 == 1 and n % 100 != 11:
        word = one
    elif 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        word = few
    else:
        word = many
    return f"{n} {word}"


def _summary(c: _Counts) -> str:
    line = "Загружено: " + ", ".join((
        plural(c.organizations, "организация", "организации", "организаций"),
        plural(c.services, "услуга", "услуги", "услуг"),
        plural(c.projects, "проект", "проекта", "проектов"),
    ))
    drafts = c.draft_organizations + c.draft_services + c.draft_projects
    if drafts:
        line += f"; из них черновиков (не опубликовано): {drafts}"
    if c.skipped:
        line += "; уже были загружены, пропущено: " + plural(
            c.skipped, "организация", "организации", "организаций")
    return line + "."
