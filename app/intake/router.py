"""`POST /webhooks/github`: verify, store, enqueue, answer 202."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError

from app.core.errors import InvalidPayload, PayloadTooLarge
from app.core.logging import get_logger
from app.intake import service as intake_service
from app.intake.schemas import ErrorBody, WebhookAccepted
from app.intake.signature import SIGNATURE_HEADER, verify_signature

log = get_logger(__name__)
router = APIRouter(tags=["webhooks"])

_ERRORS = {
    400: {"model": ErrorBody, "description": "Missing GitHub headers or a malformed payload."},
    401: {"model": ErrorBody, "description": "Missing or invalid X-Hub-Signature-256."},
    413: {"model": ErrorBody, "description": "Body larger than TRIAGE_MAX_WEBHOOK_BYTES."},
    415: {"model": ErrorBody, "description": "Content type other than JSON or form-encoded."},
}


async def _read_body(request: Request, limit: int) -> bytes:
    """Read the raw body, stopping at `limit` bytes so an unauthenticated client cannot exhaust memory."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"Body of {declared} bytes exceeds the limit of {limit} bytes.")

    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"Body exceeds the limit of {limit} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)


@router.post(
    "/webhooks/github",
    status_code=202,
    response_model=WebhookAccepted,
    responses={200: {"model": WebhookAccepted, "description": "ping or duplicate delivery"}, **_ERRORS},
)
async def receive_github_webhook(request: Request) -> JSONResponse:
    """Receive a GitHub webhook delivery. Issues that are opened, reopened or edited are queued for triage."""
    settings = request.app.state.settings
    database = request.app.state.database

    body = await _read_body(request, settings.max_webhook_bytes)
    if settings.webhook_secret is not None:
        verify_signature(
            settings.webhook_secret.get_secret_value().encode("utf-8"),
            body,
            request.headers.get(SIGNATURE_HEADER),
        )

    event = request.headers.get("X-GitHub-Event")
    delivery_guid = request.headers.get("X-GitHub-Delivery")
    if not event or not delivery_guid:
        raise InvalidPayload(
            "Missing X-GitHub-Event or X-GitHub-Delivery header; send deliveries from a GitHub webhook "
            "or set both headers."
        )
    hook_id_header = request.headers.get("X-GitHub-Hook-ID", "")
    hook_id = int(hook_id_header) if hook_id_header.isdigit() else None
    bound = log.bind(delivery=delivery_guid, github_event=event)

    payload = intake_service.parse_payload(body, request.headers.get("content-type"))

    try:
        async with database.transaction() as session:
            if await intake_service.is_duplicate(session, delivery_guid):
                outcome = intake_service.IntakeOutcome(status="duplicate", reason="delivery already received")
            else:
                outcome = await intake_service.receive(
                    session,
                    event=event,
                    delivery_guid=delivery_guid,
                    hook_id=hook_id,
                    payload=payload,
                    settings=settings,
                )
    except IntegrityError:
        # A concurrent copy of this delivery committed first.
        outcome = intake_service.IntakeOutcome(status="duplicate", reason="delivery already received")

    bound.info("webhook.received", action=payload.get("action"), outcome=outcome.status, job_id=outcome.job_id)
    metrics = getattr(request.app.state, "metrics", None)
    if metrics is not None:
        metrics.deliveries.labels(event=event, outcome=outcome.status).inc()

    if outcome.status == "rejected":
        raise InvalidPayload(outcome.reason or "invalid payload")
    if outcome.status == "queued":
        request.app.state.job_signal.notify()

    status_code = 200 if outcome.status in ("pong", "duplicate") else 202
    response = WebhookAccepted(
        status=outcome.status, delivery=delivery_guid, reason=outcome.reason, job_id=outcome.job_id
    )
    return JSONResponse(status_code=status_code, content=response.model_dump())
