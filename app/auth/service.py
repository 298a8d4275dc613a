"""Create, verify and revoke API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.models import ADMIN, READ, REVIEW, SCOPES, ApiToken
from app.core.database import utcnow
from app.core.errors import InvalidPayload

TOKEN_PREFIX = "trg_"
# Scopes each scope grants: admin can do everything, a reviewer can also read.
IMPLIED_SCOPES = {ADMIN: {ADMIN, REVIEW, READ}, REVIEW: {REVIEW, READ}, READ: {READ}}


def hash_token(token: str) -> str:
    # Tokens carry 256 random bits, so a fast hash is enough; a slow KDF protects guessable secrets.
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def granted(scopes: list[str]) -> set[str]:
    result: set[str] = set()
    for scope in scopes:
        result |= IMPLIED_SCOPES.get(scope, set())
    return result


async def create_token(session: AsyncSession, name: str, scopes: list[str]) -> tuple[str, ApiToken]:
    """Create a token; return it in clear text (shown once) with its stored row."""
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise InvalidPayload(f"Scopes must be some of {', '.join(SCOPES)}; got {', '.join(scopes) or 'none'}.")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(name=name, token_hash=hash_token(token), prefix=token[:10], scopes=sorted(set(scopes)))
    session.add(row)
    await session.flush()
    return token, row


async def verify(session: AsyncSession, token: str) -> ApiToken | None:
    """The active token row for `token`, or None. Records the last use at most once a minute."""
    row = await session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if row is None or row.revoked_at is not None:
        return None
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
        await session.execute(update(ApiToken).where(ApiToken.id == row.id).values(last_used_at=now))
    return row


async def list_tokens(session: AsyncSession) -> list[ApiToken]:
    return list((await session.execute(select(ApiToken).order_by(ApiToken.id))).scalars())


async def revoke(session: AsyncSession, token_id: int) -> bool:
    result = await session.execute(
        update(ApiToken).where(ApiToken.id == token_id, ApiToken.revoked_at.is_(None)).values(revoked_at=utcnow())
    )
    return result.rowcount == 1
