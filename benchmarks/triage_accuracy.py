"""triage_accuracy: top-1 category accuracy of vector triage on the shared IT tickets, against
a TF-IDF + LinearSVC classifier trained on the same history in the same run.

The tickets (../shared/data/tickets/it_service_tickets.csv, 8 topic groups) are split by a
stable hash of the text: 80 % history, 20 % new. Vector triage is the production path: the
local TextModel fitted on the history's texts and categories, the history embedded into an
EmbeddedIndex, each new ticket embedded and searched for its 5 nearest, and
mspdesk.domain.triage.vote choosing the category. The model's defaults were tuned by
cross-validation inside the history only; the new 20 % is never looked at before this run.

Extra figures, against the same classifier, show where the accuracy comes from:
- triage_accuracy_tfidf_knn: the same 5-NN vote over plain sublinear TF-IDF vectors;
- triage_accuracy_lsa_knn: our TextModel fitted without categories (its LSA part alone).

The data set is small: --quick runs the full size.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from benchmarks.report import REPO, Figure
from mspdesk.domain.triage import vote
from mspdesk.triage.embedded_index import EmbeddedIndex
from mspdesk.triage.ports import IndexedTicket, Neighbour
from mspdesk.triage.text_model import TextModel

DATA = REPO.parent / "shared" / "data" / "tickets" / "it_service_tickets.csv"
HISTORY_PERCENT = 80
K = 5
UNIT = "accuracy"


def run(quick: bool) -> list[Figure]:
    history, new = split(load())
    texts = [t for t, _ in history]
    categories = [c for _, c in history]
    truth = [c for _, c in new]
    queries = [t for t, _ in new]
    classifier = _accuracy(_svc_predictions(texts, categories, queries), truth)
    vector = _accuracy(
        _vector_predictions(TextModel.fit(texts, categories), history, queries), truth
    )
    unlabelled = TextModel.fit(texts, [None] * len(texts))
    lsa = _accuracy(_vector_predictions(unlabelled, history, queries), truth)
    tfidf = _accuracy(_tfidf_knn_predictions(texts, categories, queries), truth)
    comparison = "none: for comparison with triage_accuracy"
    return [
        Figure("triage_accuracy", vector, UNIT, classifier, "ratio >= 1"),
        Figure("triage_accuracy_tfidf_knn", tfidf, UNIT, classifier, comparison),
        Figure("triage_accuracy_lsa_knn", lsa, UNIT, classifier, comparison),
    ]


def load() -> list[tuple[str, str]]:
    with DATA.open(newline="") as f:
        return [(row["text"], row["topic_group"]) for row in csv.DictReader(f)]


def split(rows: Sequence[tuple[str, str]]) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """History and new tickets by a stable hash of the text (3,027 and 778 of 3,805)."""
    history = [r for r in rows if _bucket(r[0]) < HISTORY_PERCENT]
    new = [r for r in rows if _bucket(r[0]) >= HISTORY_PERCENT]
    return history, new


def _bucket(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") % 100


def _vector_predictions(
    model: TextModel, history: Sequence[tuple[str, str]], queries: Sequence[str]
) -> list[Any]:
    index = EmbeddedIndex(model.dimension)
    tickets = [
        IndexedTicket(i, "client", category, "p3", None, None, 60, "2026-01-01T00:00:00Z")
        for i, (_, category) in enumerate(history)
    ]
    index.upsert(tickets, model.embed([t for t, _ in history]))
    return [_voted(index.search(vector, K)) for vector in model.embed(queries)]


def _voted(neighbours: Sequence[Neighbour]) -> Any:
    category = vote(neighbours, ()).fields.get("category_id")
    return category.value if category else None


def _tfidf_knn_predictions(
    texts: Sequence[str], categories: Sequence[str], queries: Sequence[str]
) -> list[Any]:
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(sublinear_tf=True)
    history = vectorizer.fit_transform(texts)
    similarities = (vectorizer.transform(queries) @ history.T).toarray()
    tickets = [
        IndexedTicket(i, "client", c, "p3", None, None, 60, "2026-01-01T00:00:00Z")
        for i, c in enumerate(categories)
    ]
    predictions = []
    for scores in similarities:
        nearest = np.argsort(-scores, kind="stable")[:K]
        predictions.append(_voted([Neighbour(tickets[i], float(scores[i])) for i in nearest]))
    return predictions


def _svc_predictions(
    texts: Sequence[str], categories: Sequence[str], queries: Sequence[str]
) -> list[Any]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.svm import LinearSVC

    vectorizer = TfidfVectorizer(sublinear_tf=True)
    classifier = LinearSVC().fit(vectorizer.fit_transform(texts), categories)
    return list(classifier.predict(vectorizer.transform(queries)))


def _accuracy(predicted: Sequence[Any], truth: Sequence[str]) -> float:
    right: int = sum(p == t for p, t in zip(predicted, truth, strict=True))
    return right / len(truth)
