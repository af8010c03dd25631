"""qwen2_vl_temporal presets: a segment plan (2 s segments, frames at the centres of equal
sub-intervals), the prompt and the pixel budget.

* BASELINE (the original): 3 frames per 2 s segment, ``min_pixels`` 256*28*28, ``max_pixels``
  512*28*28, one segment per ``generate`` call, eager attention, FP16 on GPU (FP32 on CPU), greedy,
  ``max_new_tokens`` 200.
* OPTIMIZED: 2 frames per segment, ``min_pixels`` 128*28*28, ``max_pixels`` 256*28*28, many segments
  per ``generate`` call (left padding), SDPA or flash-attention 2, BF16 on a CPU that has it, the
  GPTQ-Int8 checkpoint on CUDA. The plan's "168 px short side" is not used: with ``min_pixels``
  128*28*28 the processor scales such a frame (50k px) back up to 100k px, so frames are stored
  within the pixel budget instead and the processor's own resize holds them between min and max.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from video_assets.analyzers.base import cpu_target
from video_assets.media.sampling import SamplingPlan

NAME = "qwen2_vl_temporal"


PROMPT = (
    "This is a short vertical video at {start:.1f}-{end:.1f} s. Describe in detail what happens at this time: "
    "visual elements, colors, positions, movements, and any text shown."
)


@dataclass(frozen=True)
class Config:
    preset: str
    frames_per_segment: int
    min_pixels: int
    max_pixels: int
    batch_segments: int
    segment_s: float = 2.0
    max_new_tokens: int = 200
    prompt: str = PROMPT

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def max_side(self) -> int:
        """The longest side a 9:16 frame has at max_pixels (stored frames need no more)."""
        return int(math.ceil(math.sqrt(self.max_pixels * 16 / 9) / 2) * 2)


BASELINE = Config(preset="baseline", frames_per_segment=3, min_pixels=256 * 28 * 28, max_pixels=512 * 28 * 28, batch_segments=1)


OPTIMIZED = Config(preset="optimized", frames_per_segment=2, min_pixels=128 * 28 * 28, max_pixels=256 * 28 * 28, batch_segments=8)


PRESETS = {"baseline": BASELINE, "optimized": OPTIMIZED}


# Halved on out-of-memory (video_assets.runtime.resilience).
BATCH_FIELDS = ("batch_segments",)


# GPU: the seed plan's 100 s target for its 68.4 s video. CPU: a 7B model does not run in real
# time on 2 cores; the target is 1.5x the measured rate of the random-init model the benchmark
# runs (analyzers.base.cpu_target; row MEASURED_ROW of benchmark/results/), so the check flags a
# regression in the plumbing, not the model's cost.
MEASURED_ROW = ("results.json", "qwen2_vl_temporal")
MEASURED_CPU_RTF = 4.4672
SPEED_TARGET_RTF = {"gpu": 100.0 / 68.4, "cpu": cpu_target(MEASURED_CPU_RTF)}


def plan(config: Config) -> SamplingPlan:
    return SamplingPlan(f"{NAME}:{config.preset}", segment_s=config.segment_s,
                        frames_per_segment=config.frames_per_segment, max_side=config.max_side)
