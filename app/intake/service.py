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


def parse_taxonomy_label(name: str, settings) -> tuple[str, str] | None:
    """(field, label) for a GitHub label that carries a taxonomy name, e.g. "symptom: Crash"."""
    for field_name, prefix in (("symptom", settings.symptom_label_prefix), ("root_cause", settings.root_cause_label_prefix)):
        if name.lower().startswith(prefix.lower()):
            return field_name, name[len(prefix):].strip()
    return None


def _is_bot(payload: dict, settings) -> bool:
    sender = payload.get("sender") or {}
    if sender.get("type") == "Bot":
        return True
    return bool(settings.github_bot_login) and sender.get("login") == settings.github_bot_login


def _decide(event: str, payload: dict, settings) -> tuple[str | None, str | None]:
    """Return (job kind to enqueue, reason when nothing is enqueued)."""
    action = payload.get("action")
    if event != "issues":
        return None, f"event '{event}' does not trigger triage"

    issue = payload.get("issue")
    repository = payload.get("repository")
    if not isinstance(issue, dict) or not isinstance(repository, dict):
        raise InvalidPayload("issues payload has no 'issue' or 'repository' object.")
    if "number" not in issue or "full_name" not in repository:
        raise InvalidPayload("issues payload lacks issue.number or repository.full_name.")
    if issue.get("pull_request"):
        return None, "the issue is a pull request"

    if action in ("labeled", "unlabeled"):
        label = (payload.get("label") or {}).get("name")
        if not label:
            # GitHub omits `label` when the label itself was deleted from the repository.
            return None, f"{action} event without a label"
        if parse_taxonomy_label(label, settings) is None:
            return None, f"label '{label}' is not a taxonomy label"
        if _is_bot(payload, settings):
            return None, "the label was changed by a bot, not a person"
        return job_service.LABEL_REVIEW, None

    if action not in TRIAGE_ACTIONS:
        return None, f"issues action '{action}' does not trigger triage"
    if action == "edited":
        changes = payload.get("changes") or {}
        if "title" not in changes and "body" not in changes:
            return None, "the edit changed neither title nor body"
    return job_service.TRIAGE, None


async def receive(
    session: AsyncSession,
    *,
    event: str,
    delivery_guid: str,
    hook_id: int | None,
    payload: dict,
    settings,
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
        kind, reason = _decide(event, payload, settings)
    except InvalidPayload as exc:
        # Kept, not rolled back: the caller commits and then returns 400 with this reason.
        delivery.outcome = "rejected"
        delivery.reason = exc.detail
        return IntakeOutcome(status="rejected", reason=exc.detail)
    if kind is None:
        delivery.reason = reason
        return IntakeOutcome(status="ignored", reason=reason)

    snapshot = await issue_service.upsert_from_payload(session, repository, issue)
    job = await job_service.enqueue(
        session,
        kind,
        issue_id=snapshot.id,
        delivery_id=delivery.id,
        max_attempts=settings.job_max_attempts,
    )
    delivery.issue_id = snapshot.id
    delivery.outcome = "queued"
    await session.flush()
    return IntakeOutcome(status="queued", job_id=job.id)
