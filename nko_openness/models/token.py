"""API tokens for the export feed: only a SHA-256 of each token is ever stored."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from nko_openness.models.base import Base, utcnow


class ApiToken(Base):
    """A bearer token that unlocks internal fields and higher rate limits; revocable."""

    __tablename__ = "nko_api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Who the token is for, e.g. «Ресурсный центр Амурской области».
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    # Hex SHA-256 of the whole token; the token itself is shown once and never kept.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    # The token's first characters, so a webmaster can tell tokens apart in `token list`.
    prefix: Mapped[str] = mapped_column(String(16), nullable=False)
    created_by: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    revoked_at: Mapped[datetime | None]

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def __repr__(self) -> str:
        return f"<ApiToken {self.prefix}… {self.name!r}>"
