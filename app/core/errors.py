"""Typed domain errors. Each carries the HTTP status it maps to and a message that says how to fix it."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


class TriageError(Exception):
    """Base of all expected errors. The API renders them as `{"error": ClassName, "detail": ...}`."""

    status_code: int = 500

    def __init__(self, detail: str, *, status_code: int | None = None, headers: dict | None = None):
        super().__init__(detail)
        self.detail = detail
        if status_code is not None:
            self.status_code = status_code
        self.headers = headers


class ConfigurationError(TriageError):
    """The service is configured in a way that cannot work."""

    status_code = 500


class InvalidSignature(TriageError):
    status_code = 401


class PayloadTooLarge(TriageError):
    status_code = 413


class UnsupportedContentType(TriageError):
    status_code = 415


class InvalidPayload(TriageError):
    status_code = 400


class NotFound(TriageError):
    status_code = 404


class InvalidModelAnswer(TriageError):
    """The language model's answer could not be parsed or does not fit the taxonomy."""

    status_code = 502


class ModelUnavailable(TriageError):
    """The OpenAI-compatible endpoint failed or timed out; the job will be retried."""

    status_code = 503


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(TriageError)
    async def _render_triage_error(request: Request, exc: TriageError) -> JSONResponse:
        return JSONResponse(
            status_code=exc.status_code,
            content={"error": type(exc).__name__, "detail": exc.detail},
            headers=exc.headers,
        )
