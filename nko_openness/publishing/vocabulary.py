"""The beneficiary category vocabulary: seeding from law and plugins, and lookups."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from nko_openness.core.vocabularies import BENEFICIARY_CATEGORIES
from nko_openness.models import BeneficiaryCategory


def _plugin_terms(app: Flask) -> list[dict]:
    state = app.extensions["nko_openness"]
    terms: list[dict] = []
    for batch in state.hook.nko_beneficiary_categories(app=app):
        terms.extend(batch or [])
    return terms


def seed_categories(session: Session, app: Flask) -> int:
    """Insert missing terms (built-in, then plugins'); existing terms keep their ids and edits."""
    existing = {c.slug: c for c in session.scalars(select(BeneficiaryCategory))}
    seeds = [
        {"slug": s.slug, "name": s.name, "name_en": s.name_en, "parent": s.parent,
         "source": s.source}
        for s in BENEFICIARY_CATEGORIES
    ] + [{"source": "plugin", **t} for t in _plugin_terms(app)]
    added = 0
    for position, seed in enumerate(seeds):
        category = existing.get(seed["slug"])
        if category is None:
            category = BeneficiaryCategory(
                slug=seed["slug"], name=seed["name"], name_en=seed.get("name_en"),
                source=seed.get("source", "plugin"), position=position,
                description=seed.get("description"),
            )
            session.add(category)
            existing[seed["slug"]] = category
            added += 1
        parent_slug = seed.get("parent")
        if parent_slug and category.parent is None:
            category.parent = existing.get(parent_slug)
    session.flush()
    return added


def categories_by_slug(session: Session) -> dict[str, BeneficiaryCategory]:
    return {c.slug: c for c in session.scalars(select(BeneficiaryCategory))}
