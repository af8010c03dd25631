"""The OCR engine interface text_overlay needs; ``resources/easyocr.py`` and ``resources/rapidocr.py``
implement it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from video_assets.analyzers.text_overlay.blocks import Line
from video_assets.analyzers.text_overlay.presets import Config


@dataclass
class Detected:
    """One image's text boxes from an engine's detector: pixel boxes (x0, y0, x1, y1) in the
    engine's order, and per box whatever the engine needs to recognize it (``payload``)."""

    boxes: list[tuple[int, int, int, int]]
    payload: list[Any]

    def take(self, indices: list[int]) -> "Detected":
        """These boxes only, in this order (recognition of the boxes that changed)."""
        return Detected([self.boxes[i] for i in indices], [self.payload[i] for i in indices])


class OcrEngine(Protocol):
    """What text_overlay needs from an OCR model. ``read`` is the whole pipeline on one image (the
    baseline, and the optimized preset's second pass); ``detect`` and ``recognize`` are its two
    halves, so the optimized preset can skip recognition of caption boxes that did not change."""

    name: str
    device: str
    min_confidence: float  # the engine's own floor for a caption reading (its scores have their own scale)
    look_again_confidence: float  # the floor for a reading of a place the detector did not find
    binarized_retry: bool  # whether the second pass on binarized copies can find what the engine missed

    def read(self, image: np.ndarray, config: Config) -> list[Line]: ...

    def detect(self, images: list[np.ndarray], config: Config) -> list[Detected]: ...

    def recognize(self, image: np.ndarray, detected: Detected, config: Config) -> list[Line]: ...

    def recognize_boxes(self, image: np.ndarray, boxes: list[tuple[int, int, int, int]], config: Config) -> list[Line]:
        """Recognition of given pixel boxes, with no detection (a caption's place looked at again)."""
