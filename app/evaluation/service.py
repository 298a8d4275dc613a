"""Evaluate a predictor on a labelled JSONL data set (the format of the study's labels)."""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

from app.core.errors import InvalidPayload
from app.core.logging import get_logger
from app.evaluation.metrics import FieldOutcome, summarize
import numpy as np

from app.triage.calibration import Calibrator, fit_calibrator, fit_gate
from app.triage.schemas import IssueInput, TriageResult
from app.triage.service import FIELDS, ModelVote, Triager

log = get_logger(__name__)

EVALUATED_FIELDS = ("symptom", "root_cause_category", "root_cause", "phase", "component")
GOLD_SEPARATOR = "@@"


@dataclass
class LabelledIssue:
    id: str
    issue: IssueInput
    gold: dict[str, set[str]]


@dataclass
class EvaluationRun:
    name: str
    results: list[TriageResult] = field(default_factory=list)
    items: list[LabelledIssue] = field(default_factory=list)
    seconds: float = 0.0


def load_dataset(path: Path, taxonomy) -> list[LabelledIssue]:
    """Read labelled issues: keys title, body, repo, engine and the gold fields (two labels joined by `@@`)."""
    items = []
    for line_number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InvalidPayload(f"{path}:{line_number} is not valid JSON: {exc}") from exc
        if "title" not in row or "symptom" not in row:
            raise InvalidPayload(f"{path}:{line_number} lacks 'title' or 'symptom'; it is not a labelled issue.")

        gold = {}
        for name in ("symptom", "root_cause", "phase", "component"):
            values = {value.strip() for value in str(row.get(name) or "").split(GOLD_SEPARATOR) if value.strip()}
            gold[name] = values
        gold["root_cause_category"] = {taxonomy.category_of[leaf] for leaf in gold["root_cause"] if leaf in taxonomy.category_of}
        items.append(
            LabelledIssue(
                id=str(row.get("id") or row.get("url") or line_number),
                issue=IssueInput(
                    repository=row.get("repo") or "unknown/unknown",
                    number=int(row.get("number") or 0),
                    title=row["title"],
                    body=row.get("body") or "",
                    engine=row.get("engine"),
                    url=row.get("url"),
                ),
                gold=gold,
            )
        )
    return items


async def run(triager: Triager, items: list[LabelledIssue], *, name: str, use_model: bool = True) -> EvaluationRun:
    evaluation = EvaluationRun(name=name, items=items)
    started = time.perf_counter()
    for position, item in enumerate(items, start=1):
        result = await triager.triage(item.issue, use_model=use_model)
        evaluation.results.append(result)
        if position % 10 == 0 or position == len(items):
            log.info("eval.progress", run=name, done=position, total=len(items))
    evaluation.seconds = time.perf_counter() - started
    return evaluation


def _predicted(result: TriageResult, field_name: str) -> tuple[str | None, float]:
    if field_name == "root_cause":
        # Score the leaf the pipeline ranked first, also where it abstained from storing it.
        leaf = result.root_cause or result.raw_answer.get("abstained_root_cause")
        return leaf, result.root_cause_confidence or 0.0
    value = getattr(result, field_name)
    confidence = getattr(result, f"{field_name}_confidence") or 0.0
    return value, confidence


def _model_alone(result: TriageResult, field_name: str) -> str | None:
    answer = (result.raw_answer or {}).get("answer") or {}
    return answer.get(field_name)


def report(evaluation: EvaluationRun, taxonomy) -> dict:
    """Metrics per field for the pipeline, the model's own answers, and the majority-class baseline."""
    fields = {}
    for field_name in EVALUATED_FIELDS:
        gold = [item.gold[field_name] for item in evaluation.items]
        pairs = [_predicted(result, field_name) for result in evaluation.results]
        outcome = FieldOutcome(gold=gold, predicted=[p for p, _ in pairs], confidence=[c for _, c in pairs])
        summary = summarize(outcome)

        prior_field = "root_cause" if field_name == "root_cause_category" else field_name
        if field_name == "root_cause_category":
            categories: dict[str, float] = {}
            for leaf, value in taxonomy.priors("root_cause").items():
                categories[taxonomy.category_of[leaf]] = categories.get(taxonomy.category_of[leaf], 0) + value
            majority = max(categories, key=categories.get)
        else:
            priors = taxonomy.priors(prior_field)
            majority = max(priors, key=priors.get)
        summary["majority_label"] = majority
        summary["majority_accuracy"] = sum(majority in g for g in gold) / len(gold) if gold else 0.0

        model_labels = [_model_alone(result, field_name) for result in evaluation.results]
        if any(label is not None for label in model_labels):
            summary["model_alone_accuracy"] = sum(
                label is not None and label in g for label, g in zip(model_labels, gold)
            ) / len(gold)
            summary["model_answered"] = sum(label is not None for label in model_labels)
        if field_name == "root_cause":
            summary["abstention_rate"] = sum(result.root_cause is None for result in evaluation.results) / len(gold)
        fields[field_name] = summary

    results = evaluation.results
    prompt_tokens = [result.prompt_tokens for result in results]
    latencies = [result.latency_ms for result in results]
    cached_share = [
        result.cached_prefix_tokens / result.prompt_tokens for result in results if result.prompt_tokens
    ]
    return {
        "items": item_records(evaluation),
        "run": evaluation.name,
        "n": len(results),
        "predictor": sorted({result.predictor for result in results}),
        "model": results[0].model if results else None,
        "prompt_version": results[0].prompt_version if results else None,
        "response_format": sorted({result.response_format for result in results if result.response_format}),
        "seconds": evaluation.seconds,
        "fields": fields,
        "cost": {
            "prompt_tokens_mean": statistics.fmean(prompt_tokens) if prompt_tokens else 0,
            "completion_tokens_mean": statistics.fmean(result.completion_tokens for result in results) if results else 0,
            "cached_prefix_share_mean": statistics.fmean(cached_share) if cached_share else 0,
            "latency_ms_mean": statistics.fmean(latencies) if latencies else 0,
            "latency_ms_p50": statistics.median(latencies) if latencies else 0,
            "latency_ms_p95": sorted(latencies)[int(0.95 * (len(latencies) - 1))] if latencies else 0,
        },
    }


def _stored_votes(result: TriageResult) -> dict[str, ModelVote]:
    votes = (result.raw_answer or {}).get("votes") or {}
    return {name: ModelVote(vote["label"], vote["signal"]) for name, vote in votes.items()}


def _refinish(triager: Triager, result: TriageResult) -> TriageResult:
    raw = {key: value for key, value in result.raw_answer.items() if key not in ("votes", "abstained_root_cause")}
    rescored = triager.finish(result.local, votes=_stored_votes(result), evidence=result.evidence,
                              predictor=result.predictor, raw=raw)
    # The model is not asked again, so the cost of the original run still applies.
    for name in ("response_format", "prompt_tokens", "completion_tokens", "cached_prefix_tokens", "latency_ms", "examples"):
        setattr(rescored, name, getattr(result, name))
    return rescored


def recalibrated(evaluation: EvaluationRun, triager: Triager, *, folds: int = 5, seed: int = 0) -> EvaluationRun:
    """Re-score a run with calibration fitted out-of-fold, as it would be fitted from reviews.

    For each fold, the model's reliability per field and the final confidence maps are fitted on
    the other folds' labelled outcomes, then this fold's stored local distributions and model
    votes are combined again. No model call is repeated.
    """
    items, results = evaluation.items, evaluation.results
    order = np.random.default_rng(seed).permutation(len(items))
    rescored: list[TriageResult | None] = [None] * len(items)
    original = triager.calibrator
    try:
        for fold in range(folds):
            test = order[fold::folds]
            train = np.setdiff1d(order, test)

            model_outcomes: dict[str, list[tuple[float, bool]]] = {name: [] for name in FIELDS}
            for index in train:
                for name, vote in _stored_votes(results[index]).items():
                    model_outcomes[name].append((vote.probability, vote.label in items[index].gold[name]))
            triager.calibrator = fit_calibrator(model_outcomes, {})

            final_outcomes: dict[str, list[tuple[float, bool]]] = {name: [] for name in ("symptom", "root_cause", "root_cause_category")}
            for index in train:
                result = _refinish(triager, results[index])
                gold = items[index].gold
                leaf = result.root_cause or result.raw_answer.get("abstained_root_cause")
                final_outcomes["symptom"].append((result.symptom_confidence_raw, result.symptom in gold["symptom"]))
                final_outcomes["root_cause"].append((result.root_cause_confidence_raw, leaf in gold["root_cause"]))
                final_outcomes["root_cause_category"].append(
                    (result.root_cause_category_confidence, result.root_cause_category in gold["root_cause_category"])
                )
            triager.calibrator = fit_calibrator(model_outcomes, final_outcomes)

            # Switch the model off per field where, on the training folds, it did not beat the local predictor.
            for name in FIELDS:
                outcomes = []
                for index in train:
                    result = _refinish(triager, results[index])
                    pooled = getattr(result, name) or (result.raw_answer.get("abstained_root_cause") if name == "root_cause" else None)
                    local_label = result.local.best(name)[0]
                    outcomes.append((local_label in items[index].gold[name], pooled in items[index].gold[name]))
                enabled = fit_gate(outcomes)
                if enabled is not None:
                    triager.calibrator.model_gate[name] = enabled

            for index in test:
                rescored[index] = _refinish(triager, results[index])
    finally:
        triager.calibrator = original
    return EvaluationRun(
        name=f"{evaluation.name}, calibrated out-of-fold ({folds} folds)",
        results=rescored,
        items=items,
        seconds=evaluation.seconds,
    )


def item_records(evaluation: EvaluationRun) -> list[dict]:
    """Per-issue gold labels, predictions, confidences and model votes, for offline analysis."""
    records = []
    for item, result in zip(evaluation.items, evaluation.results):
        records.append({
            "id": item.id,
            "gold": {name: sorted(values) for name, values in item.gold.items()},
            "predicted": {name: _predicted(result, name)[0] for name in EVALUATED_FIELDS},
            "confidence": {name: _predicted(result, name)[1] for name in EVALUATED_FIELDS},
            "votes": result.raw_answer.get("votes"),
            "local": {name: result.local.best(name) for name in ("symptom", "root_cause", "phase", "component")}
            if result.local is not None else None,
            "prompt_tokens": result.prompt_tokens,
            "latency_ms": round(result.latency_ms, 1),
        })
    return records
