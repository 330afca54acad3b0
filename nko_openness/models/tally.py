"""Published services and projects per beneficiary category, kept as counters.

The "all categories" page shows these numbers; counting them afresh means aggregating every
published record (seconds at 220,000 NKOs). ``search/index.py`` keeps both tables in
step with the search index, in the transaction that changes the public set.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from nko_openness.models.base import Base


class CategoryTally(Base):
    """How many published services and projects have this category (sub-categories apart)."""

    __tablename__ = "nko_category_tally"

    category_id: Mapped[int] = mapped_column(
        ForeignKey("nko_beneficiary_category.id", ondelete="CASCADE"), primary_key=True
    )
    items: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class CategoryTallyEntry(Base):
    """One category a search document of a service or project adds to the tally.

    The category facet of a document also holds the parents of its categories (a record is
    found under its parent), so it cannot say which categories were the record's own; this
    does, for the categories as they were indexed, when the record leaves the public set.
    """

    __tablename__ = "nko_category_tally_entry"

    document_id: Mapped[int] = mapped_column(
        ForeignKey("nko_search_document.id", ondelete="CASCADE"), primary_key=True
    )
    category_id: Mapped[int] = mapped_column(
        ForeignKey("nko_beneficiary_category.id", ondelete="CASCADE"), primary_key=True
    )
