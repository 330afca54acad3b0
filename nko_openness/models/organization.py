"""The NKO itself: an HSDS organization with Russian registration data."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.ext.associationproxy import association_proxy
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from nko_openness.core.validators import validate_inn, validate_kpp, validate_ogrn
from nko_openness.core.vocabularies import ACTIVITY_TYPES, FORMS_WITHOUT_LEGAL_ENTITY, LEGAL_FORMS
from nko_openness.models.base import Base, PublicIdMixin, TimestampMixin
from nko_openness.models.vocabulary import organization_categories
from nko_openness.models.workflow import PublishableMixin


class OrganizationActivity(Base):
    """One activity type (7-FZ art. 31.1) of one organization; a row so the catalog can filter."""

    __tablename__ = "nko_organization_activity"
    __table_args__ = (
        Index("ix_nko_organization_activity_activity", "activity", "organization_id"),
    )

    organization_id: Mapped[int] = mapped_column(
        ForeignKey("nko_organization.id", ondelete="CASCADE"), primary_key=True
    )
    activity: Mapped[str] = mapped_column(String(50), primary_key=True)

    def __init__(self, activity: str):
        if activity not in ACTIVITY_TYPES:
            raise ValueError(f"Неизвестный вид деятельности: {activity!r}")
        self.activity = activity


class Organization(PublicIdMixin, PublishableMixin, TimestampMixin, Base):
    __tablename__ = "nko_organization"
    # Catalog order and keyset pagination walk this index; filters join through the
    # association tables' reverse indexes.
    __table_args__ = (Index("ix_nko_organization_catalog", "live", "sort_name", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(500), nullable=False)
    alternate_name: Mapped[str | None] = mapped_column(String(255))
    # Name without quotes and legal-form prefixes, lower-cased: the catalog's sort key.
    sort_name: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    legal_form: Mapped[str] = mapped_column(String(40), nullable=False)
    inn: Mapped[str | None] = mapped_column(String(12), index=True)
    ogrn: Mapped[str | None] = mapped_column(String(15), index=True)
    kpp: Mapped[str | None] = mapped_column(String(9))
    description: Mapped[str | None] = mapped_column(Text)  # sanitized HTML
    mission: Mapped[str | None] = mapped_column(Text)  # sanitized HTML
    website: Mapped[str | None] = mapped_column(String(500))
    email: Mapped[str | None] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(50))
    contact_role: Mapped[str | None] = mapped_column(String(255))
    address: Mapped[str | None] = mapped_column(String(500))
    locality: Mapped[str | None] = mapped_column(String(255))
    year_incorporated: Mapped[int | None] = mapped_column(Integer)
    # Included in the register of SO NKO receiving support (7-FZ art. 31.2).
    in_registry: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    minjust_reports_url: Mapped[str | None] = mapped_column(String(500))
    social_links: Mapped[list] = mapped_column(default=list, nullable=False)

    activity_rows = relationship(
        OrganizationActivity, cascade="all, delete-orphan", passive_deletes=True,
        order_by=OrganizationActivity.activity,
    )
    # A plain list of activity codes: ``org.activities = ["social_support", ...]``.
    activities = association_proxy("activity_rows", "activity")

    categories = relationship(
        "BeneficiaryCategory", secondary=organization_categories,
        order_by="BeneficiaryCategory.position",
    )
    # Children go with their organization; the database cascades rows never loaded.
    services = relationship("Service", back_populates="organization", order_by="Service.name",
                            cascade="all, delete-orphan", passive_deletes=True)
    projects = relationship("Project", back_populates="organization", order_by="Project.name",
                            cascade="all, delete-orphan", passive_deletes=True)
    documents = relationship("Document", back_populates="organization", order_by="Document.id",
                             cascade="all, delete-orphan", passive_deletes=True)
    memberships = relationship("Membership", back_populates="organization",
                               cascade="all, delete-orphan", passive_deletes=True)

    @property
    def has_legal_entity(self) -> bool:
        return self.legal_form not in FORMS_WITHOUT_LEGAL_ENTITY

    @property
    def legal_form_label(self) -> str:
        return LEGAL_FORMS.get(self.legal_form, self.legal_form)

    @property
    def identifiers(self) -> list[dict[str, str]]:
        """HSDS organization_identifier entries, schemes as in org-id.guide."""
        ids = []
        if self.ogrn:
            ids.append({"identifier_scheme": "RU-OGRN", "identifier_type": "ОГРН",
                        "identifier": self.ogrn})
        if self.inn:
            ids.append({"identifier_scheme": "RU-INN", "identifier_type": "ИНН",
                        "identifier": self.inn})
        return ids

    @validates("inn")
    def _check_inn(self, key, value):
        return validate_inn(value) if value else None

    @validates("ogrn")
    def _check_ogrn(self, key, value):
        return validate_ogrn(value) if value else None

    @validates("kpp")
    def _check_kpp(self, key, value):
        return validate_kpp(value) if value else None

    @validates("legal_form")
    def _check_legal_form(self, key, value):
        if value not in LEGAL_FORMS:
            raise ValueError(f"Неизвестная организационно-правовая форма: {value!r}")
        return value

    @validates("name")
    def _derive_sort_name(self, key, value):
        self.sort_name = sort_key(value)
        return value

    def __repr__(self) -> str:
        return f"<Organization {self.slug}>"


_SORT_STRIP = str.maketrans("", "", "«»\"'“”„")


def sort_key(name: str) -> str:
    """Catalog order by the distinctive name: «СПОРТиЯ» sorts under С, not under its legal form.

    Russian NKO names put the legal form first and the proper name in «ёлочки», so the quoted
    part, when there is one, is what a reader looks for.
    """
    name = name or ""
    start = name.find("«")
    if start != -1:
        name = name[start + 1:]
    return " ".join(name.translate(_SORT_STRIP).lower().replace("ё", "е").split())
