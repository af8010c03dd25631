"""Speech regions (Silero VAD) and the pauses between them."""

from __future__ import annotations

from typing import Any

import numpy as np

from video_assets.analyzers.speech_rate.presets import Config


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
