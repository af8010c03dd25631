"""Recognition: the baseline's whole-track pass, and the optimized pass over one track's speech
packed into Whisper windows, every word mapped back to its time in the track."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from video_assets.analyzers.speech_rate.language import SR, LanguageRun
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


@dataclass
class _Segment:
    start: float
    end: float
    text: str
    words: list[Word] = field(default_factory=list)
    language: str | None = None
    language_probability: float | None = None


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


def _whisper_options(config: Config, language: str | None) -> dict[str, Any]:
    temperature = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0] if config.temperature_fallback else [0.0]
    return dict(
        language=language, beam_size=config.beam_size, word_timestamps=True,
        temperature=temperature, condition_on_previous_text=config.condition_on_previous_text,
    )


def _labelled(segments: list[_Segment], run: LanguageRun, info: Any) -> list[_Segment]:
    """Segments of one run carry its language; a run left undetected (``language_per_region`` off)
    takes the recognizer's own detection."""
    language, prob = run.language, run.probability
    if language is None and info is not None:
        language, prob = info.language, round(float(info.language_probability), 4)
    for seg in segments:
        seg.language, seg.language_probability = language, prob
    return segments


def transcribe(samples: np.ndarray, runs: list[LanguageRun], asr: Any, config: Config) -> list[_Segment]:
    """The baseline's recognition: the whole track, no voice gate, in its language. A track of
    several languages is cut between its runs (half-way through the silence between them) and each
    part is decoded in its own language."""
    if len(runs) <= 1:
        raw, info = asr.transcribe(samples, vad_filter=False, **_whisper_options(config, runs[0].language if runs else config.language))
        return _labelled(_segments_from(raw), runs[0] if runs else LanguageRun(0.0, 0.0, None, None, ()), info)
    total = samples.size / SR
    cuts = [0.0] + [(a.end + b.start) / 2 for a, b in zip(runs, runs[1:])] + [total]
    out: list[_Segment] = []
    for run, lo, hi in zip(runs, cuts, cuts[1:]):
        offset = int(lo * SR)
        raw, info = asr.transcribe(samples[offset:int(hi * SR)], vad_filter=False, **_whisper_options(config, run.language))
        for seg in _labelled(_segments_from(raw), run, info):
            shift = offset / SR
            seg.start, seg.end = seg.start + shift, seg.end + shift
            for w in seg.words:
                w.start, w.end = w.start + shift, w.end + shift
            out.append(seg)
    return out


def transcribe_speech(samples: np.ndarray, runs: list[LanguageRun], asr: Any, config: Config, gap_s: float = 1.0) -> list[_Segment]:
    """The optimized recognition: only this track's speech, packed into windows, decoded in batches,
    one batch of windows per language.

    Each run's VAD regions are merged into spans (pauses inside kept, so pause timing survives), the
    spans of one language are packed into <= chunk_s windows (``plan_windows``) with gap_s of
    silence between them, and every word is mapped back to its time in the track. A window never
    holds two languages (Whisper decodes a window in one). Only this track's audio ever enters a
    window: the decoder conditions on what it has heard, so another video's speech in the same
    window would change this video's words (a partition's tables must depend on its video alone)."""
    out: list[_Segment] = []
    for language in dict.fromkeys(r.language for r in runs):
        mine = [r for r in runs if r.language == language]
        spans = [span for r in mine for span in pack_chunks(list(r.regions), config.chunk_s)]
        segments, info = _decode_spans(samples, spans, asr, config, language, gap_s)
        for seg in segments:
            mid = (seg.start + seg.end) / 2
            run = min(mine, key=lambda r: 0.0 if r.start <= mid <= r.end else min(abs(mid - r.start), abs(mid - r.end)))
            out += _labelled([seg], run, info)
    out.sort(key=lambda s: s.start)
    return out


def _decode_spans(samples: np.ndarray, spans: list[tuple[float, float]], asr: Any, config: Config, language: str | None, gap_s: float):
    """Spans of one language through Whisper as packed windows; words mapped back to track time."""
    from faster_whisper import BatchedInferencePipeline

    windows = plan_windows(spans, config.chunk_s, gap_s)
    if not windows:
        return [], None
    sr = SR
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
        packed, clip_timestamps=clips, batch_size=config.batch_size, without_timestamps=False, **_whisper_options(config, language)
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
    return out, info
