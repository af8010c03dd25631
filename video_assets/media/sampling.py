"""Sampling plans: which frames each analyzer needs, and at what size.

A video is decoded once (``video_frames``). To keep that one pass cheap and its output small, every
analyzer declares a :class:`SamplingPlan` per preset; the decoder keeps the *union* of all plans,
each kept frame stored at the largest size any plan asks of it. An analyzer later asks the stored
bundle for exactly its plan's frames, resized down to its own size.

Frame selection is by source frame index, computed from a frame count and the average fps, so the
decoder (before it has seen the frames) and an analyzer (from the stored bundle) derive the same
indices. Timestamps in every output come from the decoded frames' real presentation times.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class SamplingPlan:
    """Which frames an analyzer reads.

    Exactly one of ``every_s``, ``every_n_frames`` or ``segment_s`` is set.
    ``max_side``: the longest side in pixels the analyzer wants; ``None`` means native resolution.
    """

    name: str
    every_s: float | None = None
    every_n_frames: int | None = None
    segment_s: float | None = None
    frames_per_segment: int = 1
    max_side: int | None = None

    def __post_init__(self) -> None:
        modes = [self.every_s, self.every_n_frames, self.segment_s]
        if sum(m is not None for m in modes) != 1:
            raise ValueError(f"plan {self.name}: set exactly one of every_s, every_n_frames, segment_s")
        if self.frames_per_segment < 1:
            raise ValueError(f"plan {self.name}: frames_per_segment must be >= 1")

    def indices(self, frame_count: int, fps: float) -> list[int]:
        """Source frame indices this plan reads, ascending and unique.

        frame_count: frames in the video (as planned); fps: average frame rate.
        """
        if frame_count <= 0 or fps <= 0:
            return []
        if self.every_n_frames is not None:
            return list(range(0, frame_count, self.every_n_frames))
        duration = frame_count / fps
        if self.every_s is not None:
            steps = int(math.floor(duration / self.every_s - 1e-9)) + 1
            raw = [int(round(i * self.every_s * fps)) for i in range(steps)]
        else:
            raw = [i for seg in self.segments(frame_count, fps) for i in seg[2]]
        return sorted({min(i, frame_count - 1) for i in raw})

    def segments(self, frame_count: int, fps: float) -> list[tuple[float, float, list[int]]]:
        """For segment plans: (start_s, end_s, frame indices) per segment, covering the video.

        Frames sit at the centres of equal sub-intervals of each segment, so two frames of a
        2 s segment are at 0.5 s and 1.5 s, three at 1/3, 1, 5/3 s.
        """
        if self.segment_s is None:
            raise ValueError(f"plan {self.name} is not a segment plan")
        duration = frame_count / fps
        out = []
        start = 0.0
        while start < duration - 1e-6:
            end = min(start + self.segment_s, duration)
            step = (end - start) / self.frames_per_segment
            idx = [
                min(frame_count - 1, int(math.floor((start + (j + 0.5) * step) * fps)))
                for j in range(self.frames_per_segment)
            ]
            out.append((start, end, sorted(set(idx))))
            start = end
        return out


@dataclass(frozen=True)
class FramePlan:
    """The union of several sampling plans for one video: index -> stored longest side (None = native)."""

    frame_count: int
    fps: float
    sizes: dict[int, int | None]

    @classmethod
    def union(cls, plans: list[SamplingPlan], frame_count: int, fps: float) -> "FramePlan":
        sizes: dict[int, int | None] = {}
        for plan in plans:
            for idx in plan.indices(frame_count, fps):
                if idx in sizes and sizes[idx] is None:
                    continue
                if plan.max_side is None:
                    sizes[idx] = None
                else:
                    sizes[idx] = max(sizes.get(idx) or 0, plan.max_side)
        return cls(frame_count=frame_count, fps=fps, sizes=dict(sorted(sizes.items())))


def plans_fingerprint(plans: list[SamplingPlan]) -> str:
    """A short stable hash of a set of plans: part of ``video_frames``' code version, so a changed
    plan makes stored frames stale instead of silently missing frames."""
    payload = json.dumps(sorted((asdict(p) for p in plans), key=lambda d: d["name"]), sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:12]


def fit_long_side(width: int, height: int, max_side: int | None) -> tuple[int, int]:
    """Size after scaling down so the longest side is at most max_side (never up), even dims."""
    if max_side is None or max(width, height) <= max_side:
        return width, height
    scale = max_side / max(width, height)
    return max(2, int(round(width * scale / 2)) * 2), max(2, int(round(height * scale / 2)) * 2)
