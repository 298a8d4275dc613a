"""`triage eval` on the study-labelled dev set, with the local predictor and with a model server."""

from __future__ import annotations

import json

import numpy as np

from app.evaluation.metrics import FieldOutcome, macro_f1, precision_coverage, reliability
from tests.conftest import SHARED
from tests.support.servers import FakeModelBehaviour, ServerThread, build_fake_openai
from tests.test_cli import run_cli

DEV = SHARED / "dev-issues.jsonl"


def test_local_evaluation_writes_reports(tmp_path):
    out = tmp_path / "eval"
    result = run_cli("eval", str(DEV), "--predictor", "local", "--limit", "40", "--out", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "| Symptom |" in result.stdout

    reports = json.loads((out / "report.json").read_text())
    assert [report["n"] for report in reports] == [40, 40]  # the run and its out-of-fold recalibration
    fields = reports[0]["fields"]
    assert set(fields) == {"symptom", "root_cause_category", "root_cause", "phase", "component"}
    assert fields["symptom"]["majority_label"] == "Crash"
    assert 0 <= fields["root_cause"]["accuracy"] <= 1
    assert len(reports[0]["items"]) == 40
    assert (out / "report.md").read_text().startswith("# Evaluation")
    for name in ("calibration.png", "confusion-symptom.png", "confusion-root_cause_category.png"):
        assert (out / "run-1" / name).read_bytes()[:4] == b"\x89PNG"


def test_model_evaluation_with_zero_shot_baseline(tmp_path):
    behaviour = FakeModelBehaviour()
    with ServerThread(build_fake_openai(behaviour)) as server:
        result = run_cli(
            "eval", str(DEV), "--predictor", "llm", "--limit", "10", "--zero-shot-baseline", "--calibrate-folds", "0",
            "--out", str(tmp_path / "eval"), cwd=tmp_path,
            env_extra={"OPENAI_BASE_URL": f"{server.url}/v1", "OPENAI_API_KEY": "k", "TRIAGE_MODEL": "fake"},
        )
    assert result.returncode == 0, result.stderr
    reports = json.loads((tmp_path / "eval" / "report.json").read_text())
    assert [report["run"] for report in reports] == ["pipeline: llm, k=6", "zero-shot: llm, k=0"]
    with_examples, zero_shot = reports
    # The fake model always answers Crash, so its own accuracy is the share of Crash reports.
    assert with_examples["fields"]["symptom"]["model_alone_accuracy"] == with_examples["fields"]["symptom"]["majority_accuracy"]
    assert with_examples["cost"]["prompt_tokens_mean"] > zero_shot["cost"]["prompt_tokens_mean"]
    assert 0 < with_examples["cost"]["cached_prefix_share_mean"] < zero_shot["cost"]["cached_prefix_share_mean"] <= 1
    assert len(behaviour.requests) == 20
    assert all(len(request["messages"]) == 2 for request in behaviour.requests[10:])  # zero-shot: system + issue


def test_eval_without_model_explains(tmp_path):
    result = run_cli("eval", str(DEV), "--predictor", "llm", cwd=tmp_path)
    assert result.returncode == 2
    assert "OPENAI_BASE_URL" in result.stderr


class TestMetrics:
    def test_two_gold_labels_either_counts(self):
        outcome = FieldOutcome(gold=[{"A", "B"}, {"A"}, {"C"}], predicted=["B", "A", "A"], confidence=[0.9, 0.8, 0.7])
        assert list(outcome.correct) == [True, True, False]
        assert outcome.effective_gold() == ["B", "A", "C"]
        assert 0 < macro_f1(outcome) < 1

    def test_reliability_of_a_perfectly_calibrated_set(self):
        confidence = np.repeat([0.25, 0.75], 4)
        correct = np.array([1, 0, 0, 0, 1, 1, 1, 0])
        result = reliability(confidence, correct)
        assert result["ece"] == 0.0
        assert [row["count"] for row in result["bins"]] == [4, 4]

    def test_precision_rises_as_coverage_falls(self):
        points = precision_coverage([0.9, 0.8, 0.3, 0.2], [1, 1, 0, 0])
        assert points[0]["coverage"] == 1.0
        assert points[0]["precision"] == 0.5
        high = [point for point in points if point["threshold"] >= 0.5][0]
        assert high["coverage"] == 0.5
        assert high["precision"] == 1.0
