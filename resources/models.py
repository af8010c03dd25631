"""The interface every analyzer's model resource implements.

An analyzer asset asks its resource for the models of one preset and gets them loaded (once per
process, see ``model_cache``) with what metadata needs: which weights, which device, how long the
load took. Implementations are interchangeable: a vLLM backend for Qwen2-VL, say, is another
subclass with the same ``load``.
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from typing import Any

import dagster as dg
from pydantic import Field

from video_assets import settings


@dataclass
class LoadedModels:
    model: Any
    model_id: str
    device: str
    weights: str  # "real" or "random-init"
    load_seconds: float
    loaded_now: bool
    detail: str = ""


class AnalyzerModels(dg.ConfigurableResource):
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
