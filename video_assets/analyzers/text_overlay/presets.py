"""text_overlay presets. Both read a frame every 0.5 s at native resolution (recognition reads
the full-resolution crops) and follow the text between those samples on a fine stream (every
0.1 s, 960 px: ``follow.py``); the baseline is always EasyOCR, as the original pipeline was.

* BASELINE (the original): one ``readtext`` per frame read, on the full frame (the detector then
  works at 1920 px), thresholds text 0.5 / low_text 0.3 / width and height 0.5, keep confidence >
  0.3 and length > 1; a frame that yields nothing is read again in three preprocessed versions
  (binary threshold 180, inverse threshold 100, adaptive threshold).
* OPTIMIZED (``reading.py``): a sample whose pixels did not change since the last one read is not
  read again; the detector works on a reduced canvas (EasyOCR 480 px, RapidOCR 640 px on the long
  side instead of 1920); recognition reads the full-resolution crops, only of boxes whose pixels
  changed: each caption place is hashed (binarized at its ink, compared window by window, so a
  photo moving behind still text keeps the reuse and one changed digit does not). A caption place
  whose pixels changed where the detector found nothing is recognized again (the reduced canvas
  can miss a short word). Reused rows are flagged. The second pass runs only on frames where the
  detector found boxes and recognition kept nothing. Detection runs frame by frame: which frame is
  read next depends on what the last one read showed (``follow.py``), so frames are no longer
  batched for the detector (it was a GPU-only lever; on 2 CPU cores batching was slower).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from video_assets.analyzers.base import cpu_target
from video_assets.media.sampling import SamplingPlan

NAME = "text_overlay"


@dataclass(frozen=True)
class Config:
    preset: str
    every_s: float
    det_canvas: int  # EasyOCR canvas_size: the detector's longest side
    batched: bool
    dedupe: bool
    second_pass: str  # "empty" (baseline: every frame with no text) | "boxes" (only where boxes were found) | "off"
    text_threshold: float = 0.5
    low_text: float = 0.3
    link_threshold: float = 0.4
    width_ths: float = 0.5
    height_ths: float = 0.5
    min_confidence: float = 0.3
    min_length: int = 2
    rec_batch: int = 16
    hash_change_share: float = 0.06  # a box changed when a glyph-wide window of its hash differs by more (reading.hash_changed)
    segment_cer: float = 0.1  # two samples' texts within this CER are the same caption
    skip_unchanged: bool = False  # a sample whose pixels did not change since the last one read is not read again
    change_delta: int = 40  # grey levels: a pixel that moved less did not change
    change_cell_px: int = 40  # cells of the change test (full-frame pixels)
    change_fraction: float = 0.03  # a cell changed when more than this share of its pixels did
    # Following the text between samples (``follow.py``): a fine stream every follow_every_s at
    # follow_side px on the long side; a place watched this long after it last held text; a change
    # under way read once settled, waiting at most follow_settle fine frames.
    follow: bool = True  # False: the preset's samples alone (every_s), as before #40 (benchmark/captions.py compares)
    follow_every_s: float = 0.1
    follow_side: int = 960
    follow_watch_s: float = 1.0
    follow_settle: int = 2
    # A watched place changed when a glyph-wide window of its hash differs by more than this.
    # Measured on auto_captions and caption_styles' fine stream, frames 0.1-0.2 s apart, away from
    # the truth's boundaries: 388 pairs across a chunk change scored 0.305-1.0 (1st percentile
    # 0.444); 2,297 pairs showing the same text over the fast pans scored at most 0.32, 3.4 % of
    # them above 0.16 (a read that finds the same text: time, never a caption).
    follow_change_share: float = 0.16

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


BASELINE = Config(preset="baseline", every_s=0.5, det_canvas=2560, batched=False, dedupe=False, second_pass="empty")


OPTIMIZED = Config(preset="optimized", every_s=0.5, det_canvas=480, batched=True, dedupe=True, second_pass="boxes", skip_unchanged=True)


PRESETS = {"baseline": BASELINE, "optimized": OPTIMIZED}


# Halved on out-of-memory (video_assets.runtime.resilience).
BATCH_FIELDS = ("rec_batch",)


# GPU: the seed plan's 40 s target for its 68.4 s video. CPU: 1.5x the optimized preset's
# measurement with RapidOCR over the thirteen sample clips (analyzers.base.cpu_target), row
# MEASURED_ROW of benchmark/results/ (Intel Xeon, 2 cores; `python -m benchmark --no-baseline`).
MEASURED_ROW = ("optimized_only.json", "text_overlay[rapidocr]")
MEASURED_CPU_RTF = 0.1786
SPEED_TARGET_RTF = {"gpu": 40.0 / 68.4, "cpu": cpu_target(MEASURED_CPU_RTF)}


def plan(config: Config) -> SamplingPlan:
    """The frames a preset reads (one home: ``video_frames`` and ``run`` both ask here)."""
    return SamplingPlan(f"{NAME}:{config.preset}", every_s=config.every_s, max_side=None)


def follow_plan(config: Config) -> SamplingPlan:
    """The fine stream between a preset's samples, where the text is followed (``follow.py``)."""
    return SamplingPlan(f"{NAME}:{config.preset}:follow", every_s=config.follow_every_s, max_side=config.follow_side)
