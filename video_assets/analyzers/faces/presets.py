"""faces presets: MediaPipe's full-range BlazeFace (192 px input, faces within ~5 m) in both.

* BASELINE: a frame every 0.5 s (the rate every frame analyzer here samples at), each frame
  covered by two overlapping squares (``blazeface.tiles``), every frame sent to the network.
* OPTIMIZED: a frame every 1.0 s, and a frame whose 64 px luma barely moved since the last one
  sent takes that frame's faces: a face stays on screen for seconds, and what a face analyzer costs
  here is mostly decoding the stored frames (measured: docs/faces-and-audio.md), so fewer frames is what
  saves time.

Why tiles and not MediaPipe's letterbox (the whole 9:16 frame in one square): letterboxed, a face
is 1.8 times smaller in the network's input and the model found false faces in the sample corpus'
motorcycle and rocket photos (scores 0.50-0.71) on four clips; with tiles, those clips had none
at the 0.6 threshold (per-sample precision over all thirteen clips: docs/faces-and-audio.md).
Frames are stored at 384 px on the long side: the network takes 192 px squares.

On the real recordings (issue #49: portraits a third to a tenth of the frame high, side-lit and
looking down, two at once) this preset found a face on every sample with one and none elsewhere;
the short-range model, a centre or upper crop, a letterbox, lower thresholds and CenterFace each
lost something (``benchmark/faces_real.py``; docs/real-recordings.md, "Faces as people film them").
``feed`` names other ways to feed the frame (``blazeface.feed_squares``) for that measurement.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from video_assets.analyzers.base import cpu_target
from video_assets.media.sampling import SamplingPlan

NAME = "faces"


@dataclass(frozen=True)
class Config:
    preset: str
    variant: str  # "short" (128 px) or "full" (192 px): which packaged BlazeFace model
    tiles: int  # 0: the frame letterboxed into one square; n >= 1: n overlapping squares along the long side
    skip_change: float  # reuse the last detections while the frame's 64 px luma moved less than this (mean |diff|, 0-255); 0: never
    every_s: float = 0.5
    max_side: int = 384
    min_score: float = 0.6  # real faces in the sample corpus score 0.76-0.94; false ones in tiles <= 0.53
    # A box under this share of the frame (0.2 %: 64 x 64 px at 1080 x 1920, 11 px in the network's
    # 192 px view of a tile) is below what the model resolves: dropped. The one false face seen with
    # tiles (motorcycle photo, score 0.64) was 0.16 %; the sample corpus' real faces are 2.9-3.2 %.
    min_face_share: float = 0.002
    batch: int = 16  # network inputs per call
    feed: str = ""  # "": ``tiles`` decides; else a ``blazeface.feed_squares`` feed ("letterbox", "tiles3", "centre", "upper", joined by "+")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


BASELINE = Config(preset="baseline", variant="full", tiles=2, skip_change=0.0, every_s=0.5)
OPTIMIZED = Config(preset="optimized", variant="full", tiles=2, skip_change=1.5, every_s=1.0)
PRESETS = {"baseline": BASELINE, "optimized": OPTIMIZED}
BATCH_FIELDS = ("batch",)

# BlazeFace runs on the CPU through OpenVINO on every machine (a 1 MB network: a GPU would spend
# more on the copy than on the maths), so both targets are 1.5x the optimized preset's measurement
# (analyzers.base.cpu_target), row MEASURED_ROW of benchmark/results/ (Intel Xeon, 2 cores).
MEASURED_ROW = ("results.json", "faces")
MEASURED_CPU_RTF = 0.0205
SPEED_TARGET_RTF = {"gpu": cpu_target(MEASURED_CPU_RTF), "cpu": cpu_target(MEASURED_CPU_RTF)}


def plan(config: Config) -> SamplingPlan:
    """The frames a preset reads (one home: ``video_frames`` and ``run`` both ask here)."""
    return SamplingPlan(f"{NAME}:{config.preset}", every_s=config.every_s, max_side=config.max_side)
