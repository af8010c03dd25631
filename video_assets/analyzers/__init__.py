"""Analyzer cores: plain Python (no Dagster), one module per analyzer.

Each module has a ``Config`` dataclass with ``BASELINE`` and ``OPTIMIZED`` presets, a ``run``
function producing a table with a fixed pyarrow schema, and ``parity(baseline, optimized)``.
Frame-reading analyzers declare a ``SamplingPlan`` per preset; ``sampling_plans()`` collects them
so ``video_frames`` decodes each video once for all of them.
"""

from __future__ import annotations

import importlib

from video_assets.sampling import SamplingPlan

FRAME_ANALYZERS: tuple[str, ...] = ("object_detection", "qwen2_vl_temporal", "text_overlay")


def sampling_plans() -> list[SamplingPlan]:
    plans: list[SamplingPlan] = []
    for name in FRAME_ANALYZERS:
        module = importlib.import_module(f"video_assets.analyzers.{name}")
        plans.extend(module.sampling_plans())
    return plans
