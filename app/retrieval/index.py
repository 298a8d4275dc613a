"""Lexical retrieval of labelled examples (TF-IDF over word unigrams and bigrams, cosine similarity).

It works offline, needs no model download and indexes a few thousand reports in well under a
second, which is enough for an example pool that grows with human reviews.
"""

from __future__ import annotations

import re

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from app.triage.examples import LabelledExample

# Identifiers such as `tensor_parallel_size`, `cudaErrorIllegalAddress` or `q4_k_m` are kept whole.
TOKEN_PATTERN = r"(?u)\b[A-Za-z_][A-Za-z0-9_]+\b"
_NUMBERS = re.compile(r"\b0x[0-9a-f]+\b|\b\d[\d.:/-]*\b", re.I)


def normalize_text(title: str, body: str) -> str:
    """Title twice (it is the densest part of a report), then the body, with numbers dropped."""
    return _NUMBERS.sub(" ", f"{title}\n{title}\n{body}")


class ExampleIndex:
    def __init__(self, examples: list[LabelledExample] | tuple[LabelledExample, ...]):
        self.examples = list(examples)
        self.vectorizer = TfidfVectorizer(
            token_pattern=TOKEN_PATTERN,
            lowercase=True,
            sublinear_tf=True,
            ngram_range=(1, 2),
            min_df=1,
            max_features=50000,
        )
        self.matrix = self.vectorizer.fit_transform(
            [normalize_text(example.title, example.body) for example in self.examples]
        )

    def vectorize(self, title: str, body: str):
        return self.vectorizer.transform([normalize_text(title, body)])

    def search(self, title: str, body: str, k: int, *, exclude_ids: set[str] | None = None) -> list[tuple[LabelledExample, float]]:
        """Return the k most similar examples with their cosine similarity, best first."""
        scores = (self.matrix @ self.vectorize(title, body).T).toarray().ravel()
        order = np.argsort(-scores, kind="stable")
        results = []
        for index in order:
            example = self.examples[index]
            if exclude_ids and example.id in exclude_ids:
                continue
            results.append((example, float(scores[index])))
            if len(results) == k:
                break
        return results
