"""The embedded predictor: needs no network and no model server.

For each field (symptom, root cause, phase, component) a logistic regression over the TF-IDF
features of the labelled examples gives class probabilities. The example pool does not follow
the study's class frequencies, so the probabilities are re-weighted by the ratio of the study's
prior to the pool's prior (a standard prior-shift correction).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression

from app.retrieval.index import ExampleIndex
from app.triage.examples import LabelledExample
from app.triage.taxonomy import Taxonomy

LOCAL_MODEL_NAME = "local-tfidf-logreg"
PREDICTED_FIELDS = ("symptom", "root_cause", "phase", "component")


@dataclass
class LocalPrediction:
    probabilities: dict[str, dict[str, float]]  # field -> label -> probability
    neighbours: list[tuple[LabelledExample, float]]

    def best(self, field_name: str) -> tuple[str, float]:
        distribution = self.probabilities[field_name]
        label = max(distribution, key=distribution.get)
        return label, distribution[label]


class LocalPredictor:
    def __init__(self, taxonomy: Taxonomy, examples: list[LabelledExample] | tuple[LabelledExample, ...], *, prior_weight: float = 1.0):
        self.taxonomy = taxonomy
        self.index = ExampleIndex(examples)
        self.prior_weight = prior_weight
        self._models: dict[str, tuple[LogisticRegression | None, list[str], np.ndarray]] = {}
        for field_name in PREDICTED_FIELDS:
            self._models[field_name] = self._fit(field_name, examples)

    def _fit(self, field_name: str, examples) -> tuple[LogisticRegression | None, list[str], np.ndarray]:
        labels = [getattr(example, field_name) for example in examples]
        names = list(self.taxonomy.names(field_name))
        mask = [label is not None for label in labels]
        targets = [label for label in labels if label is not None]
        study = self.taxonomy.priors(field_name)

        # Pool frequencies, add-one smoothed so an absent class does not divide by zero.
        counts = np.array([targets.count(name) + 1.0 for name in names])
        pool_prior = counts / counts.sum()
        shift = np.array([study[name] for name in names]) / pool_prior
        if len(set(targets)) < 2:
            return None, names, shift

        # Weak regularisation suits a small pool of clean examples; C=100 scored best on the dev set
        # among 1, 10 and 100 (see BENCHMARKS.md).
        model = LogisticRegression(C=100.0, max_iter=3000)
        model.fit(self.index.matrix[np.flatnonzero(mask)], targets)
        return model, names, shift

    def predict(self, title: str, body: str, *, neighbours: int = 6) -> LocalPrediction:
        features = self.index.vectorize(title, body)
        probabilities: dict[str, dict[str, float]] = {}
        for field_name, (model, names, shift) in self._models.items():
            scores = np.full(len(names), 1.0 / len(names))
            if model is not None:
                proba = model.predict_proba(features)[0]
                by_name = dict(zip(model.classes_, proba))
                # Classes absent from the pool keep a small floor so the prior can still speak.
                floor = 1e-3
                scores = np.array([by_name.get(name, floor) for name in names])
            scores = scores * shift**self.prior_weight
            scores = scores / scores.sum()
            probabilities[field_name] = {name: float(value) for name, value in zip(names, scores)}

        # Category probability is the sum over its leaves.
        leaf = probabilities["root_cause"]
        category: dict[str, float] = {}
        for name, value in leaf.items():
            parent = self.taxonomy.category_of[name]
            category[parent] = category.get(parent, 0.0) + value
        probabilities["root_cause_category"] = category
        return LocalPrediction(probabilities, self.index.search(title, body, neighbours))


@functools.lru_cache(maxsize=4)
def cached_predictor(taxonomy: Taxonomy, examples: tuple[LabelledExample, ...]) -> LocalPredictor:
    """Fitting takes about two seconds, so processes that build several triagers share one fit."""
    return LocalPredictor(taxonomy, examples)
