"""Classification and calibration metrics for one predicted field.

Gold labels may hold two values (the study labels some bugs with two root causes, joined with
`@@`); a prediction counts as right when it equals either of them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.metrics import f1_score


@dataclass
class FieldOutcome:
    gold: list[set[str]]
    predicted: list[str | None]
    confidence: list[float]

    @property
    def correct(self) -> np.ndarray:
        return np.array([p is not None and p in g for p, g in zip(self.predicted, self.gold)], dtype=bool)

    def effective_gold(self) -> list[str]:
        """Pick one gold label per item: the predicted one when it is among the gold labels, else the first."""
        result = []
        for predicted, gold in zip(self.predicted, self.gold):
            result.append(predicted if predicted in gold else sorted(gold)[0])
        return result


def accuracy(outcome: FieldOutcome) -> float:
    return float(outcome.correct.mean()) if outcome.predicted else 0.0


def macro_f1(outcome: FieldOutcome) -> float:
    """Macro-F1 over the classes that occur in the gold labels or the predictions."""
    gold = outcome.effective_gold()
    predicted = [p if p is not None else "(abstained)" for p in outcome.predicted]
    labels = sorted(set(gold) | set(predicted) - {"(abstained)"})
    return float(f1_score(gold, predicted, labels=labels, average="macro", zero_division=0))


def confusion(outcome: FieldOutcome) -> dict:
    """Confusion matrix as {labels, matrix}, rows gold, columns predicted."""
    gold = outcome.effective_gold()
    predicted = [p if p is not None else "(abstained)" for p in outcome.predicted]
    labels = sorted(set(gold) | set(predicted))
    index = {label: position for position, label in enumerate(labels)}
    matrix = np.zeros((len(labels), len(labels)), dtype=int)
    for g, p in zip(gold, predicted):
        matrix[index[g], index[p]] += 1
    return {"labels": labels, "matrix": matrix.tolist()}


def reliability(confidence, correct, bins: int = 10) -> dict:
    """Expected calibration error and the per-bin data of a reliability diagram (equal-width bins)."""
    confidence = np.asarray(confidence, dtype=float)
    correct = np.asarray(correct, dtype=float)
    edges = np.linspace(0.0, 1.0, bins + 1)
    rows = []
    ece = 0.0
    for lower, upper in zip(edges[:-1], edges[1:]):
        mask = (confidence > lower) & (confidence <= upper) if lower > 0 else (confidence >= lower) & (confidence <= upper)
        count = int(mask.sum())
        if count == 0:
            continue
        mean_confidence = float(confidence[mask].mean())
        mean_accuracy = float(correct[mask].mean())
        ece += count / len(confidence) * abs(mean_confidence - mean_accuracy)
        rows.append({"lower": float(lower), "upper": float(upper), "count": count,
                     "confidence": mean_confidence, "accuracy": mean_accuracy})
    return {"ece": float(ece), "bins": rows}


def precision_coverage(confidence, correct) -> list[dict]:
    """Precision of the predictions kept at each confidence threshold, and the share kept."""
    confidence = np.asarray(confidence, dtype=float)
    correct = np.asarray(correct, dtype=bool)
    points = []
    for threshold in np.round(np.arange(0.0, 1.0, 0.05), 2):
        kept = confidence >= threshold
        if not kept.any():
            break
        points.append({"threshold": float(threshold), "coverage": float(kept.mean()),
                       "precision": float(correct[kept].mean()), "kept": int(kept.sum())})
    return points


def cross_validated_isotonic(confidence, correct, folds: int = 5, seed: int = 0) -> np.ndarray:
    """Calibrated confidences from isotonic regression fitted on the other folds (out-of-fold)."""
    from sklearn.isotonic import IsotonicRegression

    confidence = np.asarray(confidence, dtype=float)
    correct = np.asarray(correct, dtype=float)
    order = np.random.default_rng(seed).permutation(len(confidence))
    calibrated = np.empty_like(confidence)
    for fold in range(folds):
        test = order[fold::folds]
        train = np.setdiff1d(order, test)
        model = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
        model.fit(confidence[train], correct[train])
        calibrated[test] = model.predict(confidence[test])
    return calibrated


def summarize(outcome: FieldOutcome) -> dict:
    correct = outcome.correct
    calibrated = cross_validated_isotonic(outcome.confidence, correct) if len(correct) >= 10 else np.asarray(outcome.confidence)
    return {
        "n": len(outcome.predicted),
        "accuracy": accuracy(outcome),
        "macro_f1": macro_f1(outcome),
        "calibration": reliability(outcome.confidence, correct),
        "calibration_isotonic_cv": reliability(calibrated, correct),
        "precision_coverage": precision_coverage(outcome.confidence, correct),
        "confusion": confusion(outcome),
    }
