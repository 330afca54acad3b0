"""A service (услуга) an NKO provides: an HSDS service with Russian profile fields."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from nko_openness.core.i18n import age_range
from nko_openness.models.base import Base, PublicIdMixin, TimestampMixin
from nko_openness.models.vocabulary import service_categories
from nko_openness.models.workflow import PublishableMixin


class Service(PublicIdMixin, PublishableMixin, TimestampMixin, Base):
    __tablename__ = "nko_service"
    __table_args__ = (
        Index("ix_nko_service_org_live", "organization_id", "live", "name"),
        # Category pages walk this index in name order and stop after one page, whatever
        # the number of published records (issue 7; without it they sorted all of them).
        Index("ix_nko_service_browse", "live", "name", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("nko_organization.id", ondelete="CASCADE"), nullable=False
    )
    name: Mapped[str] = mapped_column(String(500), nullable=False)
    alternate_name: Mapped[str | None] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)  # sanitized HTML
    # HSDS service.status: active, inactive, defunct, temporarily closed.
    service_status: Mapped[str] = mapped_column(String(30), default="active", nullable=False)
    url: Mapped[str | None] = mapped_column(String(500))
    email: Mapped[str | None] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(50))
    contact_role: Mapped[str | None] = mapped_column(String(255))
    eligibility_description: Mapped[str | None] = mapped_column(Text)
    minimum_age: Mapped[int | None] = mapped_column(Integer)
    maximum_age: Mapped[int | None] = mapped_column(Integer)
    is_free: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    fees_description: Mapped[str | None] = mapped_column(Text)
    application_process: Mapped[str | None] = mapped_column(Text)
    schedule_description: Mapped[str | None] = mapped_column(Text)
    service_area: Mapped[str | None] = mapped_column(String(500))
    address: Mapped[str | None] = mapped_column(String(500))

    organization = relationship("Organization", back_populates="services")
    categories = relationship(
        "BeneficiaryCategory", secondary=service_categories, order_by="BeneficiaryCategory.position"
    )

    @property
    def age_range_label(self) -> str | None:
        """«от 7 до 14 лет» for pages, in the visitor's language."""
        return age_range(self.minimum_age, self.maximum_age)

    def __repr__(self) -> str:
        return f"<Service {self.uuid}>"
