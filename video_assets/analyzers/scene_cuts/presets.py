"""scene_cuts presets. Both compare consecutive frames of the same 0.5 s sampling the caption
reader already stores (``video_frames`` decodes nothing more for it).

* BASELINE: every frame at native resolution (1080x1920): luma histogram distance and mean
  absolute luma difference of each consecutive pair.
* OPTIMIZED: the same measures on frames stored-then-resized to 96 px on the long side: a hard cut
  changes the whole picture, so 10k pixels tell it as well as 2M.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from video_assets.analyzers.base import cpu_target
from video_assets.media.sampling import SamplingPlan

NAME = "scene_cuts"


@dataclass(frozen=True)
class Config:
    preset: str
    max_side: int | None  # None: native resolution
    every_s: float = 0.5
    bins: int = 32  # luma histogram bins
    threshold: float = 0.18  # a pair whose difference exceeds this is a cut (see docs/schemas.md, scene_cuts)
    hist_weight: float = 0.5  # difference = w * histogram L1 / 2 + (1 - w) * mean |luma diff| / 255

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


BASELINE = Config(preset="baseline", max_side=None)
OPTIMIZED = Config(preset="optimized", max_side=96)
PRESETS = {"baseline": BASELINE, "optimized": OPTIMIZED}
# No batches: nothing to halve on out-of-memory.
BATCH_FIELDS: tuple[str, ...] = ()

# Realtime factor targets: NumPy on the CPU either way (not in the GPU pool), so both are 1.5x the
# optimized preset's measurement (analyzers.base.cpu_target), row MEASURED_ROW of
# benchmark/results/ (Intel Xeon, 2 cores, the twelve sample clips).
MEASURED_ROW = ("results.json", "scene_cuts")
MEASURED_CPU_RTF = 0.0218
SPEED_TARGET_RTF = {"gpu": cpu_target(MEASURED_CPU_RTF), "cpu": cpu_target(MEASURED_CPU_RTF)}


def plan(config: Config) -> SamplingPlan:
    """The frames a preset reads (one home: ``video_frames`` and ``run`` both ask here)."""
    return SamplingPlan(f"{NAME}:{config.preset}", every_s=config.every_s, max_side=config.max_side)
