"""A project (проект): an HSDS program with goal, results and funding (360Giving-aligned)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from nko_openness.models.base import Base, PublicIdMixin, TimestampMixin
from nko_openness.models.vocabulary import project_categories
from nko_openness.models.workflow import PublishableMixin


class Project(PublicIdMixin, PublishableMixin, TimestampMixin, Base):
    __tablename__ = "nko_project"
    __table_args__ = (
        Index("ix_nko_project_org_live", "organization_id", "live", "name"),
        # Category pages walk this index in name order and stop after one page, whatever
        # the number of published records (issue 7; without it they sorted all of them).
        Index("ix_nko_project_browse", "live", "name", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("nko_organization.id", ondelete="CASCADE"), nullable=False
    )
    name: Mapped[str] = mapped_column(String(500), nullable=False)
    alternate_name: Mapped[str | None] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)  # sanitized HTML
    goal: Mapped[str | None] = mapped_column(Text)  # sanitized HTML
    tasks: Mapped[str | None] = mapped_column(Text)  # sanitized HTML
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    project_status: Mapped[str] = mapped_column(String(20), default="active", nullable=False)
    geography: Mapped[str | None] = mapped_column(String(500))
    partners: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(500))

    organization = relationship("Organization", back_populates="projects")
    categories = relationship(
        "BeneficiaryCategory", secondary=project_categories, order_by="BeneficiaryCategory.position"
    )
    results = relationship(
        "ProjectResult", cascade="all, delete-orphan", order_by="ProjectResult.position",
        passive_deletes=True,
    )
    fundings = relationship(
        "ProjectFunding", cascade="all, delete-orphan", order_by="ProjectFunding.position",
        passive_deletes=True,
    )

    @property
    def total_funding(self) -> Decimal:
        return sum((f.amount or Decimal(0) for f in self.fundings), Decimal(0))

    def __repr__(self) -> str:
        return f"<Project {self.uuid}>"


class ProjectResult(Base):
    """An indicator with its planned and achieved values (aggregate numbers only, 152-FZ)."""

    __tablename__ = "nko_project_result"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("nko_project.id", ondelete="CASCADE"), nullable=False, index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    indicator: Mapped[str] = mapped_column(String(500), nullable=False)
    unit: Mapped[str | None] = mapped_column(String(50))
    planned: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    achieved: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))


class ProjectFunding(Base):
    """One grant or subsidy: funder, programme, amount in roubles, award date."""

    __tablename__ = "nko_project_funding"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("nko_project.id", ondelete="CASCADE"), nullable=False, index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    funder: Mapped[str] = mapped_column(String(500), nullable=False)
    programme: Mapped[str | None] = mapped_column(String(500))
    amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    currency: Mapped[str] = mapped_column(String(3), default="RUB", nullable=False)
    award_date: Mapped[date | None] = mapped_column(Date)
