"""Prometheus metrics of one process, in a registry of its own (so several apps can live in one test run)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.deliveries = Counter(
            "triage_webhook_deliveries", "Webhook deliveries received, by event and outcome.",
            ["event", "outcome"], registry=self.registry,
        )
        self.jobs = Gauge("triage_jobs", "Jobs in the database, by status (read at scrape time).", ["status"], registry=self.registry)
        self.jobs_finished = Counter(
            "triage_jobs_finished", "Jobs this process finished, by outcome.", ["outcome"], registry=self.registry
        )
        self.job_seconds = Histogram(
            "triage_job_duration_seconds", "Time from claiming a job to finishing it.", buckets=LATENCY_BUCKETS, registry=self.registry
        )
        self.llm_seconds = Histogram(
            "triage_llm_latency_seconds", "Model latency per triaged issue, re-asks included.", buckets=LATENCY_BUCKETS, registry=self.registry
        )
        self.llm_tokens = Counter("triage_llm_tokens", "Tokens sent to and received from the model.", ["kind"], registry=self.registry)
        self.predictions = Counter(
            "triage_predictions", "Predictions stored, by predictor, symptom and root-cause category.",
            ["predictor", "symptom", "root_cause_category"], registry=self.registry,
        )
        self.reviews = Counter("triage_reviews", "Reviews recorded, by verdict and source.", ["verdict", "source"], registry=self.registry)

    def observe_prediction(self, result) -> None:
        self.predictions.labels(
            predictor=result.predictor, symptom=result.symptom, root_cause_category=result.root_cause_category or "none"
        ).inc()
        if result.predictor == "llm" or result.prompt_tokens:
            self.llm_seconds.observe(result.latency_ms / 1000)
            self.llm_tokens.labels(kind="prompt").inc(result.prompt_tokens)
            self.llm_tokens.labels(kind="completion").inc(result.completion_tokens)
