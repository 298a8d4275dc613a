"""API shapes of reviews and of the review queue."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.predictions.schemas import PredictionOut


class ReviewIn(BaseModel):
    verdict: Literal["accept", "correct", "reject"] = Field(
        description="accept: the labels are right; correct: give the right labels; reject: not a bug"
    )
    reviewer: str | None = Field(None, max_length=100, description="Defaults to the token's name")
    note: str | None = Field(None, max_length=4000)
    symptom: str | None = None
    root_cause: str | None = None
    root_cause_category: str | None = Field(None, description="Only when the leaf is unknown")
    phase: str | None = None
    component: str | None = None


class ReviewOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    prediction_id: int
    verdict: str
    reviewer: str
    source: str = Field(description="'api', 'web' or 'github_label' (a label changed on GitHub)")
    note: str | None
    symptom: str | None
    root_cause: str | None
    root_cause_category: str | None
    phase: str | None
    component: str | None
    is_current: bool
    created_at: datetime


class QueueIssue(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    repository: str
    number: int
    title: str
    body: str
    html_url: str | None
    engine: str | None
    labels: list


class QueueItem(BaseModel):
    prediction: PredictionOut
    issue: QueueIssue


class ReviewQueue(BaseModel):
    items: list[QueueItem]
    total: int = Field(description="Predictions waiting for a human that match the filters")
