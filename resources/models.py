"""The interface every analyzer's model resource implements.

An analyzer asset asks its resource for the models of one preset and gets them loaded (once per
process, see ``model_cache``) with what metadata needs: which weights, which device, how long the
load took. Implementations are interchangeable: a vLLM backend for Qwen2-VL, say, is another
subclass with the same ``load``.

Dagster is optional here: where it is not installed (the GPU measurement kit's machine), the same
classes are plain pydantic models with the same fields, so the benchmark loads models exactly as the
code location does.
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field

try:
    import dagster as dg

    _Resource = dg.ConfigurableResource
except ImportError:  # the GPU kit: models and cores without the orchestrator
    _Resource = BaseModel

from video_assets.runtime import settings


@dataclass
class LoadedModels:
    model: Any
    model_id: str
    device: str
    weights: str  # "real" or "random-init"
    load_seconds: float
    loaded_now: bool
    detail: str = ""


def no_model() -> LoadedModels:
    """What an analyzer that declares no model family gets in place of loaded models."""
    return LoadedModels(model=None, model_id="none", device="cpu", weights="", load_seconds=0.0, loaded_now=False, detail="no model")


class AnalyzerModels(_Resource):
    device: str = Field(default_factory=settings.device, description="auto, cpu or cuda (VIDEO_ASSETS_DEVICE)")
    cpu_threads: int = Field(default=0, description="0 = one per available core")

    @abstractmethod
    def model_id(self, preset: str) -> str:
        """What identifies the weights a preset uses (part of the asset's code version)."""

    @abstractmethod
    def load(self, preset: str) -> LoadedModels:
        """Load (or reuse) the models for a preset."""

    @abstractmethod
    def preflight(self, preset: str) -> str:
        """Find the preset's weights without loading them (seconds, no download): where they
        are, or a MissingWeightsError naming the setting to change. The CLI asks every selected
        analyzer before the first video."""

    def weights_label(self) -> str:
        """'real', or 'random-init' where no trained weights exist (tests, offline demo)."""
        return "real"
