"""The `triage` command line."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import uuid
from pathlib import Path

import typer

from app.core.errors import TriageError
from app.core.logging import configure_logging, get_logger
from app.core.settings import get_settings

cli = typer.Typer(help="Triage bug reports of LLM inference engines.", no_args_is_help=True, add_completion=False)
db_cli = typer.Typer(help="Database migrations.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
log = get_logger(__name__)


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=2)


@cli.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to bind."),
    port: int = typer.Option(8000, help="TCP port to listen on."),
) -> None:
    """Run the HTTP service (webhook intake, API) with a triage worker inside."""
    import uvicorn

    from app.main import create_app

    settings = get_settings()
    configure_logging(settings.log_format, settings.log_level)
    try:
        app = create_app(settings)
    except TriageError as exc:
        _fail(exc.detail)
    uvicorn.run(app, host=host, port=port, log_config=None)


@cli.command()
def worker() -> None:
    """Run a triage worker as its own process (any number may share a PostgreSQL database)."""
    from app.core.database import Database, upgrade_database
    from app.jobs.worker import Worker
    from app.main import build_client
    from app.triage.service import Triager

    settings = get_settings()
    configure_logging(settings.log_format, settings.log_level)
    if settings.auto_migrate:
        upgrade_database(settings.database_url)

    async def run() -> None:
        database = Database(settings.database_url)
        client = build_client(settings)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signal_number in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signal_number, stop.set)
        try:
            await Worker(database, settings, Triager(settings, client=client)).run(stop)
        finally:
            if client is not None:
                await client.close()
            await database.dispose()

    asyncio.run(run())


def _issue_from_file(path: Path):
    """Read an issue from JSON: a webhook payload (with `issue` and `repository`) or a bare issue."""
    from app.issues.service import engine_for_repository
    from app.triage.schemas import IssueInput

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        _fail(f"cannot read {path}: {exc}")
    if not isinstance(data, dict):
        _fail(f"{path} must contain a JSON object")

    issue = data.get("issue") if isinstance(data.get("issue"), dict) else data
    repository = (data.get("repository") or {}).get("full_name") if isinstance(data.get("repository"), dict) else None
    repository = repository or data.get("repo") or data.get("repository") or "unknown/unknown"
    if not isinstance(issue.get("title"), str):
        _fail(f"{path} has no issue title; give a webhook payload or an object with 'title' and 'body'")
    return IssueInput(
        repository=repository,
        number=int(issue.get("number") or 0),
        title=issue["title"],
        body=issue.get("body") or "",
        engine=data.get("engine") or engine_for_repository(repository),
        url=issue.get("html_url") or data.get("url"),
    )


@cli.command()
def classify(
    file: Path = typer.Argument(..., help="An issue as JSON ({'title', 'body', 'repo'}) or a webhook payload."),
    local: bool = typer.Option(False, "--local", help="Use the local predictor even if a model endpoint is set."),
) -> None:
    """Classify one issue and print the prediction as JSON (nothing is stored)."""
    from app.main import build_client
    from app.triage.service import Triager

    settings = get_settings()
    configure_logging(settings.log_format, "WARNING")
    issue = _issue_from_file(file)

    async def run():
        client = None if local else build_client(settings)
        try:
            return await Triager(settings, client=client).triage(issue)
        finally:
            if client is not None:
                await client.close()

    try:
        result = asyncio.run(run())
    except TriageError as exc:
        _fail(exc.detail)
    output = result.as_row()
    output.pop("raw_answer")
    typer.echo(json.dumps({"repository": issue.repository, "number": issue.number, **output}, indent=2, ensure_ascii=False))


@cli.command("send-webhook")
def send_webhook(
    file: Path = typer.Argument(..., help="A webhook payload as JSON, e.g. an issues.opened delivery."),
    url: str = typer.Option("http://127.0.0.1:8000/webhooks/github", help="Webhook endpoint of the service."),
    event: str = typer.Option("issues", help="Value of the X-GitHub-Event header."),
    delivery: str = typer.Option(None, help="X-GitHub-Delivery GUID; a new one by default."),
) -> None:
    """Sign a payload with TRIAGE_WEBHOOK_SECRET and POST it as GitHub would (for trying a deployment)."""
    import httpx

    from app.intake.signature import sign

    settings = get_settings()
    body = file.read_bytes()
    headers = {
        "Content-Type": "application/json",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
        "User-Agent": "GitHub-Hookshot/triage-cli",
    }
    if settings.webhook_secret is not None:
        headers["X-Hub-Signature-256"] = sign(settings.webhook_secret.get_secret_value().encode(), body)
    try:
        response = httpx.post(url, content=body, headers=headers, timeout=30)
    except httpx.HTTPError as exc:
        _fail(f"POST {url} failed: {exc}")
    typer.echo(f"{response.status_code} {response.text}")
    if response.status_code >= 400:
        raise typer.Exit(code=1)


@db_cli.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head")) -> None:
    """Apply migrations up to REVISION (default: head)."""
    from app.core.database import upgrade_database

    settings = get_settings()
    configure_logging(settings.log_format, settings.log_level)
    upgrade_database(settings.database_url, revision)


@db_cli.command("downgrade")
def db_downgrade(revision: str = typer.Argument(..., help="Target revision, or 'base' to drop everything.")) -> None:
    """Revert migrations down to REVISION."""
    from app.core.database import downgrade_database

    settings = get_settings()
    configure_logging(settings.log_format, settings.log_level)
    downgrade_database(settings.database_url, revision)


def main() -> None:
    try:
        cli()
    except TriageError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
