"""speech_rate presets: the baseline (the original configuration) and the optimized one.

Both compute the same metrics the same way; they differ in how recognition and pitch run:

* BASELINE: the whole track through Whisper (beam 5, temperature fallback, conditioned on
  previous text), pitch with ``librosa.pyin`` over the whole track resampled to 22050 Hz (frame
  2048, hop 512), per-segment metrics one segment after another.
* OPTIMIZED: Silero VAD first (threshold 0.5, min speech 250 ms), recognition only over the
  speech regions of the video, packed into <= 24 s windows and decoded as one batch (greedy),
  pitch with a vectorized YIN (``pitch.yin``) at 16 kHz (frame 1024, hop 256) only over VAD
  speech, per-segment metrics in a thread pool.

Speaking time and pauses come from the VAD in both presets, so a pause means the same in both.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

from video_assets.analyzers.base import cpu_target


@dataclass(frozen=True)
class Config:
    preset: str
    use_vad: bool
    batched: bool
    beam_size: int
    temperature_fallback: bool
    condition_on_previous_text: bool
    batch_size: int
    pitch_sample_rate: int
    pitch_frame: int
    pitch_hop: int
    pitch_voiced_only: bool
    workers: int
    language: str | None = None  # None: detect
    vad_threshold: float = 0.5
    vad_min_speech_ms: int = 250
    vad_min_silence_ms: int = 100
    vad_speech_pad_ms: int = 30
    pause_min_s: float = 0.3  # a gap shorter than this is part of fluent speech
    chunk_s: float = 30.0  # Whisper's window
    pitch_fmin: float = 65.0
    pitch_fmax: float = 2093.0
    pitch_resolution: float = 0.1  # semitones per pyin pitch bin; pyin's Viterbi cost grows with bins squared
    pitch_method: str = "pyin"  # "pyin" (librosa) or "yin" (pitch.yin, NumPy)
    emphasis_z: float = 1.0  # a word louder than mean + z * std of the track's words is emphasized
    # The language per stretch of speech (language.py): units of VAD regions less than gap_s apart,
    # at most unit_s long, each encoded padded to window_s (again at 30 s below recheck_p); a unit
    # shorter than short_s whose top language is below strong_p takes its neighbours' language.
    # Off: one language for the track, as Whisper detects it.
    language_per_region: bool = True
    language_gap_s: float = 0.3
    language_unit_s: float = 8.0
    language_window_s: float = 10.0
    language_recheck_p: float = 0.8
    language_short_s: float = 1.5
    language_strong_p: float = 0.8
    # Windows per encoder/decoder batch off a GPU (recognition and language detection). Batches are
    # a GPU's lever: on the CPU a batch of 8 was slower than one window at a time (148 s of speech,
    # Xeon 2 cores: 32-35 s against 25-27 s) and held ~80 MB of attention per 30 s window, so memory
    # grew with the video until the batch was full (issue #50; docs/operating.md, "Memory").
    cpu_batch_size: int = 1
    # Nothing said is lost (coverage.py): VAD speech no word covers (words widened by word_pad_s) is
    # decoded again alone. A stretch is a whole region with no word, or a part of a region at least
    # min_s long: under a music bed Silero's regions run on 0.3-0.55 s past the last word's widened
    # time (measured on real_music_bed), a cut sentence's lost rest is longer. A wordless stretch
    # under short_s that decodes to nothing is reported too_short.
    coverage_recover: bool = True
    coverage_word_pad_s: float = 0.2
    coverage_min_s: float = 1.0
    coverage_short_s: float = 0.5
    # Sung is not spoken (sung.py): singing from the audio event model's singing probability at
    # sung_threshold (the library's default), through the post-processing audio_events uses; a
    # segment, VAD region or wordless stretch with at least sung_min_share of its time in singing
    # is sung. Off: nothing is sung (the rates as before issue #49 item 3).
    sung_apart: bool = True
    sung_threshold: float = 0.5
    sung_min_share: float = 0.5

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def on(self, device: str) -> "Config":
        """The preset as it runs on ``device`` (``cuda`` or ``cpu``): off a GPU, at most
        ``cpu_batch_size`` windows a batch."""
        if device == "cuda" or self.batch_size <= self.cpu_batch_size:
            return self
        return replace(self, batch_size=self.cpu_batch_size)


BASELINE = Config(
    preset="baseline", use_vad=False, batched=False, beam_size=5, temperature_fallback=True,
    condition_on_previous_text=True, batch_size=1, pitch_sample_rate=22050, pitch_frame=2048,
    pitch_hop=512, pitch_voiced_only=False, workers=1,
)


# chunk_s 24: windows filled to 24 s of Whisper's 30. Filled to 30 s, base dropped the last sentence
# of a full window (132 of 150 words on the 74 s track; 148 at 24 s, as many as the baseline).
OPTIMIZED = Config(
    preset="optimized", use_vad=True, batched=True, beam_size=1, temperature_fallback=False,
    condition_on_previous_text=False, batch_size=8, pitch_sample_rate=16000, pitch_frame=1024,
    pitch_hop=256, pitch_voiced_only=True, workers=2, pitch_method="yin", chunk_s=24.0,
)


PRESETS = {"baseline": BASELINE, "optimized": OPTIMIZED}


# The speech-coverage check (speech_rate_coverage) warns above this share of the VAD's speech time
# coming back with no words (issue #49: "warn above 2 %").
COVERAGE_WARN_SHARE = 0.02


# Halved on out-of-memory (video_assets.runtime.resilience).
BATCH_FIELDS = ("batch_size",)


# Realtime factor (analysis seconds / video seconds). GPU: the seed plan's target, 15 s for its
# 68.4 s video. CPU: 1.5x the optimized preset's measurement (analyzers.base.cpu_target), row
# MEASURED_ROW of benchmark/results/ (Intel Xeon, 2 cores; faster-whisper base, ten clips).
MEASURED_ROW = ("results.json", "speech_rate[base]")
MEASURED_CPU_RTF = 0.1141
SPEED_TARGET_RTF = {"gpu": 15.0 / 68.4, "cpu": cpu_target(MEASURED_CPU_RTF)}
