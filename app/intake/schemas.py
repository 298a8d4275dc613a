"""Responses of the webhook endpoint."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class WebhookAccepted(BaseModel):
    status: Literal["queued", "ignored", "duplicate", "pong"]
    delivery: str
    reason: str | None = None
    job_id: int | None = None


class ErrorBody(BaseModel):
    error: str
    detail: str
