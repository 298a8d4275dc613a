"""Labelled examples kept in the database: the study's issues and human-reviewed predictions.

They join the few-shot pool and the local predictor's training data next to the examples written
for this project in `prompts/examples/`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.database import Base, UTCDateTime, utcnow

SOURCE_STUDY = "study"
SOURCE_REVIEW = "review"


class PoolExample(Base):
    __tablename__ = "pool_examples"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(20), index=True)
    # Unique per example: the issue URL for study rows, "review:<prediction id>" for reviews.
    key: Mapped[str] = mapped_column(String(300), unique=True)
    repository: Mapped[str] = mapped_column(String(200))
    number: Mapped[int] = mapped_column(Integer)
    engine: Mapped[str | None] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text, default="")
    symptom: Mapped[str] = mapped_column(String(40))
    root_cause: Mapped[str] = mapped_column(String(60))
    phase: Mapped[str | None] = mapped_column(String(40))
    component: Mapped[str | None] = mapped_column(String(40))
    rationale: Mapped[str] = mapped_column(Text, default="")
    prediction_id: Mapped[int | None] = mapped_column(ForeignKey("predictions.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
