"""History and dashboard queries at one million predictions on PostgreSQL, with and without indexes.

Usage: .venv/bin/python bench/history_bench.py [--rows 1000000] [--keep] [--runs 5] [--seed 1]
           [--admin-url postgresql://postgres@127.0.0.1:5432/postgres]

Method:
1. Create a database `triage_bench_<random>` and build the schema with the project's Alembic
   migrations (`upgrade_database`).
2. Load synthetic data with COPY: rows/5 issues over 10 repositories of the 7 engines, and `rows`
   predictions over the 18 months up to now, with ids growing with created_at. Labels follow the
   study's class frequencies (`Taxonomy.priors`), about 30% need review, and there are rows/10
   current reviews plus a few superseded ones. Then VACUUM ANALYZE, as autovacuum would do on a
   live database, so that autovacuum does not start in the middle of a measurement.
3. Call the service functions that the HTTP handlers call, through the project's async engine
   (`Database`, asyncpg). Each query runs once to warm the caches and then `--runs` times, each run
   in a new session, as a request would.
4. Drop the secondary indexes of `predictions` and `reviews` (primary keys and unique indexes
   stay), ANALYZE, and time the same queries again in a new engine.
5. EXPLAIN (ANALYZE, BUFFERS) the statements of the three slowest queries with indexes.

The Markdown report goes to stdout and to bench/results/history-1m.md (history-<rows>.md for other
sizes). The database is dropped at the end unless --keep is given.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import platform
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import psycopg
from sqlalchemy import event, func, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.core.database import Database, upgrade_database  # noqa: E402
from app.core.logging import configure_logging  # noqa: E402
from app.core.settings import normalize_database_url  # noqa: E402
from app.history import service as history_service  # noqa: E402
from app.issues.service import engine_for_repository  # noqa: E402
from app.predictions import service as prediction_service  # noqa: E402
from app.predictions.models import Prediction  # noqa: E402
from app.predictions.service import PredictionFilters  # noqa: E402
from app.review import service as review_service  # noqa: E402
from app.triage.taxonomy import load_taxonomy  # noqa: E402

DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
HISTORY_DAYS = 548  # 18 months
PAGE_SIZE = 50  # default `limit` of GET /v1/predictions
QUEUE_PAGE_SIZE = 20  # default `limit` of GET /v1/review-queue
EXPORT_BATCH = 1000  # app.predictions.router.EXPORT_BATCH

# Share of issues per repository. Three smaller repositories of the same engines make ten.
REPOSITORY_SHARES = {
    "vllm-project/vllm": 0.28,
    "ggml-org/llama.cpp": 0.20,
    "ollama/ollama": 0.15,
    "sgl-project/sglang": 0.10,
    "NVIDIA/TensorRT-LLM": 0.08,
    "deepspeedai/DeepSpeed": 0.06,
    "mlc-ai/mlc-llm": 0.04,
    "vllm-project/vllm-ascend": 0.04,
    "deepspeedai/DeepSpeed-MII": 0.03,
    "ollama/ollama-python": 0.02,
}
FILTER_REPOSITORY = "sgl-project/sglang"  # a mid-sized repository: 10% of the rows
FILTER_SYMPTOM = "System Hang"  # an uncommon symptom: about 4% of the rows

# Models and calibration change over the 18 months, one period each.
LLM_MODELS = ("qwen2.5-7b-instruct", "qwen2.5-14b-instruct", "gpt-4o-mini")
CALIBRATION_METHODS = ("none", "platt", "isotonic")
LOCAL_MODEL = "local-tfidf-logreg"
PROMPT_VERSIONS = 9  # a new prompt version every two months

GPUS = ("A100", "H100", "RTX 4090", "RTX 3090", "L40S", "MI300X", "T4", "Apple M2")
BACKENDS = ("CUDA", "ROCm", "Metal", "Vulkan", "CPU")
MODELS = ("meta-llama/Llama-3.1-8B-Instruct", "Qwen/Qwen2.5-7B-Instruct", "mistralai/Mistral-7B-v0.3",
          "deepseek-ai/DeepSeek-V3", "google/gemma-2-9b-it", "microsoft/Phi-3-mini-4k-instruct")
ERRORS = (
    "RuntimeError: CUDA error: an illegal memory access was encountered",
    "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB",
    "ValueError: The model's max seq len (32768) is larger than the KV cache can hold",
    "ImportError: undefined symbol: _ZN3c104cuda9SetDeviceEi",
    "AssertionError: Attention backend FLASH_ATTN does not support head size 80",
    "KeyError: 'model.layers.0.mlp.gate_proj.weight'",
    "GGML_ASSERT: ggml-cuda.cu:1278: ne00 % QK8_0 == 0",
    "NCCL error: unhandled system error, remote process exited",
    "json.decoder.JSONDecodeError: Expecting value: line 1 column 1",
    "Segmentation fault (core dumped)",
)


def percentile(values: list[float], share: float) -> float:
    """Return the nearest-rank percentile. With 5 values, p90 is the largest."""
    ordered = sorted(values)
    return ordered[min(int(share * len(ordered)), len(ordered) - 1)]


def admin_connection(admin_url: str) -> psycopg.Connection:
    return psycopg.connect(admin_url, autocommit=True, connect_timeout=10)


def database_url(admin_url: str, name: str) -> str:
    return f"{admin_url.rsplit('/', 1)[0]}/{name}"


# --- Synthetic data -------------------------------------------------------------------------------


def as_text_timestamps(values: np.ndarray) -> list[str]:
    """Format datetime64[us] values as ISO 8601 text in UTC, which COPY parses into timestamptz."""
    return [text + "+00" for text in np.datetime_as_string(values, unit="us").tolist()]


def draw_labels(rng: np.random.Generator, priors: dict[str, float], size: int) -> np.ndarray:
    names = np.array(list(priors), dtype=object)
    probabilities = np.array(list(priors.values()))
    return rng.choice(names, size=size, p=probabilities / probabilities.sum())


def hex_strings(rng: np.random.Generator, count: int, length: int) -> list[str]:
    text = rng.bytes(count * length // 2).hex()
    return [text[i * length:(i + 1) * length] for i in range(count)]


def issue_body(rng: np.random.Generator, engine: str) -> str:
    """Build a bug report of 1-2 KB in the usual template: environment, reproduction, traceback."""
    error = ERRORS[rng.integers(len(ERRORS))]
    frames = "\n".join(
        f'  File "/opt/venv/lib/python3.11/site-packages/{engine.lower()}/module_{i}.py", line {rng.integers(20, 900)}, in step_{i}'
        for i in range(int(rng.integers(4, 14)))
    )
    return (
        f"### Your current environment\n\nGPU: {GPUS[rng.integers(len(GPUS))]} x{rng.integers(1, 9)}\n"
        f"Backend: {BACKENDS[rng.integers(len(BACKENDS))]}\nDriver: 550.54.15, CUDA 12.4, torch 2.5.1\n"
        f"Model: {MODELS[rng.integers(len(MODELS))]}\n\n### Describe the bug\n\n"
        f"Serving the model with {engine} fails after a few requests under load.\n\n"
        f"### Reproduction\n\n```\npython -m serve --model {MODELS[rng.integers(len(MODELS))]} --tp 2\n```\n\n"
        f"### Traceback\n\n```\nTraceback (most recent call last):\n{frames}\n{error}\n```\n"
    )


def evidence_document(rng: np.random.Generator, engine: str) -> str:
    """Build JSON text shaped like the output of app.triage.evidence.extract_evidence."""
    error = ERRORS[rng.integers(len(ERRORS))]
    return json.dumps({
        "engine": engine,
        "engine_version": f"0.{rng.integers(1, 12)}.{rng.integers(0, 6)}",
        "models": [MODELS[rng.integers(len(MODELS))]],
        "hardware": [GPUS[rng.integers(len(GPUS))]],
        "backends": [BACKENDS[rng.integers(len(BACKENDS))]],
        "versions": {"cuda": "12.4", "driver": "550.54.15", "torch": "2.5"},
        "parallelism": {"tensor_parallel_size": int(rng.choice([1, 2, 4, 8]))},
        "error_signature": error,
        "error_lines": [error],
        "innermost_frame": f"/opt/venv/lib/python3.11/site-packages/{engine.lower()}/ops.py:{rng.integers(20, 900)} in forward",
    })


def generate_issues(rng: np.random.Generator, count: int, start: np.datetime64, span_us: int) -> dict[str, list]:
    # Issue volume doubles over the period (density 1 + x on [0, 1], drawn by inverse CDF), and
    # ids grow with the creation time, as they would with a live webhook.
    fraction = np.sort(-1 + np.sqrt(1 + 3 * rng.random(count)))
    created = start + (fraction * span_us).astype("timedelta64[us]")

    repositories = np.array(list(REPOSITORY_SHARES), dtype=object)
    shares = np.array(list(REPOSITORY_SHARES.values()))
    repository = rng.choice(repositories, size=count, p=shares / shares.sum())

    # Numbers grow within each repository, from an offset that makes them look like real ones.
    number = np.zeros(count, dtype=np.int64)
    for position, name in enumerate(repositories):
        mask = repository == name
        number[mask] = 1000 * (position + 1) + np.arange(mask.sum())

    engines = {name: engine_for_repository(name) for name in repositories}
    engine = [engines[name] for name in repository]
    bodies = {name: [issue_body(rng, engines[name]) for _ in range(40)] for name in repositories}
    titles = [f"[Bug]: {error.split(':')[0]} when serving {model}" for error in ERRORS for model in MODELS]
    created_text = as_text_timestamps(created)
    labels = json.dumps(["bug"])

    return {
        "id": list(range(1, count + 1)),
        "repository": repository.tolist(),
        "number": number.tolist(),
        "github_id": (3_000_000_000 + np.arange(count)).tolist(),
        "node_id": [f"I_kwDO{value}" for value in hex_strings(rng, count, 12)],
        "engine": engine,
        "title": [titles[i] for i in rng.integers(len(titles), size=count)],
        "body": [bodies[name][i] for name, i in zip(repository, rng.integers(40, size=count))],
        "author": [f"user{i}" for i in rng.integers(50_000, size=count)],
        "html_url": [f"https://github.com/{name}/issues/{n}" for name, n in zip(repository, number.tolist())],
        "state": rng.choice(np.array(["open", "closed"], dtype=object), size=count, p=[0.35, 0.65]).tolist(),
        "labels": [labels] * count,
        "content_hash": hex_strings(rng, count, 64),
        "github_created_at": created_text,
        "github_updated_at": created_text,
        "first_seen_at": created_text,
        "last_seen_at": created_text,
        "_created": created,
    }


def prediction_times(
    rng: np.random.Generator, issue_created: np.ndarray, rows: int, end: np.datetime64
) -> tuple[np.ndarray, np.ndarray]:
    """Return the issue index and creation time of each prediction, sorted by time (the id order)."""
    issue_count = len(issue_created)

    # Every issue is triaged once when it arrives. The other predictions are re-triages after
    # edits or prompt changes, spread over the issues with a heavy tail.
    weights = rng.lognormal(0.0, 1.0, size=issue_count)
    extra = rng.choice(issue_count, size=rows - issue_count, p=weights / weights.sum())
    issue_index = np.concatenate([np.arange(issue_count), extra])

    # The first triage comes seconds after the delivery, re-triages days to weeks later.
    first_delay = rng.lognormal(np.log(20e6), 0.8, size=issue_count)
    later_delay = rng.exponential(30 * 86400e6, size=len(extra))
    delay = np.concatenate([first_delay, later_delay]).astype("timedelta64[us]")
    created = issue_created[issue_index] + delay
    too_late = created >= end
    room = (end - issue_created[issue_index[too_late]]).astype(np.int64)
    created[too_late] = issue_created[issue_index[too_late]] + (rng.random(too_late.sum()) * room).astype("timedelta64[us]")

    order = np.argsort(created, kind="stable")
    return issue_index[order], created[order]


def generate_predictions(
    rng: np.random.Generator, issues: dict, rows: int, start: np.datetime64, end: np.datetime64, taxonomy
) -> dict[str, list]:
    issue_index, created = prediction_times(rng, issues["_created"], rows, end)
    period = np.minimum((created - start).astype(np.int64) * 3 // (end - start).astype(np.int64), 2)
    prompt_period = np.minimum((created - start).astype(np.int64) * PROMPT_VERSIONS // (end - start).astype(np.int64), PROMPT_VERSIONS - 1)
    prompt_versions = [hashlib.sha256(f"prompt-{i}".encode()).hexdigest()[:16] for i in range(PROMPT_VERSIONS)]

    # Labels follow the study's frequencies. Confidences come from beta distributions with means 0.5-0.7.
    symptom = draw_labels(rng, taxonomy.priors("symptom"), rows)
    root_cause = draw_labels(rng, taxonomy.priors("root_cause"), rows)
    abstained = rng.random(rows) < 0.06
    root_cause[abstained] = None
    categories = np.array([taxonomy.category_of.get(name) for name in root_cause], dtype=object)
    category_priors: dict[str, float] = {}
    for name, probability in taxonomy.priors("root_cause").items():
        category_priors[taxonomy.category_of[name]] = category_priors.get(taxonomy.category_of[name], 0.0) + probability
    categories[abstained] = draw_labels(rng, category_priors, int(abstained.sum()))
    phase = draw_labels(rng, taxonomy.priors("phase"), rows)
    component = draw_labels(rng, taxonomy.priors("component"), rows)

    symptom_confidence = np.round(rng.beta(5, 2, rows), 4)
    category_confidence = np.round(rng.beta(4, 2.5, rows), 4)
    root_cause_confidence = np.round(rng.beta(3, 3, rows), 4)
    phase_confidence = np.round(rng.beta(5, 2.5, rows), 4)
    component_confidence = np.round(rng.beta(3, 3, rows), 4)
    raw_shift = rng.normal(0, 0.05, rows)

    # Like the pipeline, flag a prediction for review when the symptom is unsure or no leaf was chosen.
    needs_review = (symptom_confidence < 0.6) | abstained | (root_cause_confidence < 0.2)

    is_llm = rng.random(rows) < 0.85
    response_format = rng.choice(np.array(["json_schema", "json_object", "text"], dtype=object), size=rows, p=[0.7, 0.25, 0.05])
    prompt_tokens = np.where(is_llm, np.clip(rng.normal(3800, 900, rows), 1200, 9000), 0).astype(int)
    completion_tokens = np.where(is_llm, np.clip(rng.normal(260, 70, rows), 60, 900), 0).astype(int)
    cached_tokens = np.where(is_llm & (rng.random(rows) < 0.6), 1800, 0)
    latency = np.round(np.where(is_llm, rng.lognormal(np.log(2200), 0.5, rows), rng.lognormal(np.log(20), 0.4, rows)), 3)

    issue_ids = (issue_index + 1).tolist()
    engines = sorted({engine for engine in issues["engine"] if engine})
    evidence_pool = {engine: [evidence_document(rng, engine) for _ in range(50)] for engine in engines}
    example_keys = [f"{prefix}-{n:03d}" for prefix in ("fio", "cer", "env", "res", "cfg") for n in range(40)]

    columns: dict[str, list] = {name: [] for name in ("rationale", "evidence", "examples", "raw_answer")}
    picks = rng.integers(50, size=rows).tolist()
    example_picks = rng.integers(len(example_keys), size=(rows, 5)).tolist()
    for i in range(rows):
        issue = issue_ids[i] - 1
        engine = issues["engine"][issue]
        examples = [example_keys[k] for k in example_picks[i]]
        rationale = (
            f"The traceback and the reported setup match {symptom[i]} / {root_cause[i] or 'no single leaf'}: "
            f"the failure happens during {phase[i]} in the {component[i]}, as in example {examples[0]}."
        )
        columns["rationale"].append(rationale)
        columns["evidence"].append(evidence_pool[engine][picks[i]])
        columns["examples"].append(json.dumps(examples))
        if is_llm[i]:
            columns["raw_answer"].append(json.dumps({
                "symptom": symptom[i], "symptom_confidence": float(symptom_confidence[i]),
                "root_cause": root_cause[i], "root_cause_confidence": float(root_cause_confidence[i]),
                "phase": phase[i], "component": component[i], "rationale": rationale,
            }))
        else:
            columns["raw_answer"].append("{}")

    return {
        "id": list(range(1, rows + 1)),
        "issue_id": issue_ids,
        "job_id": [None] * rows,
        "repository": [issues["repository"][i - 1] for i in issue_ids],
        "issue_number": [issues["number"][i - 1] for i in issue_ids],
        "engine": [issues["engine"][i - 1] for i in issue_ids],
        "content_hash": hex_strings(rng, rows, 64),
        "predictor": np.where(is_llm, "llm", "local").tolist(),
        "model": [LLM_MODELS[p] if llm else LOCAL_MODEL for p, llm in zip(period.tolist(), is_llm.tolist())],
        "prompt_version": [prompt_versions[p] for p in prompt_period.tolist()],
        "taxonomy_version": [taxonomy.version] * rows,
        "response_format": [value if llm else None for value, llm in zip(response_format.tolist(), is_llm.tolist())],
        "symptom": symptom.tolist(),
        "symptom_confidence": symptom_confidence.tolist(),
        "symptom_confidence_raw": np.round(np.clip(symptom_confidence + raw_shift, 0, 1), 4).tolist(),
        "root_cause_category": categories.tolist(),
        "root_cause_category_confidence": category_confidence.tolist(),
        "root_cause": root_cause.tolist(),
        "root_cause_confidence": [None if a else c for a, c in zip(abstained.tolist(), root_cause_confidence.tolist())],
        "root_cause_confidence_raw": [None if a else c for a, c in zip(abstained.tolist(), np.round(np.clip(root_cause_confidence + raw_shift, 0, 1), 4).tolist())],
        "phase": phase.tolist(),
        "phase_confidence": phase_confidence.tolist(),
        "component": component.tolist(),
        "component_confidence": component_confidence.tolist(),
        "calibration": [CALIBRATION_METHODS[p] for p in period.tolist()],
        "needs_review": needs_review.tolist(),
        **columns,
        "prompt_tokens": prompt_tokens.tolist(),
        "completion_tokens": completion_tokens.tolist(),
        "cached_prefix_tokens": cached_tokens.tolist(),
        "latency_ms": latency.tolist(),
        "created_at": as_text_timestamps(created),
        "_created": created,
    }


def review_labels(rng: np.random.Generator, predictions: dict, row: int, verdict: str, taxonomy) -> tuple:
    """Return the symptom, root_cause, root_cause_category, phase and component that the reviewer sets."""
    if verdict == "reject":
        return (None, None, None, None, None)
    labels = {name: predictions[name][row] for name in ("symptom", "root_cause", "phase", "component")}
    if verdict == "correct":
        # A correction changes the symptom or the leaf (at least one), sometimes phase or component.
        change_symptom = rng.random() < 0.4
        if not change_symptom or rng.random() < 0.7 or labels["root_cause"] is None:
            labels["root_cause"] = str(rng.choice([n for n in taxonomy.names("root_cause") if n != labels["root_cause"]]))
        if change_symptom:
            labels["symptom"] = str(rng.choice([n for n in taxonomy.names("symptom") if n != labels["symptom"]]))
        if rng.random() < 0.15:
            labels["phase"] = str(rng.choice(taxonomy.names("phase")))
        if rng.random() < 0.25:
            labels["component"] = str(rng.choice(taxonomy.names("component")))
    category = taxonomy.category_of.get(labels["root_cause"]) if labels["root_cause"] else predictions["root_cause_category"][row]
    return (labels["symptom"], labels["root_cause"], category, labels["phase"], labels["component"])


def generate_reviews(rng: np.random.Generator, predictions: dict, count: int, end: np.datetime64, taxonomy) -> dict[str, list]:
    rows = len(predictions["id"])
    issue_ids = np.array(predictions["issue_id"])
    created = predictions["_created"]
    needs_review = np.array(predictions["needs_review"])

    # Reviewers mostly look at the newest prediction of an issue and at those flagged for review,
    # and not at predictions of the last day. Weighted sampling without replacement by
    # Efraimidis-Spirakis keys u ** (1 / weight).
    latest = np.zeros(issue_ids.max() + 1, dtype=np.int64)
    np.maximum.at(latest, issue_ids, np.arange(rows))
    is_latest = np.zeros(rows, dtype=bool)
    is_latest[latest[np.unique(issue_ids)]] = True
    weight = (1.0 + 3.0 * is_latest + 2.0 * needs_review) * (created < end - np.timedelta64(1, "D"))
    keys = np.where(weight > 0, rng.random(rows) ** (1.0 / np.maximum(weight, 1e-9)), -1.0)
    chosen = np.sort(np.argpartition(-keys, min(count, rows) - 1)[:count])

    # About 5% of the reviewed predictions were reviewed twice, and the first review is superseded.
    delay = rng.lognormal(np.log(20 * 3600e6), 1.2, size=len(chosen)).astype("timedelta64[us]")
    reviewed_at = np.minimum(created[chosen] + delay, end)
    twice = rng.random(len(chosen)) < 0.05
    earlier_at = created[chosen[twice]] + (reviewed_at[twice] - created[chosen[twice]]) // 2

    entries = []  # (created_at, prediction row, is_current)
    entries += zip(reviewed_at.tolist(), chosen.tolist(), [True] * len(chosen))
    entries += zip(earlier_at.tolist(), chosen[twice].tolist(), [False] * int(twice.sum()))
    entries.sort()

    columns: dict[str, list] = {name: [] for name in (
        "id", "prediction_id", "issue_id", "verdict", "reviewer", "source", "note", "symptom", "root_cause",
        "root_cause_category", "phase", "component", "is_current", "created_at")}
    confidence = predictions["symptom_confidence"]
    for review_id, (reviewed, row, current) in enumerate(entries, start=1):
        # Confident predictions are accepted more often. Of the others, 3 in 4 are corrected.
        if rng.random() < 0.15 + 0.75 * confidence[row]:
            verdict = "accept"
        else:
            verdict = "correct" if rng.random() < 0.75 else "reject"
        symptom, root_cause, category, phase, component = review_labels(rng, predictions, row, verdict, taxonomy)
        columns["id"].append(review_id)
        columns["prediction_id"].append(row + 1)
        columns["issue_id"].append(predictions["issue_id"][row])
        columns["verdict"].append(verdict)
        columns["reviewer"].append(f"maintainer{rng.integers(40)}")
        columns["source"].append("github_label" if rng.random() < 0.3 else "web")
        columns["note"].append(None)
        columns["symptom"].append(symptom)
        columns["root_cause"].append(root_cause)
        columns["root_cause_category"].append(category)
        columns["phase"].append(phase)
        columns["component"].append(component)
        columns["is_current"].append(current)
        columns["created_at"].append(f"{reviewed.isoformat()}+00")
    return columns


def copy_table(connection: psycopg.Connection, table: str, columns: dict[str, list]) -> None:
    names = [name for name in columns if not name.startswith("_")]
    with connection.cursor() as cursor:
        with cursor.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN") as copy:
            for row in zip(*(columns[name] for name in names)):
                copy.write_row(row)
        # The rows carry their own ids, so move each sequence past them for later inserts.
        cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")


def load(url: str, rows: int, seed: int, end: datetime) -> dict[str, float]:
    """Generate the synthetic history and COPY it in. Returns the seconds each step took."""
    rng = np.random.default_rng(seed)
    taxonomy = load_taxonomy(ROOT / "prompts")
    end64 = np.datetime64(end.replace(tzinfo=None), "us")
    start64 = end64 - np.timedelta64(HISTORY_DAYS, "D")
    span_us = int((end64 - start64).astype(np.int64))
    seconds = {}

    started = time.perf_counter()
    issues = generate_issues(rng, max(rows // 5, 1), start64, span_us)
    predictions = generate_predictions(rng, issues, rows, start64, end64, taxonomy)
    reviews = generate_reviews(rng, predictions, max(rows // 10, 1), end64, taxonomy)
    seconds["generate"] = time.perf_counter() - started
    print(f"generated in {seconds['generate']:.0f} s", file=sys.stderr)

    with psycopg.connect(url, autocommit=True) as connection:
        for table, columns in (("issues", issues), ("predictions", predictions), ("reviews", reviews)):
            started = time.perf_counter()
            copy_table(connection, table, columns)
            seconds[f"copy {table}"] = time.perf_counter() - started
            print(f"copied {table} in {seconds[f'copy {table}']:.0f} s", file=sys.stderr)

        started = time.perf_counter()
        connection.execute("VACUUM (ANALYZE) issues, predictions, reviews")
        seconds["vacuum analyze"] = time.perf_counter() - started
    return seconds


# --- Queries --------------------------------------------------------------------------------------


Query = Callable[..., Awaitable[str]]


async def list_page(session, filters: PredictionFilters, cursor: str | None, limit: int = PAGE_SIZE) -> str:
    """Fetch one page of GET /v1/predictions and the current reviews of its rows, as the handler does."""
    rows, _ = await prediction_service.list_predictions(session, filters, limit=limit, cursor=cursor)
    await prediction_service.current_reviews(session, [row.id for row in rows])
    return f"{len(rows)} rows"


async def export_batch(session, filters: PredictionFilters) -> str:
    rows, _ = await prediction_service.list_predictions(session, filters, limit=EXPORT_BATCH, cursor=None)
    return f"{len(rows)} rows"


async def review_queue(session) -> str:
    rows, total = await review_service.queue(
        session, repository=None, engine=None, symptom=None, root_cause=None, max_confidence=None,
        limit=QUEUE_PAGE_SIZE, offset=0,
    )
    return f"{len(rows)} rows of {total}"


async def weekly_counts(session, filters: PredictionFilters) -> str:
    rows = await history_service.counts(session, filters, field_name="symptom", interval="week", by_repository=False)
    return f"{len(rows)} groups"


async def accuracy(session) -> str:
    result = await history_service.accuracy(session, PredictionFilters())
    return f"{result['symptom']['reviewed']} reviewed"


async def calibration(session) -> str:
    result = await history_service.calibration(session, PredictionFilters(), field_name="symptom")
    return f"{len(result['bins'])} bins"


async def summary(session) -> str:
    result = await history_service.summary(session, PredictionFilters(), prompt_price=0.15, completion_price=0.6)
    return f"{result['predictions']} predictions"


async def cursor_at(database: Database, filters: PredictionFilters, *, remaining: int | None = None) -> str | None:
    """Return the cursor after which `remaining` matching rows are left, or half of them when None.

    Half way stands for a client deep in its paging. A few rows left is the last page, which may
    have to read every older row before it can tell that no more rows match.
    """
    async with database.sessionmaker() as session:
        total = await session.scalar(filters.apply(select(func.count()).select_from(Prediction)))
        skipped = total // 2 if remaining is None else max(total - remaining - 1, 0)
        statement = (
            filters.apply(select(Prediction))
            .order_by(Prediction.created_at.desc(), Prediction.id.desc())
            .offset(skipped)
            .limit(1)
        )
        row = await session.scalar(statement)
    return None if row is None else prediction_service.encode_cursor(row)


async def query_cases(database: Database, end: datetime) -> list[tuple[str, Query]]:
    month_ago = end - timedelta(days=30)
    list_filters = {
        "no filter": PredictionFilters(),
        f"repository={FILTER_REPOSITORY}": PredictionFilters(repository=FILTER_REPOSITORY),
        f"symptom={FILTER_SYMPTOM}, since 30 days": PredictionFilters(symptom=FILTER_SYMPTOM, since=month_ago),
        "review_state=unreviewed": PredictionFilters(review_state="unreviewed"),
    }
    cases: list[tuple[str, Query]] = []
    for name, filters in list_filters.items():
        cursor = await cursor_at(database, filters)
        cases.append((f"list, {name}, first page", lambda s, f=filters: list_page(s, f, None)))
        cases.append((f"list, {name}, middle page", lambda s, f=filters, c=cursor: list_page(s, f, c)))
        if filters.since is not None:
            last = await cursor_at(database, filters, remaining=PAGE_SIZE // 2)
            cases.append((f"list, {name}, last page", lambda s, f=filters, c=last: list_page(s, f, c)))
    cases += [
        ("review queue, first page", review_queue),
        ("counts per week (symptom), all rows", lambda s: weekly_counts(s, PredictionFilters())),
        ("counts per week (symptom), last 30 days", lambda s: weekly_counts(s, PredictionFilters(since=month_ago))),
        ("accuracy (5 fields)", accuracy),
        ("calibration (symptom)", calibration),
        ("summary", summary),
        (f"export, first batch ({EXPORT_BATCH} rows)", lambda s: export_batch(s, PredictionFilters())),
    ]
    return cases


@dataclass
class Timing:
    runs_ms: list[float]
    result: str
    statements: int

    @property
    def median(self) -> float:
        return statistics.median(self.runs_ms)

    @property
    def p90(self) -> float:
        return percentile(self.runs_ms, 0.9)


class StatementRecorder:
    """Recorder of the SQL statements and parameters that the engine sends, to count and EXPLAIN them."""

    def __init__(self, database: Database):
        self.statements: list[tuple[str, object]] = []
        event.listen(database.engine.sync_engine, "before_cursor_execute", self._record)

    def _record(self, _connection, _cursor, statement, parameters, _context, _executemany) -> None:
        self.statements.append((statement, parameters))


async def time_queries(database: Database, cases: list[tuple[str, Query]], runs: int) -> dict[str, Timing]:
    recorder = StatementRecorder(database)
    timings = {}
    for name, query in cases:
        # The warm-up run reads the pages into the caches and prepares the statements.
        recorder.statements.clear()
        async with database.sessionmaker() as session:
            result = await query(session)
        statements = len(recorder.statements)

        durations = []
        for _ in range(runs):
            started = time.perf_counter()
            async with database.sessionmaker() as session:
                await query(session)
            durations.append((time.perf_counter() - started) * 1000)
        timings[name] = Timing(durations, result, statements)
        print(f"  {name}: median {timings[name].median:.1f} ms", file=sys.stderr)
    return timings


async def explain(database: Database, query: Query) -> list[str]:
    """Run EXPLAIN (ANALYZE, BUFFERS) on each statement that a query sends, with its own parameters."""
    recorder = StatementRecorder(database)
    async with database.sessionmaker() as session:
        await query(session)
    captured = list(recorder.statements)
    recorder.statements.clear()

    plans = []
    async with database.sessionmaker() as session:
        connection = await session.connection()
        for statement, parameters in captured:
            result = await connection.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {statement}", parameters)
            plan = "\n".join(row[0] for row in result)
            plans.append(f"{statement}\n-- parameters: {parameters}\n\n{plan}")
    return plans


async def measure(url: str, end: datetime, runs: int, cases=None) -> tuple[list, dict[str, Timing]]:
    database = Database(normalize_database_url(url))
    try:
        if cases is None:
            cases = await query_cases(database, end)
        return cases, await time_queries(database, cases, runs)
    finally:
        await database.dispose()


async def explain_slowest(url: str, cases: list, timings: dict[str, Timing], count: int = 3) -> dict[str, list[str]]:
    slowest = sorted(timings, key=lambda name: timings[name].median, reverse=True)[:count]
    queries = dict(cases)
    database = Database(normalize_database_url(url))
    try:
        return {name: await explain(database, queries[name]) for name in slowest}
    finally:
        await database.dispose()


def drop_secondary_indexes(url: str) -> list[str]:
    """Drop every non-unique, non-primary index of predictions and reviews, and return their names."""
    with psycopg.connect(url, autocommit=True) as connection:
        names = [row[0] for row in connection.execute(
            """
            SELECT index_class.relname
            FROM pg_index
            JOIN pg_class index_class ON index_class.oid = pg_index.indexrelid
            JOIN pg_class table_class ON table_class.oid = pg_index.indrelid
            WHERE table_class.relname IN ('predictions', 'reviews')
              AND NOT pg_index.indisprimary AND NOT pg_index.indisunique
            ORDER BY index_class.relname
            """
        )]
        for name in names:
            connection.execute(f'DROP INDEX "{name}"')
        connection.execute("ANALYZE predictions, reviews")
    return names


# --- Report ---------------------------------------------------------------------------------------


def command_output(command: list[str]) -> str:
    try:
        return subprocess.run(command, capture_output=True, text=True, check=True).stdout.rstrip()
    except (OSError, subprocess.CalledProcessError) as exc:
        return f"({' '.join(command)} failed: {exc})"


def database_facts(url: str) -> dict[str, object]:
    with psycopg.connect(url, autocommit=True) as connection:
        def value(sql: str):
            return connection.execute(sql).fetchone()[0]

        facts = {
            "server": value("SELECT version()"),
            "settings": ", ".join(
                f"{name}={value(f'SHOW {name}')}"
                for name in ("shared_buffers", "work_mem", "effective_cache_size", "max_parallel_workers_per_gather", "jit")
            ),
            "issues": value("SELECT count(*) FROM issues"),
            "predictions": value("SELECT count(*) FROM predictions"),
            "needs_review": value("SELECT avg(needs_review::int) FROM predictions"),
            "abstained": value("SELECT avg((root_cause IS NULL)::int) FROM predictions"),
            "repository_share": value(f"SELECT avg((repository = '{FILTER_REPOSITORY}')::int) FROM predictions"),
            "symptom_share": value(f"SELECT avg((symptom = '{FILTER_SYMPTOM}')::int) FROM predictions"),
            "first": value("SELECT min(created_at) FROM predictions"),
            "last": value("SELECT max(created_at) FROM predictions"),
            "reviews": value("SELECT count(*) FROM reviews"),
            "current_reviews": value("SELECT count(*) FROM reviews WHERE is_current"),
            "verdicts": ", ".join(
                f"{verdict} {count}" for verdict, count in connection.execute(
                    "SELECT verdict, count(*) FROM reviews WHERE is_current GROUP BY verdict ORDER BY verdict"
                )
            ),
            "queue": value(
                "SELECT count(*) FROM predictions p WHERE p.needs_review AND p.id IN "
                "(SELECT max(id) FROM predictions GROUP BY issue_id) AND p.id NOT IN "
                "(SELECT prediction_id FROM reviews WHERE is_current)"
            ),
            "sizes": ", ".join(
                f"{name} {size}" for name, size in connection.execute(
                    "SELECT relname, pg_size_pretty(pg_table_size(oid)) || ' table + ' || "
                    "pg_size_pretty(pg_indexes_size(oid)) || ' indexes' FROM pg_class "
                    "WHERE relname IN ('issues', 'predictions', 'reviews') ORDER BY relname"
                )
            ),
        }
    return facts


def render(args, facts: dict, load_seconds: dict, dropped: list[str], with_indexes: dict[str, Timing],
           without_indexes: dict[str, Timing], plans: dict[str, list[str]], started: datetime) -> str:
    lines = [
        f"# History queries at {facts['predictions']:,} predictions (PostgreSQL)",
        "",
        f"Run {started:%Y-%m-%d %H:%M} UTC with `.venv/bin/python bench/history_bench.py --rows {args.rows} "
        f"--runs {args.runs} --seed {args.seed}" + (f" --note '{args.note}'" if args.note else "") + "`.",
        "",
        "## Method",
        "",
        "A new database, built by the project's Alembic migrations, is loaded with COPY and then "
        "VACUUM ANALYZEd. Each query is the project's service function, called through its async "
        "engine (SQLAlchemy with asyncpg) in a new session per run, as an HTTP handler calls it, "
        "without the HTTP and JSON layers. Each query runs once as a warm-up, then "
        f"{args.runs} timed runs; the table gives the median and the nearest-rank p90 "
        f"(with {args.runs} runs, p90 is the slowest run). The same queries then run again after "
        "dropping the secondary indexes of `predictions` and `reviews` and running ANALYZE; primary keys "
        "and unique indexes stay. Ratio = median without indexes / median with indexes.",
        "",
        "The list queries are those of `GET /v1/predictions` (page of 50 plus the current reviews of the page). "
        "A \"middle page\" passes the cursor at the middle of the matching rows, a \"last page\" the cursor "
        f"before the {PAGE_SIZE // 2} oldest matching rows. The review queue is "
        f"`GET /v1/review-queue` with its default page of {QUEUE_PAGE_SIZE} (a count and a page). "
        f"The repository filter is `{FILTER_REPOSITORY}` ({facts['repository_share']:.1%} of the rows), "
        f"and the symptom filter is `{FILTER_SYMPTOM}` ({facts['symptom_share']:.1%}).",
        "",
        "## Machine and data",
        "",
        *([args.note, ""] if args.note else []),
        f"- `nproc`: {command_output(['nproc'])}; CPU: {platform.processor() or platform.machine()}; "
        f"load average at start: {args.load_at_start}",
        "- `free -g`:",
        "",
        "```",
        command_output(["free", "-g"]),
        "```",
        "",
        f"- {facts['server']}",
        f"- Server settings (defaults of the Debian package): {facts['settings']}",
        f"- Issues: {facts['issues']:,}; predictions: {facts['predictions']:,} from {facts['first']:%Y-%m-%d} "
        f"to {facts['last']:%Y-%m-%d}; needs_review {facts['needs_review']:.1%}; abstained root cause {facts['abstained']:.1%}",
        f"- Reviews: {facts['reviews']:,}, of which {facts['current_reviews']:,} current ({facts['verdicts']}); "
        f"review queue: {facts['queue']:,} predictions",
        f"- Sizes: {facts['sizes']}",
        "- Load: " + ", ".join(f"{step} {value:.0f} s" for step, value in load_seconds.items()),
        f"- Dropped for the baseline: {', '.join(dropped)}",
        "",
        "## Results",
        "",
        "| Query | SQL statements | Result | With indexes: median ms | p90 ms | Without: median ms | p90 ms | Ratio |",
        "|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    for name, timing in with_indexes.items():
        baseline = without_indexes[name]
        lines.append(
            f"| {name} | {timing.statements} | {timing.result} | {timing.median:.1f} | {timing.p90:.1f} | "
            f"{baseline.median:.1f} | {baseline.p90:.1f} | {baseline.median / timing.median:.1f} |"
        )
    lines += ["", "## Every timed run (ms)", "", "| Query | With indexes | Without |", "|---|---|---|"]
    for name, timing in with_indexes.items():
        runs = ", ".join(f"{value:.1f}" for value in timing.runs_ms)
        baseline_runs = ", ".join(f"{value:.1f}" for value in without_indexes[name].runs_ms)
        lines.append(f"| {name} | {runs} | {baseline_runs} |")
    lines += ["", "## Plans of the three slowest queries with indexes", ""]
    for name, statements in plans.items():
        lines += [f"### {name}", ""]
        for plan in statements:
            lines += ["```", plan, "```", ""]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="number of predictions (issues: rows/5, current reviews: rows/10)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per query, after one warm-up run")
    parser.add_argument("--seed", type=int, default=1, help="seed of the data generator")
    parser.add_argument("--keep", action="store_true", help="keep the database (without the dropped indexes) instead of dropping it")
    parser.add_argument("--note", default="", help="a sentence about the machine's state during the run, copied into the report")
    parser.add_argument("--admin-url", default=DEFAULT_ADMIN_URL, help="URL of an existing database on the server; the benchmark creates and drops its own database there")
    args = parser.parse_args()
    configure_logging(level="WARNING")  # structlog to stderr, so stdout carries only the report
    args.load_at_start = " ".join(Path("/proc/loadavg").read_text().split()[:3])

    started = datetime.now(timezone.utc)
    end = started.replace(microsecond=0)
    name = f"triage_bench_{uuid.uuid4().hex[:10]}"
    url = database_url(args.admin_url, name)
    with admin_connection(args.admin_url) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    print(f"database {name}", file=sys.stderr)

    try:
        upgrade_database(url)
        load_seconds = load(url, args.rows, args.seed, end)
        facts = database_facts(url)

        print("with indexes", file=sys.stderr)
        cases, with_indexes = asyncio.run(measure(url, end, args.runs))
        plans = asyncio.run(explain_slowest(url, cases, with_indexes))

        dropped = drop_secondary_indexes(url)
        print("without secondary indexes", file=sys.stderr)
        _, without_indexes = asyncio.run(measure(url, end, args.runs, cases))

        report = render(args, facts, load_seconds, dropped, with_indexes, without_indexes, plans, started)
        suffix = "1m" if args.rows == 1_000_000 else str(args.rows)
        output = ROOT / "bench" / "results" / f"history-{suffix}.md"
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(report, encoding="utf-8")
        print(report)
        print(f"written to {output.relative_to(ROOT)}", file=sys.stderr)
    finally:
        if args.keep:
            print(f"kept database {url}", file=sys.stderr)
        else:
            with admin_connection(args.admin_url) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
