"""Verification of GitHub's `X-Hub-Signature-256` header."""

from __future__ import annotations

import hashlib
import hmac

from app.core.errors import InvalidSignature

SIGNATURE_HEADER = "X-Hub-Signature-256"


def sign(secret: bytes, body: bytes) -> str:
    """Return the header value GitHub would send for `body`."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def verify_signature(secret: bytes, body: bytes, header_value: str | None) -> None:
    """Raise InvalidSignature unless `header_value` is the HMAC-SHA256 of the raw body.

    The comparison runs on bytes: `hmac.compare_digest` raises TypeError on str arguments
    with non-ASCII characters, which would turn a forged header into a 500.
    """
    if not header_value:
        raise InvalidSignature(
            f"Missing {SIGNATURE_HEADER} header. Set a secret on the GitHub webhook and the same "
            "value in TRIAGE_WEBHOOK_SECRET."
        )

    # Starlette decodes header bytes as latin-1, so this restores the bytes that were sent.
    received = header_value.strip().encode("latin-1", errors="replace")
    expected = sign(secret, body).encode("ascii")
    if not hmac.compare_digest(expected, received):
        raise InvalidSignature(
            f"Invalid {SIGNATURE_HEADER}: it does not match the HMAC-SHA256 of the request body. "
            "Check that TRIAGE_WEBHOOK_SECRET equals the webhook's secret and that no proxy "
            "rewrites the body."
        )
