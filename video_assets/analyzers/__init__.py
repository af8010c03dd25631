"""The analyzers: one package each, one registry (``ANALYZERS``).

Everything else is derived from this tuple: the Dagster assets and their baseline twins, the
checks, the jobs, the CLI's choices, the demo's table, the corpus report and the benchmark. Each
entry meets the contract in ``contract.py`` (checked here, at import, with a message naming what
is missing). Cores are plain Python: no Dagster, no ``resources`` import.

A new analyzer: a folder ``video_assets/analyzers/<name>/`` whose ``ANALYZER`` meets the contract,
and its line below.
"""

from __future__ import annotations

from video_assets.analyzers import audio_events, faces, object_detection, qwen2_vl_temporal, scene_cuts, speech_rate, text_overlay
from video_assets.analyzers.contract import Analyzer, ContractError, build_registry
from video_assets.media.sampling import SamplingPlan

ANALYZERS: tuple[Analyzer, ...] = build_registry(
    qwen2_vl_temporal.ANALYZER,
    text_overlay.ANALYZER,
    object_detection.ANALYZER,
    speech_rate.ANALYZER,
    scene_cuts.ANALYZER,
    faces.ANALYZER,
    audio_events.ANALYZER,
)

__all__ = ["ANALYZERS", "Analyzer", "ContractError", "by_name", "names", "sampling_plans"]


def names(analyzers: tuple[Analyzer, ...] = ANALYZERS) -> list[str]:
    return [a.name for a in analyzers]


def by_name(name: str, analyzers: tuple[Analyzer, ...] = ANALYZERS) -> Analyzer:
    for analyzer in analyzers:
        if analyzer.name == name:
            return analyzer
    raise KeyError(f"no analyzer {name!r}; choose from {names(analyzers)}")


def sampling_plans(analyzers: tuple[Analyzer, ...] = ANALYZERS) -> list[SamplingPlan]:
    """Every frame reader's plans: ``video_frames`` decodes their union once per video."""
    return [p for a in analyzers for p in a.sampling_plans()]
