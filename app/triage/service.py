"""The triage pipeline: local predictor, retrieved examples, the language model, and their combination.

Each field's final distribution combines the local predictor's distribution with the model's
vote by Bayes' rule, treating the model as a noisy channel whose reliability is calibrated from
reviewed predictions (or capped by `TRIAGE_MODEL_RELIABILITY` until enough exist). A weak model
therefore moves the local distribution little, and a missing, invalid or abstaining answer
leaves it unchanged for that field.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from app.core.errors import InvalidModelAnswer
from app.core.logging import get_logger
from app.core.settings import Settings
from app.llm.client import ChatClient, Completion, parse_json_answer
from app.llm.tokens import count_tokens
from app.local.predictor import LOCAL_MODEL_NAME, LocalPrediction, cached_predictor
from app.triage.budget import fit_issue
from app.triage.calibration import Calibrator
from app.triage.evidence import extract_evidence
from app.triage.examples import LabelledExample, load_examples
from app.triage.prompt import build_messages, prompt_version
from app.triage.schemas import IssueInput, ModelAnswer, TriageResult, answer_schema
from app.triage.taxonomy import Taxonomy, load_taxonomy

log = get_logger(__name__)

EXAMPLE_TOKEN_LIMIT = 350  # each few-shot example is cut to this many tokens
FIELDS = ("symptom", "root_cause", "phase", "component")


@dataclass
class ModelVote:
    """The language model's label for one field and the confidence signal for it."""

    label: str | None
    probability: float


class Triager:
    def __init__(
        self,
        settings: Settings,
        *,
        client: ChatClient | None = None,
        extra_examples: list[LabelledExample] | None = None,
        calibrator: Calibrator | None = None,
    ):
        self.settings = settings
        self.prompts_dir = Path(settings.prompts_dir)
        self.taxonomy: Taxonomy = load_taxonomy(self.prompts_dir)
        self.examples = list(load_examples(self.prompts_dir, self.taxonomy)) + list(extra_examples or [])
        self.local = cached_predictor(self.taxonomy, tuple(self.examples))
        self.client = client
        self.calibrator = calibrator or Calibrator.identity()
        self.prompt_version = prompt_version(self.prompts_dir)

    @property
    def model_name(self) -> str:
        return self.client.model if self.client else LOCAL_MODEL_NAME

    async def triage(self, issue: IssueInput, *, use_model: bool = True) -> TriageResult:
        """Predict the labels of one issue; `use_model=False` runs the local predictor alone."""
        started = time.perf_counter()
        evidence = extract_evidence(issue.title, issue.body, issue.engine)
        local = self.local.predict(issue.title, issue.body, neighbours=self.settings.few_shot_k)

        if self.client is None or not use_model:
            result = self.finish(local, votes={}, evidence=evidence, predictor="local", raw={})
            result.model = LOCAL_MODEL_NAME
            result.latency_ms = (time.perf_counter() - started) * 1000
            return result

        answers, completion, prompt = await self._ask_model(issue, local, evidence)
        answer = answers[0] if answers else None
        votes = self._votes(answers, completion)
        raw = {
            "answer": answer.model_dump() if answer else None,
            "texts": completion.texts if completion else [],
            "local_top": {field: local.best(field) for field in FIELDS},
        }
        if answer is None:
            raw["model_error"] = "no valid answer after one re-ask"
        predictor = "llm" if answer is not None else "local"
        result = self.finish(local, votes=votes, evidence=evidence, predictor=predictor, raw=raw, answer=answer)
        result.examples = prompt["example_ids"]
        if completion is not None:
            result.response_format = completion.response_format
            result.prompt_tokens = completion.prompt_tokens
            result.completion_tokens = completion.completion_tokens
            # Servers that do not report cached tokens get an estimate: the fixed prefix's share of
            # the prompt (counted with tiktoken), applied to the server's own prompt count.
            result.cached_prefix_tokens = (
                completion.cached_tokens
                if completion.cached_tokens is not None
                else round(prompt["prefix_share"] * completion.prompt_tokens)
            )
        result.latency_ms = (time.perf_counter() - started) * 1000
        return result

    async def _ask_model(self, issue: IssueInput, local: LocalPrediction, evidence: dict):
        """Ask the model, re-asking once when the answer does not parse or fit the taxonomy."""
        issue_text, _ = fit_issue(issue.title, issue.body, self.settings.issue_token_budget, self.model_name)
        chosen = self._fit_examples(local.neighbours)
        prompt = build_messages(
            prompts_dir=self.prompts_dir,
            taxonomy=self.taxonomy,
            issue_text=issue_text,
            engine=issue.engine,
            examples=chosen,
            evidence=evidence,
            detail=self.settings.prompt_detail,
        )
        schema = answer_schema(self.taxonomy)
        messages = list(prompt.messages)
        prompt_text_tokens = sum(count_tokens(str(message["content"]), self.model_name) for message in messages)
        prefix_share = count_tokens(prompt.fixed_prefix, self.model_name) / max(prompt_text_tokens, 1)
        info = {"example_ids": prompt.example_ids, "prefix_share": prefix_share}

        completion: Completion | None = None
        for attempt in (1, 2):
            completion = await self.client.complete_json(
                messages,
                schema,
                samples=self.settings.llm_samples,
                temperature=0.0 if self.settings.llm_samples == 1 else 0.7,
                logprobs=self.settings.llm_logprobs,
            )
            answers, errors = self._parse_answers(completion.texts)
            # Servers that ignore `n` (llama.cpp's among them) return one choice; ask again for the rest.
            while answers and len(answers) < self.settings.llm_samples:
                extra = await self.client.complete_json(messages, schema, temperature=0.7, logprobs=False)
                more, _ = self._parse_answers(extra.texts)
                if not more:
                    break
                answers += more
                completion.prompt_tokens += extra.prompt_tokens
                completion.completion_tokens += extra.completion_tokens
                completion.texts += extra.texts
            if answers:
                return answers, completion, info
            log.warning("triage.answer.invalid", attempt=attempt, error=errors[0][:300], repository=issue.repository, number=issue.number)
            messages = messages + [
                {"role": "assistant", "content": completion.texts[0][:2000] if completion.texts else ""},
                {"role": "user", "content": f"That answer is invalid: {errors[0][:500]}. Answer again with one JSON object using only the label names listed in the instructions."},
            ]
        return [], completion, info

    def _parse_answers(self, texts: list[str]) -> tuple[list[ModelAnswer], list[str]]:
        answers, errors = [], []
        for text in texts:
            try:
                data = parse_json_answer(text)
                answers.append(ModelAnswer.model_validate(data, context={"taxonomy": self.taxonomy}))
            except (InvalidModelAnswer, ValidationError) as exc:
                errors.append(str(exc))
        return answers, errors or ["no answer"]

    def _fit_examples(self, neighbours: list[tuple[LabelledExample, float]]) -> list[tuple[LabelledExample, str]]:
        """Take the nearest examples, each cut to a fixed size, until the example budget is spent."""
        chosen = []
        spent = 0
        for example, _score in neighbours[: self.settings.few_shot_k]:
            text, _ = fit_issue(example.title, example.body, EXAMPLE_TOKEN_LIMIT, self.model_name)
            cost = count_tokens(text, self.model_name) + 80
            if spent + cost > self.settings.examples_token_budget:
                break
            chosen.append((example, text))
            spent += cost
        # Most similar last, next to the issue, where small models weigh examples most.
        return list(reversed(chosen))

    def _votes(self, answers: list[ModelAnswer], completion: Completion | None) -> dict[str, ModelVote]:
        """Turn the model's answers into one vote per field, with a confidence signal for its label.

        The signal is, in order of preference: agreement over several samples, the token
        log-probabilities of the label, or the model's own stated confidence.
        """
        if not answers:
            return {}
        votes: dict[str, ModelVote] = {}
        for field_name in FIELDS:
            labels = [getattr(item, field_name) for item in answers]
            label = getattr(answers[0], field_name)
            if label is None:
                continue
            if len(answers) > 1:
                probability = Counter(labels)[label] / len(labels)
            else:
                probability = _label_logprob(completion, label) if completion else None
                if probability is None:
                    stated = {"symptom": answers[0].symptom_confidence, "root_cause": answers[0].root_cause_confidence}
                    probability = stated.get(field_name, 0.6)
            votes[field_name] = ModelVote(label, probability)
        return votes

    def vote_reliability(self, field_name: str, vote: ModelVote) -> float:
        """Probability that the model's label is right: calibrated from reviews when possible."""
        calibrated = self.calibrator.model_reliability(field_name, vote.probability)
        if calibrated is not None:
            return calibrated
        return min(vote.probability, self.settings.model_reliability)

    def _combine(self, field_name: str, local: dict[str, float], vote: ModelVote | None) -> dict[str, float]:
        """Bayes' rule with the model as a noisy channel: P(y | local, vote) ∝ P_local(y) · P(vote | y).

        P(vote = m | y) is r when m = y and (1 - r) / (K - 1) otherwise, where r is the vote's
        reliability. A vote no better than chance (r = 1/K) leaves the local distribution as it is.
        """
        if vote is None or vote.label not in local or not self.calibrator.model_enabled(field_name):
            return local
        others = max(len(local) - 1, 1)
        reliability = min(max(self.vote_reliability(field_name, vote), 1.0 / len(local)), 0.99)
        pooled = {
            label: value * (reliability if label == vote.label else (1 - reliability) / others)
            for label, value in local.items()
        }
        total = sum(pooled.values())
        return {label: value / total for label, value in pooled.items()}

    def finish(self, local: LocalPrediction, *, votes, evidence, predictor, raw, answer=None) -> TriageResult:
        """Pool the local distributions with the model's votes and choose the labels."""
        distributions = {field: self._combine(field, local.probabilities[field], votes.get(field)) for field in FIELDS}

        leaf_distribution = distributions["root_cause"]
        categories: dict[str, float] = {}
        for leaf, value in leaf_distribution.items():
            parent = self.taxonomy.category_of[leaf]
            categories[parent] = categories.get(parent, 0.0) + value
        category = max(categories, key=categories.get)
        # The leaf is chosen inside the most likely category, so the two never disagree.
        leaf = max((name for name in leaf_distribution if self.taxonomy.category_of[name] == category), key=leaf_distribution.get)

        symptom = max(distributions["symptom"], key=distributions["symptom"].get)
        phase = max(distributions["phase"], key=distributions["phase"].get)
        component = max(distributions["component"], key=distributions["component"].get)

        symptom_raw = distributions["symptom"][symptom]
        leaf_raw = leaf_distribution[leaf]
        symptom_confidence = self.calibrator.apply("symptom", symptom_raw)
        leaf_confidence = self.calibrator.apply("root_cause", leaf_raw)
        category_confidence = self.calibrator.apply("root_cause_category", categories[category])

        abstain = leaf_confidence < self.settings.root_cause_abstain_below
        needs_review = (
            abstain
            or symptom_confidence < self.settings.review_below
            or category_confidence < self.settings.review_below
        )

        rationale = (answer.rationale if answer and answer.rationale else "") or self._local_rationale(local, evidence)
        raw = {
            **raw,
            "abstained_root_cause": leaf if abstain else None,
            "votes": {field: {"label": vote.label, "signal": round(vote.probability, 4)} for field, vote in votes.items()},
        }
        return TriageResult(
            predictor=predictor,
            model=self.model_name,
            prompt_version=self.prompt_version,
            taxonomy_version=self.taxonomy.version,
            symptom=symptom,
            symptom_confidence=round(symptom_confidence, 4),
            symptom_confidence_raw=round(symptom_raw, 4),
            root_cause_category=category,
            root_cause_category_confidence=round(category_confidence, 4),
            root_cause=None if abstain else leaf,
            root_cause_confidence=round(leaf_confidence, 4),
            root_cause_confidence_raw=round(leaf_raw, 4),
            phase=phase,
            phase_confidence=round(distributions["phase"][phase], 4),
            component=component,
            component_confidence=round(distributions["component"][component], 4),
            calibration=self.calibrator.method,
            needs_review=needs_review,
            rationale=rationale,
            evidence=evidence,
            examples=[example.id for example, _ in local.neighbours],
            raw_answer=raw,
            distributions=distributions,
            local=local,
        )

    def _local_rationale(self, local: LocalPrediction, evidence: dict) -> str:
        parts = []
        if local.neighbours:
            example, score = local.neighbours[0]
            parts.append(
                f"Closest labelled example {example.id} (similarity {score:.2f}) is {example.symptom} / {example.root_cause}."
            )
        if evidence.get("error_signature"):
            parts.append(f"Error: {evidence['error_signature'][:160]}")
        return " ".join(parts) or "No strong cue in the report; labels follow the study's class frequencies."


def _label_logprob(completion: Completion, label: str) -> float | None:
    """Probability of the tokens that spell `label` in the first answer, from token log-probabilities."""
    if not completion.logprobs or not completion.logprobs[0]:
        return None
    tokens = completion.logprobs[0]
    text = "".join(token for token, _, _ in tokens)
    start = text.find(f'"{label}"')
    if start < 0:
        return None
    start += 1
    end = start + len(label)
    position = 0
    total = 0.0
    for token, logprob, _ in tokens:
        token_start, token_end = position, position + len(token)
        position = token_end
        if token_end <= start or token_start >= end:
            continue
        total += logprob
    return math.exp(total)
