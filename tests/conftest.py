"""Shared fixtures: a migrated database per test on SQLite and on PostgreSQL, the app, signed deliveries."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import httpx
import psycopg
import pytest

from app.core.database import upgrade_database
from app.core.settings import Settings
from app.intake.signature import sign
from app.main import create_app

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
SHARED = Path(os.environ.get("TRIAGE_SHARED_DIR", ROOT.parent / "shared"))
POSTGRES_ADMIN_URL = os.environ.get("TRIAGE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
SECRET = "test-webhook-secret"


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch, tmp_path):
    """Keep the developer's own configuration out of the tests."""
    for name in list(os.environ):
        if name.startswith(("TRIAGE_", "OPENAI_")) and name not in ("TRIAGE_TEST_POSTGRES_URL", "TRIAGE_SHARED_DIR", "TRIAGE_TEST_LLAMA_URL"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def _admin_connection():
    try:
        return psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL} ({exc}). Start it, or set "
            "TRIAGE_TEST_POSTGRES_URL to a server where the tests may create databases."
        )


@pytest.fixture
def postgres_url():
    """A new, empty PostgreSQL database, dropped after the test."""
    name = f"triage_test_{uuid.uuid4().hex[:12]}"
    with _admin_connection() as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    with _admin_connection() as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'triage.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request):
    """A migrated database on each backend: every test using it runs twice."""
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")
    upgrade_database(url)
    return url


def make_settings(database_url: str, **overrides) -> Settings:
    values = {
        "database_url": database_url,
        "webhook_secret": SECRET,
        "worker_enabled": False,
        "auto_migrate": False,
        "worker_poll_seconds": 0.05,
        "log_level": "WARNING",
        "open_read": True,
        "pool_refresh_seconds": 0.0,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


@pytest.fixture
def settings(database_url) -> Settings:
    return make_settings(database_url)


@pytest.fixture
async def app(settings):
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app):
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


def load_payload(name: str) -> dict:
    return json.loads((FIXTURES / "github" / name).read_text(encoding="utf-8"))


def dev_issues() -> list[dict]:
    path = SHARED / "dev-issues.jsonl"
    if not path.exists():
        pytest.fail(f"{path} not found; set TRIAGE_SHARED_DIR to the folder holding dev-issues.jsonl.")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def real_issue_payload(index: int = 0, action: str = "opened") -> dict:
    """`issues.opened` from GitHub's example, with title and body of a real engine bug report."""
    payload = load_payload("issues.opened.json")
    report = dev_issues()[index]
    payload["action"] = action
    payload["issue"]["title"] = report["title"]
    payload["issue"]["body"] = report["body"]
    payload["repository"]["full_name"] = report["repo"]
    payload["issue"]["number"] = report["number"]
    return payload


def delivery_headers(body: bytes, *, event: str = "issues", delivery: str | None = None,
                     content_type: str = "application/json", secret: str | None = SECRET) -> dict:
    headers = {
        "Content-Type": content_type,
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
        "User-Agent": "GitHub-Hookshot/test",
    }
    if secret is not None:
        headers["X-Hub-Signature-256"] = sign(secret.encode(), body)
    return headers


def encode(payload: dict) -> bytes:
    # Pretty-printed with non-ASCII kept, as GitHub sends it: the signature covers these exact bytes.
    return json.dumps(payload, indent=2, ensure_ascii=False).encode("utf-8")
