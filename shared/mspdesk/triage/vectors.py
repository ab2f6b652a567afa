"""The resolved-ticket history as vectors: one embedder and one index, whichever adapters the
deployment chose (mspdesk.triage_config).

- The local text model is fitted on the history itself, so it is kept as a blob and refitted
  by `rebuild`; a fixed embedder (Bedrock) needs neither.
- The embedded index is a numpy matrix kept as a blob snapshot; OpenSearch keeps its own.

Each container holds its copy of the blobs and reloads them when the index state's generation
in the table has moved (another container, or `mspdesk triage reindex`, changed them). The
embedded snapshot has one writer: the triage function runs with a concurrency of one.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mspdesk.adapters.blobs import BlobNotFound, BlobRef, BlobStore
from mspdesk.domain.models import utcnow
from mspdesk.store.triage import IndexState, TriageStore
from mspdesk.triage.ports import Embedder, IndexedTicket, Neighbour, VectorIndex

if TYPE_CHECKING:
    from mspdesk.triage.embedded_index import EmbeddedIndex
    from mspdesk.triage.text_model import TextModel

MODEL_KEY = "triage/text-model.npz"
INDEX_KEY = "triage/index.npz"


@dataclass(frozen=True, slots=True)
class HistoryItem:
    ticket: IndexedTicket
    text: str


class Vectors:
    def __init__(
        self,
        states: TriageStore,
        blobs: BlobStore,
        bucket: str,
        embedder: Embedder | None = None,
        index: VectorIndex | None = None,
    ) -> None:
        """Without an embedder: the local text model; without an index: the embedded one."""
        self._states = states
        self._blobs = blobs
        self._bucket = bucket
        self._fixed_embedder = embedder
        self._remote = index
        self._model: TextModel | None = None
        self._local: EmbeddedIndex | None = None
        self._generation = -1
        self._lock = threading.RLock()

    @property
    def fits_a_model(self) -> bool:
        return self._fixed_embedder is None

    def _ref(self, key: str) -> BlobRef:
        return BlobRef(self._bucket, key)

    def _sync(self) -> IndexState:
        state = self._states.index_state()
        if state.generation != self._generation:
            self._load(state)
        return state

    def _load(self, state: IndexState) -> None:
        if self.fits_a_model:
            from mspdesk.triage.text_model import TextModel

            try:
                # No embedder in the state: the last rebuild had too little history to fit.
                blob = self._blobs.get(self._ref(MODEL_KEY)) if state.embedder else None
                self._model = TextModel.from_bytes(blob) if blob else None
            except BlobNotFound:
                self._model = None
        if self._remote is None:
            from mspdesk.triage.embedded_index import EmbeddedIndex

            try:
                self._local = EmbeddedIndex.from_bytes(self._blobs.get(self._ref(INDEX_KEY)))
            except BlobNotFound:
                self._local = EmbeddedIndex()
        self._generation = state.generation

    def _embedder(self) -> Embedder | None:
        if self._fixed_embedder is not None:
            return self._fixed_embedder
        if self._model is None:
            return None
        from mspdesk.triage.text_model import LocalEmbedder

        return LocalEmbedder(self._model)

    def _index(self) -> VectorIndex:
        if self._remote is not None:
            return self._remote
        assert self._local is not None  # _sync loaded it
        return self._local

    def state(self) -> IndexState:
        with self._lock:
            return self._sync()

    def neighbours(self, text: str, k: int = 5) -> list[Neighbour]:
        """The k most similar resolved tickets; none while the history is empty.
        Raises TriageUnavailable when the embedder or the index fails."""
        with self._lock:
            state = self._sync()
            embedder = self._embedder()
            if embedder is None or state.count == 0:
                return []
            return self._index().search(embedder.embed([text])[0], k)

    def add(self, items: Sequence[HistoryItem]) -> bool:
        """Indexes newly resolved tickets; False when there is no model to embed them with
        yet (the caller rebuilds)."""
        with self._lock:
            state = self._sync()
            embedder = self._embedder()
            if embedder is None:
                return False
            index = self._index()
            index.upsert([i.ticket for i in items], embedder.embed([i.text for i in items]))
            self._commit(state, embedder, state.fitted_on)
            return True

    def remove(self, number: int) -> None:
        with self._lock:
            state = self._sync()
            if self._local is not None and number not in self._local:
                return  # never indexed (new -> open): no snapshot to rewrite
            self._index().remove(number)
            embedder = self._embedder()
            if embedder is not None:
                self._commit(state, embedder, state.fitted_on)

    def rebuild(self, items: Sequence[HistoryItem]) -> IndexState:
        """Refits the local model (if any) on the whole history and indexes it anew."""
        with self._lock:
            state = self._sync()
            texts = [i.text for i in items]
            if self.fits_a_model:
                from mspdesk.triage.text_model import TextModel

                try:
                    model = TextModel.fit(texts, [i.ticket.category_id for i in items])
                except ValueError:  # too little history to learn words from: no model yet
                    self._model = None
                else:
                    self._blobs.put(self._ref(MODEL_KEY), model.to_bytes())
                    self._model = model
            if self._remote is None:
                from mspdesk.triage.embedded_index import EmbeddedIndex

                self._local = EmbeddedIndex()
            embedder = self._embedder()
            if embedder is None:
                return self._commit(state, None, 0)
            vectors = embedder.embed(texts) if texts else None
            index = self._index()
            dimension = int(vectors.shape[1]) if vectors is not None else self._dimension(embedder)
            index.reset(dimension)
            if vectors is not None:
                index.upsert([i.ticket for i in items], vectors)
            return self._commit(state, embedder, len(items), dimension)

    @staticmethod
    def _dimension(embedder: Embedder) -> int:
        return int(embedder.embed([""]).shape[1])

    def _commit(
        self,
        state: IndexState,
        embedder: Embedder | None,
        fitted_on: int,
        dimension: int | None = None,
    ) -> IndexState:
        index = self._index()
        if self._local is not None and self._remote is None:
            self._blobs.put(self._ref(INDEX_KEY), self._local.to_bytes())
        new = IndexState(
            generation=state.generation + 1,
            count=index.count(),
            embedder=embedder.name if embedder else None,
            dimension=dimension or state.dimension,
            fitted_on=fitted_on,
            updated_at=utcnow(),
        )
        self._states.put_index_state(new)
        self._generation = new.generation
        return new
