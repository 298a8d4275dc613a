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
tokens_cli = typer.Typer(help="API tokens for /v1 (scopes: read, review, admin).", no_args_is_help=True)
cli.add_typer(tokens_cli, name="tokens")
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
    if settings.auto_migrate:
        # Migrate here first, so an unreachable database is one clear line, not a start-up traceback.
        _upgrade_or_fail(settings.database_url)
    uvicorn.run(app, host=host, port=port, log_config=None)


def _upgrade_or_fail(database_url: str, revision: str = "head") -> None:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import DBAPIError, OperationalError

    from app.core.database import upgrade_database

    try:
        upgrade_database(database_url, revision)
    except (OperationalError, DBAPIError, OSError) as exc:
        shown = make_url(database_url).render_as_string(hide_password=True)
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        _fail(f"cannot use the database {shown}: {reason}. Check TRIAGE_DATABASE_URL and that the server runs.")


@cli.command()
def worker() -> None:
    """Run a triage worker as its own process (any number may share a PostgreSQL database)."""
    from app.core.database import Database
    from app.jobs.worker import Worker
    from app.main import build_client
    from app.triage.loader import TriagerLoader

    settings = get_settings()
    configure_logging(settings.log_format, settings.log_level)
    if settings.auto_migrate:
        _upgrade_or_fail(settings.database_url)

    async def run() -> None:
        database = Database(settings.database_url)
        client = build_client(settings)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signal_number in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signal_number, stop.set)
        try:
            await Worker(database, settings, TriagerLoader(database, settings, client)).run(stop)
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
    else:
        typer.echo("warning: TRIAGE_WEBHOOK_SECRET is not set, so the delivery is sent unsigned", err=True)
    try:
        response = httpx.post(url, content=body, headers=headers, timeout=30)
    except httpx.HTTPError as exc:
        _fail(f"POST {url} failed: {exc}")
    typer.echo(f"{response.status_code} {response.text}")
    if response.status_code >= 400:
        raise typer.Exit(code=1)


@cli.command("eval")
def evaluate(
    dataset: Path = typer.Argument(..., help="Labelled issues as JSONL (title, body, repo, engine, symptom, root_cause, phase, component)."),
    predictor: str = typer.Option("llm", help="'llm' (model pooled with the local predictor) or 'local'."),
    compare: Path = typer.Option(None, help="Another prompts directory to evaluate side by side."),
    zero_shot_baseline: bool = typer.Option(False, "--zero-shot-baseline", help="Also run the model with no retrieved examples."),
    few_shot_k: int = typer.Option(None, help="Examples retrieved per issue (default: TRIAGE_FEW_SHOT_K)."),
    limit: int = typer.Option(None, help="Evaluate only the first N issues."),
    calibrate_folds: int = typer.Option(5, help="Also report calibration fitted out-of-fold over this many folds (0: off)."),
    out: Path = typer.Option(Path("reports/eval"), help="Directory for report.json, report.md and the PNG plots."),
) -> None:
    """Evaluate on a labelled data set: accuracy, macro-F1, confusion, calibration, coverage, cost."""
    from app.evaluation import report as report_writer
    from app.evaluation import service as evaluation
    from app.main import build_client
    from app.triage.service import Triager

    if predictor not in ("llm", "local"):
        _fail("--predictor must be 'llm' or 'local'")
    settings = get_settings()
    configure_logging(settings.log_format, settings.log_level)
    if predictor == "llm" and not settings.llm_configured:
        _fail("--predictor llm needs OPENAI_BASE_URL or OPENAI_API_KEY; use --predictor local otherwise")
    if few_shot_k is not None:
        settings = settings.model_copy(update={"few_shot_k": few_shot_k})

    runs = [("pipeline", settings)]
    if compare is not None:
        if not (compare / "taxonomy.yaml").exists():
            _fail(f"{compare} has no taxonomy.yaml; --compare takes a prompts directory")
        runs.append((f"prompts {compare}", settings.model_copy(update={"prompts_dir": compare})))
    if zero_shot_baseline:
        runs.append(("zero-shot", settings.model_copy(update={"few_shot_k": 0})))

    async def run_all() -> list[dict]:
        reports = []
        for name, run_settings in runs:
            client = build_client(run_settings) if predictor == "llm" else None
            try:
                triager = Triager(run_settings, client=client)
                items = evaluation.load_dataset(dataset, triager.taxonomy)[:limit]
                label = f"{name}: {predictor}, k={run_settings.few_shot_k}"
                result = await evaluation.run(triager, items, name=label, use_model=predictor == "llm")
                reports.append(evaluation.report(result, triager.taxonomy))
                if calibrate_folds and len(items) >= 2 * calibrate_folds:
                    rescored = evaluation.recalibrated(result, triager, folds=calibrate_folds)
                    reports.append(evaluation.report(rescored, triager.taxonomy))
            finally:
                if client is not None:
                    await client.close()
        return reports

    try:
        reports = asyncio.run(run_all())
    except TriageError as exc:
        _fail(exc.detail)
    written = report_writer.write(reports, out)
    typer.echo(report_writer.markdown(reports))
    typer.echo("Wrote " + ", ".join(str(path) for path in written))


@cli.command("import-study")
def import_study(
    csv_file: Path = typer.Argument(..., help="The study's dataset.csv (URL, repo, Phase, Symptom(s), Component, Root Cause(s))."),
    token: str = typer.Option(None, envvar="GITHUB_TOKEN", help="GitHub token; without one GitHub allows 60 requests an hour."),
    limit: int = typer.Option(None, help="Import only the first N rows."),
    refresh: bool = typer.Option(False, help="Fetch again rows that were imported before."),
) -> None:
    """Load the study's labelled issues into the example pool, fetching their text from GitHub."""
    from app.core.database import Database
    from app.examples.study import import_study as run_import
    from app.examples.study import read_study_csv
    from app.github.client import GitHubClient
    from app.triage.taxonomy import load_taxonomy

    settings = get_settings()
    configure_logging(settings.log_format, settings.log_level)
    if not csv_file.exists():
        _fail(f"{csv_file} not found")
    rows, invalid = read_study_csv(csv_file, load_taxonomy(settings.prompts_dir))
    for problem in invalid:
        typer.echo(f"skipped {problem}", err=True)
    rows = rows[:limit]
    if settings.auto_migrate:
        _upgrade_or_fail(settings.database_url)
    token = token or (settings.github_token.get_secret_value() if settings.github_token else None)
    if token is None:
        typer.echo("warning: no GitHub token; unauthenticated requests are limited to 60 an hour", err=True)

    async def run():
        database = Database(settings.database_url)
        github = GitHubClient(base_url=settings.github_api_url, token=token, min_interval=settings.github_min_interval_seconds)
        try:
            return await run_import(database, github, rows, refresh=refresh)
        finally:
            await github.close()
            await database.dispose()

    try:
        summary = asyncio.run(run())
    except TriageError as exc:
        _fail(exc.detail)
    typer.echo(json.dumps({
        "rows": len(rows),
        "imported": summary.imported,
        "skipped_existing": summary.skipped_existing,
        "missing_on_github": summary.missing_on_github,
        "invalid_rows": len(invalid),
    }, indent=2))


def _run_in_database(operation):
    """Run `operation(session)` in one transaction on the configured database, migrating first."""
    from app.core.database import Database

    settings = get_settings()
    configure_logging(settings.log_format, "WARNING")
    if settings.auto_migrate:
        _upgrade_or_fail(settings.database_url)

    async def run():
        database = Database(settings.database_url)
        try:
            async with database.transaction() as session:
                return await operation(session)
        finally:
            await database.dispose()

    try:
        return asyncio.run(run())
    except TriageError as exc:
        _fail(exc.detail)


@tokens_cli.command("create")
def tokens_create(
    name: str = typer.Argument(..., help="Who or what uses the token, e.g. 'grafana' or 'alice'."),
    scope: list[str] = typer.Option(["read"], "--scope", help="read, review or admin; repeat for several."),
) -> None:
    """Create a token and print it once; only its hash is stored."""
    from app.auth import service as auth_service

    token, row = _run_in_database(lambda session: auth_service.create_token(session, name, scope))
    typer.echo(token)
    typer.echo(f"token {row.id} '{row.name}' with scopes {', '.join(row.scopes)}; store it now, it is not shown again", err=True)


@tokens_cli.command("list")
def tokens_list() -> None:
    """List tokens (id, name, scopes, prefix, last use); never the tokens themselves."""
    from app.auth import service as auth_service

    rows = _run_in_database(auth_service.list_tokens)
    for row in rows:
        state = "revoked" if row.revoked_at else "active"
        last = row.last_used_at.isoformat() if row.last_used_at else "never"
        typer.echo(f"{row.id}\t{row.name}\t{','.join(row.scopes)}\t{row.prefix}…\t{state}\tlast used {last}")


@tokens_cli.command("revoke")
def tokens_revoke(token_id: int = typer.Argument(..., help="Id shown by `triage tokens list`.")) -> None:
    """Revoke a token at once."""
    from app.auth import service as auth_service

    if not _run_in_database(lambda session: auth_service.revoke(session, token_id)):
        _fail(f"no active token with id {token_id}")
    typer.echo(f"token {token_id} revoked")


@db_cli.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head")) -> None:
    """Apply migrations up to REVISION (default: head)."""
    settings = get_settings()
    configure_logging(settings.log_format, settings.log_level)
    _upgrade_or_fail(settings.database_url, revision)


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
