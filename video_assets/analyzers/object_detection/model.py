"""The detector interface object_detection needs; ``resources/yolo.py`` implements it for PyTorch,
OpenVINO, ONNX Runtime and TensorRT behind one ``raw`` call, so every engine shares the same pre-
and post-processing and the engine's parity is measurable on raw output tensors."""

from __future__ import annotations

from typing import Protocol

import numpy as np


class Detector(Protocol):
    """A YOLO network on some engine. names: class id -> name; engine/precision: what actually ran."""

    names: dict[int, str]
    engine: str
    precision: str
    # How many frames a call should hold at most (None: the preset's batch). The CPU engines run two
    # frames at a time whatever they are given, so a preset's GPU-sized batch of 64 decoded
    # 1080x1920 frames (400 MB, plus 190 MB as float input) would only hold memory there (#50).
    max_frames: int | None

    def raw(self, batch: np.ndarray) -> np.ndarray:
        """batch: float32 (N, 3, H, W) in [0, 1], H and W multiples of 32 -> raw head output (N, 4 + classes, anchors)."""
