"""Bearer-token checks for the `/v1` API."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.auth import service as auth_service
from app.auth.models import READ
from app.core.errors import TriageError


class Unauthorized(TriageError):
    status_code = 401

    def __init__(self, detail: str):
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(TriageError):
    status_code = 403


class Principal:
    """Who is calling: a token's name and scopes, or an anonymous reader when reads are open."""

    def __init__(self, name: str, scopes: set[str]):
        self.name = name
        self.scopes = scopes


def require_scope(scope: str):
    async def dependency(request: Request) -> Principal:
        settings = request.app.state.settings
        header = request.headers.get("authorization", "")
        if not header and scope == READ and settings.open_read:
            return Principal("anonymous", {READ})

        kind, _, token = header.partition(" ")
        if kind.lower() != "bearer" or not token.strip():
            raise Unauthorized(
                f"This endpoint needs a bearer token with the '{scope}' scope: send 'Authorization: Bearer "
                f"<token>'. Create one with `triage tokens create NAME --scope {scope}`."
            )
        async with request.app.state.database.transaction() as session:
            row = await auth_service.verify(session, token.strip())
        if row is None:
            raise Unauthorized("The bearer token is unknown or revoked; create a new one with `triage tokens create`.")
        scopes = auth_service.granted(row.scopes)
        if scope not in scopes:
            raise Forbidden(f"Token '{row.name}' lacks the '{scope}' scope (it has: {', '.join(sorted(row.scopes))}).")
        return Principal(row.name, scopes)

    return dependency


ReadAccess = Annotated[Principal, Depends(require_scope(READ))]
