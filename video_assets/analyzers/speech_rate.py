"""speech_rate: how fast, how much and how steadily people talk.

Input: an AudioTrack (16 kHz mono float32). Models: a Silero VAD model and a faster-whisper model
(``SpeechModels``), loaded by ``resources/speech.py``.

Both presets compute the same metrics the same way; they differ in how recognition and pitch run:

* BASELINE (the original): the whole track through Whisper (beam 5, temperature fallback,
  conditioned on previous text), pitch with ``librosa.pyin`` over the whole track resampled to
  22050 Hz (frame 2048, hop 512), per-segment metrics one segment after another.
* OPTIMIZED: Silero VAD first (threshold 0.5, min speech 250 ms), recognition only over the speech
  regions of the video, packed into <= 30 s windows and decoded as one batch (greedy), pitch with a vectorized
  YIN (``pitch.yin``: pyin's first stage without its Viterbi pass and without numba's per-process
  compile) at 16 kHz (frame 1024, hop 256) only over VAD speech, per-segment metrics in a thread
  pool.

Speaking time and pauses come from the VAD in both presets, so a pause means the same in both.
"""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from video_assets.analyzers.base import AnalyzerResult, ParityReport, col, typed_table
from video_assets.analyzers.pitch import yin
from video_assets.frames import AudioTrack

NAME = "speech_rate"

FILLERS: dict[str, tuple[str, ...]] = {
    "en": ("um", "uh", "er", "erm", "ah", "hmm", "like", "basically", "actually", "literally", "you know", "i mean"),
    "de": ("äh", "ähm", "öh", "hm", "also", "halt", "quasi", "sozusagen", "eigentlich", "irgendwie", "genau"),
}


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

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


BASELINE = Config(
    preset="baseline", use_vad=False, batched=False, beam_size=5, temperature_fallback=True,
    condition_on_previous_text=True, batch_size=1, pitch_sample_rate=22050, pitch_frame=2048,
    pitch_hop=512, pitch_voiced_only=False, workers=1,
)
OPTIMIZED = Config(
    preset="optimized", use_vad=True, batched=True, beam_size=1, temperature_fallback=False,
    condition_on_previous_text=False, batch_size=8, pitch_sample_rate=16000, pitch_frame=1024,
    pitch_hop=256, pitch_voiced_only=True, workers=2, pitch_method="yin",
)
PRESETS = {"baseline": BASELINE, "optimized": OPTIMIZED}
# Halved on out-of-memory (video_assets.resilience).
BATCH_FIELDS = ("batch_size",)

# Realtime factor (analysis seconds / video seconds). GPU: the seed plan's target, 15 s for its
# 68.4 s video. CPU (2 cores, tiny.en): from `python -m benchmark`, with headroom.
SPEED_TARGET_RTF = {"gpu": 15.0 / 68.4, "cpu": 0.25}

SEGMENTS_SCHEMA = pa.schema(
    [
        col("start_s", pa.float64(), "segment start, seconds from the video start"),
        col("end_s", pa.float64(), "segment end, seconds"),
        col("text", pa.string(), "recognized text"),
        col("word_count", pa.int32(), "words in the segment"),
        col("words_per_minute", pa.float64(), "word_count / segment duration * 60"),
        col("pitch_mean_hz", pa.float64(), "mean F0 over voiced frames (null when none)"),
        col("pitch_std_hz", pa.float64(), "F0 standard deviation"),
        col("pitch_min_hz", pa.float64(), "lowest F0"),
        col("pitch_max_hz", pa.float64(), "highest F0"),
        col("pauses_inside", pa.int32(), "gaps between words >= pause_min_s inside the segment"),
        col("fillers", pa.list_(pa.string()), "filler words found (language's list)"),
        col("emphasized_words", pa.list_(pa.string()), "words louder than the track's mean + z*std"),
    ]
)
SUMMARY_SCHEMA = pa.schema(
    [
        col("has_audio", pa.bool_(), "false when the video has no audio stream"),
        col("duration_s", pa.float64(), "track duration"),
        col("total_words", pa.int32(), "words recognized"),
        col("speaking_time_s", pa.float64(), "speech time from the VAD"),
        col("speech_rate_wpm", pa.float64(), "words per minute of total time"),
        col("articulation_rate_wpm", pa.float64(), "words per minute of speaking time"),
        col("pause_count", pa.int32(), "silences >= pause_min_s between speech regions"),
        col("pause_total_s", pa.float64(), "their total length"),
        col("speaking_pct", pa.float64(), "percentage of the track that is speech"),
        col("language", pa.string(), "language used or detected (null without audio)"),
    ]
)


TABLES = ("segments", "summary")
SCHEMAS = {"segments": SEGMENTS_SCHEMA, "summary": SUMMARY_SCHEMA}


@dataclass
class SpeechModels:
    """vad: a Silero VAD torch model; asr: a faster_whisper.WhisperModel."""

    vad: Any
    asr: Any
    device: str = "cpu"


@dataclass
class Word:
    start: float
    end: float
    text: str


@dataclass
class _Segment:
    start: float
    end: float
    text: str
    words: list[Word] = field(default_factory=list)


def speech_regions(samples: np.ndarray, vad: Any, config: Config, sample_rate: int = 16000) -> list[tuple[float, float]]:
    """Silero VAD speech regions in seconds, with the plan's threshold and minimum speech length."""
    from silero_vad import get_speech_timestamps

    if samples.size < sample_rate // 10:
        return []
    import torch

    stamps = get_speech_timestamps(
        torch.from_numpy(np.ascontiguousarray(samples)), vad, sampling_rate=sample_rate,
        threshold=config.vad_threshold, min_speech_duration_ms=config.vad_min_speech_ms,
        min_silence_duration_ms=config.vad_min_silence_ms, speech_pad_ms=config.vad_speech_pad_ms,
        return_seconds=False,
    )
    return [(s["start"] / sample_rate, s["end"] / sample_rate) for s in stamps]


def pauses_between(regions: list[tuple[float, float]], min_s: float) -> list[tuple[float, float]]:
    return [(a[1], b[0]) for a, b in zip(regions, regions[1:]) if b[0] - a[1] >= min_s]


def pack_chunks(regions: list[tuple[float, float]], max_s: float) -> list[tuple[float, float]]:
    """Merge consecutive speech regions into spans of at most max_s (one Whisper window each)."""
    chunks: list[list[float]] = []
    for start, end in regions:
        while end - start > max_s:  # a monologue longer than a window
            chunks.append([start, start + max_s])
            start += max_s
        if chunks and end - chunks[-1][0] <= max_s:
            chunks[-1][1] = end
        else:
            chunks.append([start, end])
    return [(a, b) for a, b in chunks]


def _segments_from(raw) -> list[_Segment]:
    """Whisper segments; a segment spans its words (aligned by DTW), not Whisper's coarser
    segment timestamps, so its words per minute is over the time it is spoken."""
    out = []
    for seg in raw:
        words = [Word(w.start, w.end, w.word.strip()) for w in (seg.words or []) if w.word.strip()]
        start, end = (words[0].start, words[-1].end) if words else (float(seg.start), float(seg.end))
        out.append(_Segment(float(start), float(end), seg.text.strip(), words))
    return out


@dataclass(frozen=True)
class Piece:
    """A span [src_start, src_end) of the track, placed at dst_start (seconds) in the packed audio."""

    src_start: float
    src_end: float
    dst_start: float

    @property
    def dst_end(self) -> float:
        return self.dst_start + (self.src_end - self.src_start)

    def to_src(self, t: float) -> float:
        return min(max(self.src_start + (t - self.dst_start), self.src_start), self.src_end)


def plan_windows(spans: list[tuple[float, float]], max_s: float, gap_s: float) -> list[list[Piece]]:
    """Spans (start, end) of one track, in order, into Whisper windows of at most max_s seconds, gap_s of
    silence between pieces; a span longer than a window is cut. dst_start is window-relative.

    Why: a Whisper window costs the same whether it holds 8 s of speech or 30 s (the encoder always
    sees 30 s): packing a video's speech, pauses cut to gap_s, fills fewer windows than cutting
    the whole track into 30 s pieces."""
    windows: list[list[Piece]] = []
    current: list[Piece] = []
    used = 0.0
    for start, end in spans:
        while end - start > 1e-6:
            offset = used + (gap_s if current else 0.0)
            if end - start <= max_s - offset:
                current.append(Piece(start, end, offset))
                used, start = offset + (end - start), end
            elif not current:
                current.append(Piece(start, start + max_s, 0.0))
                start += max_s
                windows.append(current)
                current, used = [], 0.0
            else:
                windows.append(current)
                current, used = [], 0.0
    if current:
        windows.append(current)
    return windows


def _whisper_options(config: Config) -> dict[str, Any]:
    temperature = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0] if config.temperature_fallback else [0.0]
    return dict(
        language=config.language, beam_size=config.beam_size, word_timestamps=True,
        temperature=temperature, condition_on_previous_text=config.condition_on_previous_text,
    )


def transcribe(samples: np.ndarray, asr: Any, config: Config) -> tuple[list[_Segment], str]:
    """The baseline's recognition: the whole track, no voice gate."""
    raw, info = asr.transcribe(samples, vad_filter=False, **_whisper_options(config))
    return _segments_from(raw), info.language


def transcribe_speech(samples: np.ndarray, regions: list[tuple[float, float]], asr: Any, config: Config, gap_s: float = 1.0) -> tuple[list[_Segment], str]:
    """The optimized recognition: only this track's speech, packed into windows, decoded as one batch.

    The VAD regions are merged into spans (pauses inside kept, so pause timing survives), the spans
    are packed into <= 30 s windows (``plan_windows``) with gap_s of silence between them, and every
    word is mapped back to its time in the track. Only this track's audio ever enters a window: the
    decoder conditions on what it has heard, so another video's speech in the same window would
    change this video's words (a partition's tables must depend on its video alone)."""
    from faster_whisper import BatchedInferencePipeline

    windows = plan_windows(pack_chunks(regions, config.chunk_s), config.chunk_s, gap_s)
    if not windows:
        return [], config.language or "en"
    sr = 16000
    parts: list[np.ndarray] = []
    placed: list[Piece] = []  # with dst_start in the packed audio, at exact sample positions
    clips: list[dict[str, float]] = []
    at = 0  # samples written so far
    for window in windows:
        pos, window_start = 0.0, at / sr
        for piece in window:
            gap = int(round((piece.dst_start - pos) * sr))
            chunk = samples[int(piece.src_start * sr) : int(piece.src_end * sr)]
            parts += [np.zeros(gap, np.float32), chunk]
            at += gap
            placed.append(Piece(piece.src_start, piece.src_start + chunk.size / sr, at / sr))
            at += chunk.size
            pos = piece.dst_end
        clips.append({"start": window_start, "end": at / sr})
    packed = np.concatenate(parts).astype(np.float32, copy=False)

    raw, info = BatchedInferencePipeline(model=asr).transcribe(
        packed, clip_timestamps=clips, batch_size=config.batch_size, without_timestamps=False, **_whisper_options(config)
    )

    def piece_at(t: float) -> Piece:
        return min(placed, key=lambda p: 0.0 if p.dst_start <= t <= p.dst_end else min(abs(t - p.dst_start), abs(t - p.dst_end)))

    out: list[_Segment] = []
    for seg in raw:
        words = []
        for w in seg.words or []:
            if w.word.strip():
                piece = piece_at((w.start + w.end) / 2)
                words.append(Word(piece.to_src(w.start), piece.to_src(w.end), w.word.strip()))
        if words:
            out.append(_Segment(words[0].start, words[-1].end, seg.text.strip(), words))
    out.sort(key=lambda s: s.start)
    return out, info.language


def pitch_track(samples: np.ndarray, config: Config, regions: list[tuple[float, float]]) -> tuple[np.ndarray, np.ndarray]:
    """(times_s, f0_hz) of voiced frames only."""
    import librosa

    sr = config.pitch_sample_rate
    if config.pitch_voiced_only:
        pieces = [(a, samples[int(a * 16000) : int(b * 16000)]) for a, b in regions]
    else:
        pieces = [(0.0, samples)]
    times, f0s = [], []
    for offset, piece in pieces:
        if sr != 16000:
            piece = librosa.resample(piece, orig_sr=16000, target_sr=sr)
        if piece.size < config.pitch_frame:
            continue
        if config.pitch_method == "yin":
            f0, voiced = yin(piece, sr, config.pitch_fmin, config.pitch_fmax, config.pitch_frame, config.pitch_hop)
        else:
            f0, voiced, _ = librosa.pyin(
                piece, fmin=config.pitch_fmin, fmax=config.pitch_fmax, sr=sr,
                frame_length=config.pitch_frame, hop_length=config.pitch_hop, resolution=config.pitch_resolution,
            )
        t = offset + librosa.frames_to_time(np.arange(f0.size), sr=sr, hop_length=config.pitch_hop)
        keep = voiced & np.isfinite(f0)
        times.append(t[keep])
        f0s.append(f0[keep])
    if not times:
        return np.zeros(0), np.zeros(0)
    return np.concatenate(times), np.concatenate(f0s)


def _normalize(word: str) -> str:
    return re.sub(r"[^\w']+", "", word.lower())


def find_fillers(text: str, language: str) -> list[str]:
    tokens = [_normalize(t) for t in text.split()]
    joined = " " + " ".join(tokens) + " "
    found = []
    for filler in FILLERS.get(language, ()):
        found.extend([filler] * joined.count(f" {filler} "))
    return found


def _word_energy(samples: np.ndarray, word: Word) -> float:
    piece = samples[int(word.start * 16000) : max(int(word.end * 16000), int(word.start * 16000) + 1)]
    return float(np.sqrt(np.mean(np.square(piece)))) if piece.size else 0.0


def _segment_row(seg: _Segment, times: np.ndarray, f0: np.ndarray, loud: set[int], config: Config, language: str) -> dict:
    duration = max(seg.end - seg.start, 1e-6)
    in_seg = f0[(times >= seg.start) & (times < seg.end)]
    gaps = [b.start - a.end for a, b in zip(seg.words, seg.words[1:])]
    return {
        "start_s": round(seg.start, 3),
        "end_s": round(seg.end, 3),
        "text": seg.text,
        "word_count": len(seg.words),
        "words_per_minute": round(len(seg.words) / duration * 60.0, 2),
        "pitch_mean_hz": float(np.mean(in_seg)) if in_seg.size else None,
        "pitch_std_hz": float(np.std(in_seg)) if in_seg.size else None,
        "pitch_min_hz": float(np.min(in_seg)) if in_seg.size else None,
        "pitch_max_hz": float(np.max(in_seg)) if in_seg.size else None,
        "pauses_inside": int(sum(g >= config.pause_min_s for g in gaps)),
        "fillers": find_fillers(seg.text, language),
        "emphasized_words": [w.text for w in seg.words if id(w) in loud],
    }


def _no_audio(audio: AudioTrack) -> AnalyzerResult:
    summary = {
        "has_audio": False, "duration_s": audio.video_duration_s, "total_words": 0, "speaking_time_s": 0.0,
        "speech_rate_wpm": 0.0, "articulation_rate_wpm": 0.0, "pause_count": 0, "pause_total_s": 0.0,
        "speaking_pct": 0.0, "language": None,
    }
    return AnalyzerResult(
        tables={"segments": typed_table([], SEGMENTS_SCHEMA), "summary": typed_table([summary], SUMMARY_SCHEMA)},
        stats={"seconds": 0.0, "asr_s": 0.0, "vad_s": 0.0, "pitch_s": 0.0},
        notes=["no audio stream: nothing to analyze"],
    )


def run(audio: AudioTrack, config: Config, models: SpeechModels) -> AnalyzerResult:
    """Segments table and one-row summary for one audio track. The result depends on this track,
    the preset and the models alone (nothing is shared with other videos of the step)."""
    if audio.sample_rate != 16000:
        raise ValueError(f"speech_rate expects 16 kHz audio, got {audio.sample_rate} ({audio.source})")
    if not audio.has_audio:
        return _no_audio(audio)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    regions = speech_regions(audio.samples, models.vad, config)
    timings["vad_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    if config.use_vad and not regions:
        segments, language = [], config.language or "en"
    elif config.batched and config.use_vad:
        segments, language = transcribe_speech(audio.samples, regions, models.asr, config)
    else:
        segments, language = transcribe(audio.samples, models.asr, config)
    timings["asr_s"] = time.perf_counter() - t0
    return _finish(audio, config, regions, segments, language, timings)


def _finish(audio: AudioTrack, config: Config, regions: list[tuple[float, float]], segments: list[_Segment],
            language: str | None, timings: dict[str, float]) -> AnalyzerResult:
    samples = audio.samples
    duration = audio.duration_s or audio.video_duration_s
    t0 = time.perf_counter()
    times, f0 = pitch_track(samples, config, regions) if (regions or not config.pitch_voiced_only) else (np.zeros(0), np.zeros(0))
    timings["pitch_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    words = [w for s in segments for w in s.words]
    energies = np.array([_word_energy(samples, w) for w in words]) if words else np.zeros(0)
    loud: set[int] = set()
    if energies.size >= 3 and energies.std() > 0:
        limit = energies.mean() + config.emphasis_z * energies.std()
        loud = {id(w) for w, e in zip(words, energies) if e > limit}
    lang = language or "en"
    if config.workers > 1 and len(segments) > 1:
        with ThreadPoolExecutor(config.workers) as pool:
            rows = list(pool.map(lambda s: _segment_row(s, times, f0, loud, config, lang), segments))
    else:
        rows = [_segment_row(s, times, f0, loud, config, lang) for s in segments]
    timings["metrics_s"] = time.perf_counter() - t0

    speaking = sum(b - a for a, b in regions)
    pauses = pauses_between(regions, config.pause_min_s)
    total_words = len(words)
    summary = {
        "has_audio": True,
        "duration_s": round(duration, 3),
        "total_words": total_words,
        "speaking_time_s": round(speaking, 3),
        "speech_rate_wpm": round(total_words / duration * 60.0, 2) if duration > 0 else 0.0,
        "articulation_rate_wpm": round(total_words / speaking * 60.0, 2) if speaking > 0 else 0.0,
        "pause_count": len(pauses),
        "pause_total_s": round(sum(b - a for a, b in pauses), 3),
        "speaking_pct": round(100.0 * speaking / duration, 2) if duration > 0 else 0.0,
        "language": lang,
    }
    notes = [] if total_words else ["no speech found"]
    seconds = sum(v for k, v in timings.items() if k.endswith("_s"))
    return AnalyzerResult(
        tables={"segments": typed_table(rows, SEGMENTS_SCHEMA), "summary": typed_table([summary], SUMMARY_SCHEMA)},
        stats={"seconds": round(seconds, 3)} | {k: round(v, 3) for k, v in timings.items()} | {"speech_regions": len(regions)},
        notes=notes,
    )


@dataclass(frozen=True)
class ParityThresholds:
    max_rel_error: float = 0.03  # words per minute and word count
    max_pause_diff: int = 1


def parity(baseline: dict[str, pd.DataFrame], optimized: dict[str, pd.DataFrame], thresholds: ParityThresholds = ParityThresholds()) -> ParityReport:
    """Words per minute and word count within 3 %, pause count within 1."""
    b, o = baseline["summary"].iloc[0], optimized["summary"].iloc[0]

    def rel(x: float, y: float) -> float:
        if x == y:
            return 0.0
        return abs(x - y) / max(abs(x), abs(y), 1e-9)

    wpm_err = rel(float(b.speech_rate_wpm), float(o.speech_rate_wpm))
    words_err = rel(float(b.total_words), float(o.total_words))
    pause_diff = abs(int(b.pause_count) - int(o.pause_count))
    score = max(0.0, 1.0 - max(wpm_err, words_err))
    passed = wpm_err <= thresholds.max_rel_error and words_err <= thresholds.max_rel_error and pause_diff <= thresholds.max_pause_diff
    return ParityReport(
        score=round(score, 4),
        parts={"wpm_rel_error": round(wpm_err, 4), "word_count_rel_error": round(words_err, 4), "pause_count_diff": pause_diff},
        passed=passed,
        detail=f"wpm {b.speech_rate_wpm} vs {o.speech_rate_wpm}, words {b.total_words} vs {o.total_words}, pauses {b.pause_count} vs {o.pause_count}",
    )


def accuracy(summary: pd.DataFrame, truth: dict) -> dict[str, float]:
    """Against the sample corpus' ground truth: word count error and words-per-minute error over
    the known speech time (articulation rate)."""
    row = summary.iloc[0]
    words_true = truth["word_count"]
    wpm_true = truth["words_per_minute_speaking"]
    return {
        "word_count": int(row.total_words),
        "word_count_true": words_true,
        "word_count_rel_error": round(abs(int(row.total_words) - words_true) / words_true, 4),
        "articulation_wpm": float(row.articulation_rate_wpm),
        "articulation_wpm_true": wpm_true,
        "wpm_rel_error": round(abs(float(row.articulation_rate_wpm) - wpm_true) / wpm_true, 4),
    }
