"""`triage import-study` against a fake GitHub API server on 127.0.0.1."""

from __future__ import annotations

import csv
import json

import pytest
from sqlalchemy import select

from app.core.database import Database
from app.examples.models import PoolExample
from app.examples.study import import_study, read_study_csv
from app.github.client import GitHubClient
from app.triage.taxonomy import load_taxonomy
from tests.conftest import ROOT, SHARED, make_settings
from tests.support.fake_github import FakeGitHub, build_fake_github
from tests.support.servers import ServerThread
from tests.test_cli import run_cli

STUDY_CSV = SHARED / "reference" / "study-dataset.csv"


@pytest.fixture
def study_rows():
    taxonomy = load_taxonomy(ROOT / "prompts")
    rows, invalid = read_study_csv(STUDY_CSV, taxonomy)
    return rows, invalid


def test_study_csv_parses_fully(study_rows):
    rows, invalid = study_rows
    assert len(rows) == 929
    assert invalid == []
    assert {row.engine for row in rows} == {"llama.cpp", "vLLM", "DeepSpeed", "MLC-LLM", "TensorRT-LLM"}


def test_invalid_rows_are_reported(tmp_path):
    path = tmp_path / "bad.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["URL", "repo", "Phase", "Symptom(s)", "Unexpected Tokens", "Component", "Root Cause(s)"])
        writer.writerow(["https://github.com/vllm-project/vllm/issues/1", "vllm", "Inference/Serving", "Crash", "", "Operators", "Bad Luck"])
        writer.writerow(["https://example.com/x", "vllm", "Inference/Serving", "Crash", "", "Operators", "Misused API"])
    rows, invalid = read_study_csv(path, load_taxonomy(ROOT / "prompts"))
    assert rows == []
    assert "Bad Luck" in invalid[0]
    assert "not a GitHub issue URL" in invalid[1]


async def test_import_fetches_text_and_skips_existing(database_url, study_rows):
    rows = study_rows[0][:3]
    fake = FakeGitHub(rate_limited_first=1)
    for row in rows[:2]:
        fake.add_issue(row.repository, row.number, f"Title of {row.number}", "Body with a Traceback")
    # rows[2] is missing on GitHub (deleted issue).

    database = Database(make_settings(database_url).database_url)
    try:
        with ServerThread(build_fake_github(fake)) as server:
            github = GitHubClient(base_url=server.url, token="ghp_test", min_interval=0.0, secondary_wait=0.1)
            first = await import_study(database, github, rows)
            again = await import_study(database, github, rows)
            await github.close()
        async with database.sessionmaker() as session:
            stored = list((await session.execute(select(PoolExample).order_by(PoolExample.id))).scalars())
    finally:
        await database.dispose()

    assert first.imported == 2
    assert first.missing_on_github == [rows[2].url]
    assert again.imported == 0
    assert again.skipped_existing == 2
    assert [example.title for example in stored] == [f"Title of {rows[0].number}", f"Title of {rows[1].number}"]
    assert stored[0].symptom == rows[0].symptom
    assert stored[0].root_cause == rows[0].root_cause
    assert stored[0].source == "study"
    # The first request met a secondary rate limit and was retried after retry-after.
    assert fake.requests[1]["time"] - fake.requests[0]["time"] >= 0.9
    assert fake.requests[0]["authorization"] == "Bearer ghp_test"
    assert fake.requests[0]["api_version"] == "2022-11-28"


def test_import_study_command(tmp_path, sqlite_url, study_rows):
    rows = study_rows[0][:2]
    fake = FakeGitHub()
    for row in rows:
        fake.add_issue(row.repository, row.number, f"Issue {row.number}", None)
    with ServerThread(build_fake_github(fake)) as server:
        result = run_cli(
            "import-study", str(STUDY_CSV), "--limit", "2", cwd=tmp_path,
            env_extra={"TRIAGE_DATABASE_URL": sqlite_url, "TRIAGE_GITHUB_API_URL": server.url,
                       "GITHUB_TOKEN": "ghp_cli", "TRIAGE_GITHUB_MIN_INTERVAL_SECONDS": "0"},
        )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["imported"] == 2
    assert summary["rows"] == 2
    assert fake.requests[0]["authorization"] == "Bearer ghp_cli"
