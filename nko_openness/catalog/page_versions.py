"""A public record with the versions of everything its page shows, in one statement.

The page cache (``nko_openness.core.fragments``, docs/caching.md) keys rendered fragments by these
versions. Publications, edits and unpublications write a Change row, so the outbox high-water
mark covers them; two things the page shows change without one and get versions of their own:
documents (withdrawing one takes effect at once) and the names of beneficiary categories (the
vocabulary is data the webmaster may edit).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from nko_openness.models import (
    BeneficiaryCategory,
    Change,
    Document,
    Organization,
    organization_categories,
)


@dataclass(frozen=True)
class PageVersion:
    change_seq: int
    documents: tuple[int, int | None]  # live documents: how many, the newest id
    vocabulary: str  # the organization's categories as shown: slug, name, English name


@cache
def _organization_statement():
    # Built once: constructing this expression costs more than running it on a cache hit.
    live_documents = (Document.organization_id == Organization.id, Document.live.is_(True))
    category = BeneficiaryCategory
    return select(
        Organization,
        select(func.max(Change.seq)).scalar_subquery(),
        select(func.count(Document.id)).where(*live_documents).scalar_subquery(),
        select(func.max(Document.id)).where(*live_documents).scalar_subquery(),
        select(func.aggregate_strings(
            category.slug + ":" + category.name + ":" + func.coalesce(category.name_en, ""), "|",
        )).join(organization_categories, organization_categories.c.category_id == category.id)
        .where(organization_categories.c.organization_id == Organization.id)
        .scalar_subquery(),
    ).where(Organization.slug == bindparam("slug"), Organization.live.is_(True))


def organization_for_page(session: Session, slug: str) -> tuple[Organization, PageVersion] | None:
    """The published organization (its row only) and its page's version, or None."""
    row = session.execute(_organization_statement(), {"slug": slug}).first()
    if row is None:
        return None
    org, seq, documents, newest_document, vocabulary = row
    return org, PageVersion(seq or 0, (documents, newest_document), vocabulary or "")
