"""Map raw confidence scores to calibrated probabilities, per field.

Two kinds of map are fitted from labelled outcomes (human reviews, or a labelled data set):

- `model_maps`: the model's confidence signal for its label (log-probability, agreement or
  stated confidence) to the probability that the label is right. This is the reliability used
  when the model's vote is combined with the local predictor.
- `maps`: the pipeline's pooled confidence to the probability that the final label is right.
  This is the confidence shown to reviewers.

Isotonic regression needs more data than Platt scaling, so the method follows the sample size.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

ISOTONIC_MIN_SAMPLES = 50
PLATT_MIN_SAMPLES = 20


@dataclass
class Calibrator:
    """Calibration maps per field. `method` names the method used: "none", "platt", "isotonic" or "mixed"."""

    method: str = "none"
    maps: dict = field(default_factory=dict)  # field -> callable(pooled confidence) -> probability
    model_maps: dict = field(default_factory=dict)  # field -> callable(model signal) -> P(model right)
    # field -> False where reviewed outcomes show the model's votes did not beat the local predictor.
    model_gate: dict = field(default_factory=dict)
    samples: dict = field(default_factory=dict)  # field -> number of outcomes behind its map

    @classmethod
    def identity(cls) -> "Calibrator":
        return cls()

    def apply(self, field_name: str, raw: float) -> float:
        function = self.maps.get(field_name)
        if function is None:
            return raw
        return float(min(max(function(raw), 0.0), 1.0))

    def model_enabled(self, field_name: str) -> bool:
        return self.model_gate.get(field_name, True)

    def model_reliability(self, field_name: str, signal: float) -> float | None:
        function = self.model_maps.get(field_name)
        if function is None:
            return None
        return float(min(max(function(signal), 0.0), 1.0))


def fit_map(scores: list[float], outcomes: list[bool]) -> tuple[str, object] | None:
    """Fit score -> P(right): isotonic from 50 outcomes, Platt from 20, nothing below that."""
    if len(scores) < PLATT_MIN_SAMPLES or len(set(outcomes)) < 2:
        return None
    x = np.asarray(scores, dtype=float)
    y = np.asarray(outcomes, dtype=float)
    if len(scores) >= ISOTONIC_MIN_SAMPLES:
        from sklearn.isotonic import IsotonicRegression

        model = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(x, y)
        return "isotonic", lambda value, model=model: float(model.predict([value])[0])

    from sklearn.linear_model import LogisticRegression

    def logit(values):
        clipped = np.clip(values, 1e-4, 1 - 1e-4)
        return np.log(clipped / (1 - clipped)).reshape(-1, 1)

    model = LogisticRegression(C=1.0).fit(logit(x), y)
    return "platt", lambda value, model=model: float(model.predict_proba(logit(np.array([value])))[0, 1])


def fit_calibrator(
    model_outcomes: dict[str, list[tuple[float, bool]]],
    final_outcomes: dict[str, list[tuple[float, bool]]],
) -> Calibrator:
    """Build a Calibrator from (score, was right) pairs per field; fields with too few pairs stay raw."""
    calibrator = Calibrator()
    methods = set()
    for target, outcomes in ((calibrator.model_maps, model_outcomes), (calibrator.maps, final_outcomes)):
        for field_name, pairs in outcomes.items():
            fitted = fit_map([score for score, _ in pairs], [right for _, right in pairs])
            if fitted is None:
                continue
            method, function = fitted
            target[field_name] = function
            calibrator.samples[field_name] = len(pairs)
            methods.add(method)
    if methods:
        if methods == {"isotonic"}:
            calibrator.method = "isotonic"
        elif methods == {"platt"}:
            calibrator.method = "platt"
        else:
            calibrator.method = "mixed"  # fields with enough outcomes for isotonic, others with Platt
    return calibrator



GATE_MIN_SAMPLES = 20


def fit_gate(outcomes: list[tuple[bool, bool]]) -> bool | None:
    """Decide from (local label right, pooled label right) pairs whether the model's votes help.

    The votes stay on only where the pooled labels were right more often than the local
    predictor's own. A tie switches them off, because the local predictor is cheaper and no worse.
    None: too few outcomes to decide, so the votes stay on.
    """
    if len(outcomes) < GATE_MIN_SAMPLES:
        return None
    local_right = sum(local for local, _ in outcomes)
    pooled_right = sum(pooled for _, pooled in outcomes)
    return pooled_right > local_right
