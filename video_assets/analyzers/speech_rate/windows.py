"""Recognition: the baseline's whole-track pass, and the optimized pass over one track's speech
packed into Whisper windows, every word mapped back to its time in the track."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from video_assets.analyzers.speech_rate.presets import Config
from video_assets.analyzers.speech_rate.vad import pack_chunks


@dataclass
class Word:
    start: float
    end: float
    text: str


def _nfc(text: str) -> str:
    """Text keeps its letters in one form (NFC: ``ü`` is one code point), so a search, a filler
    list or a comparison finds it whichever form the tokenizer produced."""
    return unicodedata.normalize("NFC", text.strip())


@dataclass(frozen=True)
class Language:
    """The spoken language as the recognizer detected it (or as configured), with its probability."""

    code: str | None
    probability: float | None

    @classmethod
    def of(cls, info: Any) -> "Language":
        return cls(info.language, round(float(info.language_probability), 4) if info.language_probability is not None else None)


@dataclass
class _Segment:
    start: float
    end: float
    text: str
    words: list[Word] = field(default_factory=list)


def _segments_from(raw) -> list[_Segment]:
    """Whisper segments; a segment spans its words (aligned by DTW), not Whisper's coarser
    segment timestamps, so its words per minute is over the time it is spoken."""
    out = []
    for seg in raw:
        words = [Word(w.start, w.end, _nfc(w.word)) for w in (seg.words or []) if w.word.strip()]
        start, end = (words[0].start, words[-1].end) if words else (float(seg.start), float(seg.end))
        out.append(_Segment(float(start), float(end), _nfc(seg.text), words))
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


def transcribe(samples: np.ndarray, asr: Any, config: Config) -> tuple[list[_Segment], Language]:
    """The baseline's recognition: the whole track, no voice gate."""
    raw, info = asr.transcribe(samples, vad_filter=False, **_whisper_options(config))
    return _segments_from(raw), Language.of(info)


def transcribe_speech(samples: np.ndarray, regions: list[tuple[float, float]], asr: Any, config: Config, gap_s: float = 1.0) -> tuple[list[_Segment], Language]:
    """The optimized recognition: only this track's speech, packed into windows, decoded as one batch.

    The VAD regions are merged into spans (pauses inside kept, so pause timing survives), the spans
    are packed into <= 30 s windows (``plan_windows``) with gap_s of silence between them, and every
    word is mapped back to its time in the track. Only this track's audio ever enters a window: the
    decoder conditions on what it has heard, so another video's speech in the same window would
    change this video's words (a partition's tables must depend on its video alone). The language
    is detected on the packed speech (the first window), so silence and music do not dilute it."""
    from faster_whisper import BatchedInferencePipeline

    windows = plan_windows(pack_chunks(regions, config.chunk_s), config.chunk_s, gap_s)
    if not windows:
        return [], Language(None, None)
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
                words.append(Word(piece.to_src(w.start), piece.to_src(w.end), _nfc(w.word)))
        if words:
            out.append(_Segment(words[0].start, words[-1].end, _nfc(seg.text), words))
    out.sort(key=lambda s: s.start)
    return out, Language.of(info)
