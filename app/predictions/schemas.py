"""API shapes of predictions. The field names and meanings are a stable, documented contract."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class CurrentReview(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    verdict: str
    reviewer: str
    source: str
    symptom: str | None
    root_cause: str | None
    created_at: datetime


class PredictionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    repository: str = Field(description="owner/name of the GitHub repository")
    issue_number: int
    engine: str | None = Field(description="Inference engine the repository belongs to, when known")
    predictor: str = Field(description="'llm' (model pooled with the local predictor) or 'local'")
    model: str
    prompt_version: str = Field(description="Hash of the files under prompts/ used for this prediction")
    taxonomy_version: str
    response_format: str | None = Field(description="JSON format the endpoint accepted, for 'llm' predictions")
    symptom: str
    symptom_confidence: float = Field(description="Calibrated probability that the symptom is right")
    symptom_confidence_raw: float
    root_cause_category: str | None
    root_cause_category_confidence: float | None
    root_cause: str | None = Field(description="Root-cause leaf; null when the predictor abstained")
    root_cause_confidence: float | None
    root_cause_confidence_raw: float | None
    phase: str | None
    phase_confidence: float | None
    component: str | None
    component_confidence: float | None
    calibration: str = Field(description="How confidences were calibrated: 'none', 'isotonic', 'platt' or 'mixed' (per field)")
    needs_review: bool
    rationale: str
    evidence: dict
    examples: list = Field(description="Ids of the labelled examples retrieved for this issue")
    prompt_tokens: int
    completion_tokens: int
    cached_prefix_tokens: int
    latency_ms: float
    created_at: datetime
    review: CurrentReview | None = Field(None, description="The current human review, if any")


class PredictionPage(BaseModel):
    items: list[PredictionOut]
    next_cursor: str | None = Field(description="Pass as `cursor` to get the next page; null on the last page")


class IssueOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    repository: str
    number: int
    engine: str | None
    title: str
    body: str
    author: str | None
    html_url: str | None
    state: str | None
    labels: list
    content_hash: str
    github_created_at: datetime | None
    github_updated_at: datetime | None
    first_seen_at: datetime
    last_seen_at: datetime


class IssueWithPredictions(BaseModel):
    issue: IssueOut
    predictions: list[PredictionOut] = Field(description="Newest first")
    jobs: list[dict] = Field(description="Triage jobs of this issue, newest first")
