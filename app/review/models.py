"""Human decisions about predictions, kept apart from the predictions themselves."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.database import Base, UTCDateTime, utcnow

ACCEPT = "accept"
CORRECT = "correct"
REJECT = "reject"  # not a bug
VERDICTS = (ACCEPT, CORRECT, REJECT)

SOURCE_API = "api"
SOURCE_WEB = "web"
SOURCE_GITHUB_LABEL = "github_label"


class Review(Base):
    __tablename__ = "reviews"
    __table_args__ = (
        # At most one current review per prediction; older ones stay as history.
        Index(
            "uq_reviews_current_prediction",
            "prediction_id",
            unique=True,
            postgresql_where=text("is_current"),
            sqlite_where=text("is_current"),
        ),
        Index("ix_reviews_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    prediction_id: Mapped[int] = mapped_column(ForeignKey("predictions.id", ondelete="CASCADE"), index=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"), index=True)
    verdict: Mapped[str] = mapped_column(String(20))
    reviewer: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(20), default=SOURCE_API)
    note: Mapped[str | None] = mapped_column(Text)
    # The labels the reviewer considers right (None for a rejected report).
    symptom: Mapped[str | None] = mapped_column(String(40))
    root_cause: Mapped[str | None] = mapped_column(String(60))
    root_cause_category: Mapped[str | None] = mapped_column(String(40))
    phase: Mapped[str | None] = mapped_column(String(40))
    component: Mapped[str | None] = mapped_column(String(40))
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
