"""The `triage` command line, run as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import ROOT, dev_issues, real_issue_payload


def run_cli(*args, cwd, env_extra=None) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("TRIAGE_", "OPENAI_"))}
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args], cwd=cwd, env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True, text=True, timeout=120,
    )


def test_classify_webhook_payload(tmp_path):
    path = tmp_path / "delivery.json"
    path.write_text(json.dumps(real_issue_payload(5)), encoding="utf-8")
    result = run_cli("classify", str(path), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout)
    assert output["number"] == dev_issues()[5]["number"]
    assert output["predictor"] == "local"
    assert output["symptom"]


def test_classify_bare_issue(tmp_path):
    path = tmp_path / "issue.json"
    path.write_text(json.dumps({"title": "llama-server segfaults with -ngl 99", "body": "Segmentation fault (core dumped)", "repo": "ggml-org/llama.cpp"}))
    result = run_cli("classify", str(path), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["repository"] == "ggml-org/llama.cpp"


def test_classify_reports_unreadable_file(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{oops")
    result = run_cli("classify", str(path), cwd=tmp_path)
    assert result.returncode == 2
    assert "cannot read" in result.stderr


def test_db_upgrade_creates_sqlite_file(tmp_path):
    result = run_cli("db", "upgrade", cwd=tmp_path, env_extra={"TRIAGE_DATABASE_URL": "sqlite:///data/t.db"})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "data" / "t.db").exists()


def test_serve_without_secret_explains_fix(tmp_path):
    result = run_cli("serve", "--port", "0", cwd=tmp_path)
    assert result.returncode == 2
    assert "TRIAGE_WEBHOOK_SECRET" in result.stderr
