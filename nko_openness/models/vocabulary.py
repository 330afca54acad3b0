"""Beneficiary categories (an HSDS taxonomy) and the association tables that use them."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from nko_openness.models.base import Base, PublicIdMixin

# One taxonomy in HSDS terms; its id is fixed so feeds stay stable across installations.
BENEFICIARY_TAXONOMY_ID = "6f2b8c1e-4d0a-5e7b-9c3f-2a1d8e6b4c70"


def _association(name: str, left: str) -> Table:
    # The reverse index serves "everything in this category" without scanning.
    return Table(
        name,
        Base.metadata,
        Column(f"{left}_id", ForeignKey(f"nko_{left}.id", ondelete="CASCADE"), primary_key=True),
        Column(
            "category_id",
            ForeignKey("nko_beneficiary_category.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        Index(f"ix_{name}_category", "category_id", f"{left}_id"),
    )


organization_categories = _association("nko_organization_category", "organization")
service_categories = _association("nko_service_category", "service")
project_categories = _association("nko_project_category", "project")


class BeneficiaryCategory(PublicIdMixin, Base):
    """A category of citizens an NKO works with (never an individual: 152-FZ)."""

    __tablename__ = "nko_beneficiary_category"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    name_en: Mapped[str | None] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    # Where the term comes from: target_group, 442-FZ, or a plugin's name.
    source: Mapped[str] = mapped_column(String(50), default="target_group", nullable=False)
    position: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("nko_beneficiary_category.id", ondelete="SET NULL"), index=True
    )

    parent = relationship("BeneficiaryCategory", remote_side=[id], back_populates="children")
    children = relationship(
        "BeneficiaryCategory", back_populates="parent", order_by="BeneficiaryCategory.position"
    )

    def __repr__(self) -> str:
        return f"<BeneficiaryCategory {self.slug}>"
