"""Webhook intake: decide what a verified delivery means, store it, and enqueue triage.

Nothing here calls the model or GitHub: the request only stores and enqueues, so that it is
answered in milliseconds, well inside GitHub's 10-second delivery timeout.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import parse_qs

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import InvalidPayload, UnsupportedContentType
from app.intake.models import Delivery
from app.issues import service as issue_service
from app.jobs import service as job_service

TRIAGE_ACTIONS = frozenset({"opened", "reopened", "edited"})


@dataclass
class IntakeOutcome:
    status: str  # queued, ignored, duplicate, pong, rejected
    reason: str | None = None
    job_id: int | None = None


def parse_payload(body: bytes, content_type: str | None) -> dict:
    """Decode a JSON or form-encoded (`payload=`) delivery body into the event payload."""
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type == "application/json":
        text = body
    elif media_type == "application/x-www-form-urlencoded":
        fields = parse_qs(body.decode("utf-8", errors="strict"), keep_blank_values=True)
        if "payload" not in fields:
            raise InvalidPayload(
                "Form-encoded delivery has no 'payload' field; GitHub puts the JSON event there."
            )
        text = fields["payload"][0]
    else:
        raise UnsupportedContentType(
            f"Content-Type {media_type or '(none)'!r} is not supported; set the webhook's "
            "content type to application/json (application/x-www-form-urlencoded also works)."
        )

    try:
        payload = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidPayload(f"Delivery body is not valid JSON: {exc}") from exc
    if not isinstance(payload, dict):
        raise InvalidPayload("Delivery body must be a JSON object.")
    return payload


async def is_duplicate(session: AsyncSession, delivery_guid: str) -> bool:
    result = await session.execute(select(Delivery.id).where(Delivery.delivery_guid == delivery_guid))
    return result.first() is not None


def _triage_decision(event: str, payload: dict) -> tuple[bool, str | None]:
    """Return (should_triage, reason_if_not) for a delivery."""
    action = payload.get("action")
    if event != "issues":
        return False, f"event '{event}' does not trigger triage"
    if action not in TRIAGE_ACTIONS:
        return False, f"issues action '{action}' does not trigger triage"

    issue = payload.get("issue")
    repository = payload.get("repository")
    if not isinstance(issue, dict) or not isinstance(repository, dict):
        raise InvalidPayload("issues payload has no 'issue' or 'repository' object.")
    if "number" not in issue or "full_name" not in repository:
        raise InvalidPayload("issues payload lacks issue.number or repository.full_name.")
    if issue.get("pull_request"):
        return False, "the issue is a pull request"
    if action == "edited":
        changes = payload.get("changes") or {}
        if "title" not in changes and "body" not in changes:
            return False, "the edit changed neither title nor body"
    return True, None


async def receive(
    session: AsyncSession,
    *,
    event: str,
    delivery_guid: str,
    hook_id: int | None,
    payload: dict,
    max_attempts: int,
) -> IntakeOutcome:
    """Store a verified delivery and, for a new or changed issue, enqueue a triage job."""
    action = payload.get("action")
    repository = (payload.get("repository") or {}).get("full_name")
    issue = payload.get("issue") if isinstance(payload.get("issue"), dict) else {}
    delivery = Delivery(
        delivery_guid=delivery_guid,
        hook_id=hook_id,
        event=event,
        action=action if isinstance(action, str) else None,
        repository=repository,
        issue_number=issue.get("number"),
        sender=(payload.get("sender") or {}).get("login"),
        payload=payload,
        outcome="ignored",
    )
    session.add(delivery)
    # Flush first: a concurrent copy of the same delivery fails here on the unique GUID.
    await session.flush()

    if event == "ping":
        delivery.outcome = "pong"
        return IntakeOutcome(status="pong", reason=payload.get("zen"))

    try:
        should_triage, reason = _triage_decision(event, payload)
    except InvalidPayload as exc:
        # Kept, not rolled back: the caller commits and then answers 400 with this reason.
        delivery.outcome = "rejected"
        delivery.reason = exc.detail
        return IntakeOutcome(status="rejected", reason=exc.detail)
    if not should_triage:
        delivery.reason = reason
        return IntakeOutcome(status="ignored", reason=reason)

    snapshot = await issue_service.upsert_from_payload(session, repository, issue)
    job = await job_service.enqueue(
        session,
        job_service.TRIAGE,
        issue_id=snapshot.id,
        delivery_id=delivery.id,
        max_attempts=max_attempts,
    )
    delivery.issue_id = snapshot.id
    delivery.outcome = "queued"
    await session.flush()
    return IntakeOutcome(status="queued", job_id=job.id)
