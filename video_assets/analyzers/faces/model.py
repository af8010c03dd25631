"""The face network interface ``faces`` needs; ``resources/faces.py`` implements it (OpenVINO
reading MediaPipe's ``.tflite`` files), so the pre- and post-processing (``blazeface``) are shared by
every engine and the analyzer never imports one."""

from __future__ import annotations

from typing import Protocol

import numpy as np


class FaceNet(Protocol):
    """One BlazeFace network. variant: "short" (128 px, faces within ~2 m) or "full" (192 px,
    within ~5 m); engine: what actually ran it."""

    variant: str
    size: int
    engine: str

    def raw(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """batch: float32 (N, size, size, 3) in [-1, 1] -> (boxes (N, A, 16), scores (N, A, 1))."""

