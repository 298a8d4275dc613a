"""The FastAPI application and its lifespan: database, worker, model client."""

from __future__ import annotations

import asyncio
import contextlib

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi_offline import FastAPIOffline
from sqlalchemy import text

from app.core.database import Database, upgrade_database_async
from app.core.errors import install_error_handlers
from app.core.logging import configure_logging, get_logger
from app.core.settings import Settings, get_settings
from app.history.router import router as history_router
from app.intake.router import router as intake_router
from app.issues.router import router as issues_router
from app.jobs.service import JobSignal
from app.jobs.worker import Worker
from app.llm.client import ChatClient
from app.metrics.router import router as metrics_router
from app.metrics.service import Metrics
from app.predictions.router import router as predictions_router
from app.review.router import router as review_router
from app.triage.loader import TriagerLoader
from app.triage.router import router as taxonomy_router
from app.web.router import router as web_router

log = get_logger(__name__)


def build_client(settings: Settings) -> ChatClient | None:
    """Build the model client, or return None when no endpoint is configured (the local predictor then runs alone)."""
    if not settings.llm_configured:
        return None
    return ChatClient(
        base_url=settings.openai_base_url,
        api_key=settings.openai_api_key.get_secret_value() if settings.openai_api_key else None,
        model=settings.model,
        timeout=settings.llm_timeout_seconds,
        max_retries=settings.llm_max_retries,
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    settings.require_webhook_secret()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        configure_logging(settings.log_format, settings.log_level)
        if settings.auto_migrate:
            await upgrade_database_async(settings.database_url)
        database = Database(settings.database_url)
        client = build_client(settings)
        loader = TriagerLoader(database, settings, client)
        triager = await loader.get()
        app.state.settings = settings
        app.state.database = database
        app.state.job_signal = JobSignal()
        app.state.triager_loader = loader
        app.state.metrics = Metrics()

        stop = asyncio.Event()
        worker_task = None
        if settings.worker_enabled:
            worker = Worker(database, settings, loader, signal=app.state.job_signal, metrics=app.state.metrics)
            worker_task = asyncio.create_task(worker.run(stop), name="triage-worker")
        log.info(
            "service.start",
            database=database.engine.dialect.name,
            predictor="llm" if client else "local",
            model=triager.model_name,
            worker=settings.worker_enabled,
        )
        try:
            yield
        finally:
            stop.set()
            app.state.job_signal.notify()
            if worker_task is not None:
                await worker_task
            if client is not None:
                await client.close()
            await database.dispose()
            log.info("service.stop")

    # FastAPIOffline serves the Swagger UI and ReDoc files itself, so /docs works without internet.
    app = FastAPIOffline(
        title="Inference-engine bug triage",
        summary="Classifies GitHub issues of LLM inference engines by symptom and root cause.",
        version="0.1.0",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    app.include_router(intake_router)
    app.include_router(predictions_router)
    app.include_router(issues_router)
    app.include_router(taxonomy_router)
    app.include_router(review_router)
    app.include_router(history_router)
    app.include_router(metrics_router)
    app.include_router(web_router)

    @app.get("/", include_in_schema=False)
    async def root() -> RedirectResponse:
        return RedirectResponse("/ui/review")

    @app.get("/healthz", tags=["health"])
    async def healthz() -> dict:
        """Report liveness and readiness: the database responds and the predictor is loaded."""
        async with app.state.database.sessionmaker() as session:
            await session.execute(text("SELECT 1"))
        triager = await app.state.triager_loader.get()
        return {
            "status": "ok",
            "database": app.state.database.engine.dialect.name,
            "predictor": "llm" if triager.client else "local",
            "model": triager.model_name,
            "prompt_version": triager.prompt_version,
            "examples": len(triager.examples),
            "calibration": triager.calibrator.method,
        }

    return app
