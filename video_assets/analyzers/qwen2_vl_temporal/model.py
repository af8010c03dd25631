"""The models qwen2_vl_temporal needs; ``resources/qwen.py`` implements them.

``VisionLanguageBackend.describe`` takes a batch of independent segment requests (images and a
prompt each) and returns one output per request: Hugging Face transformers today, a serving
engine (vLLM) tomorrow, with nothing else changed. ``TextEncoder`` embeds descriptions for parity.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np


@dataclass
class SegmentRequest:
    images: list[np.ndarray]  # uint8 RGB (H, W, 3) each
    prompt: str


@dataclass
class SegmentOutput:
    text: str
    prompt_tokens: int
    visual_tokens: int
    generated_tokens: int
    image_grids: list[tuple[int, int, int]] = field(default_factory=list)  # (t, h, w) in 14 px patches


class VisionLanguageBackend(Protocol):
    model_id: str
    device: str
    dtype: str
    attention: str

    def describe(self, requests: list[SegmentRequest], min_pixels: int, max_pixels: int, max_new_tokens: int) -> list[SegmentOutput]:
        """Each request is answered on its own (no shared context); the batch only shares compute."""


class TextEncoder(Protocol):
    """A sentence encoder (sentence-transformers' ``encode``): texts -> unit-norm embeddings."""

    def encode(self, sentences: list[str], normalize_embeddings: bool = ...) -> np.ndarray: ...
