"""speech_rate assets: segments (main) and a one-row summary, optimized and baseline, with checks."""

from typing import Any

import dagster as dg

from resources.speech import SpeechModelsResource
from video_assets.analyzers import speech_rate as core
from video_assets.analyzers.base import AnalyzerResult
from video_assets.assets.analysis import AnalyzerAssetSpec, build_analyzer_assets
from video_assets.checks import build_checks
from video_assets.frames import png_markdown
from video_assets.plots import wpm_plot

RESOURCE_KEY = "speech_models"


def _metadata(result: AnalyzerResult, partition: str) -> dict[str, Any]:
    summary = result.tables["summary"].iloc[0].to_dict()
    md: dict[str, Any] = {f"summary/{k}": (v if v is not None else "none") for k, v in summary.items()}
    if not summary["has_audio"]:
        md["status"] = "no audio"
    elif len(result.tables["segments"]):
        md["wpm_plot"] = dg.MetadataValue.md(png_markdown(wpm_plot(result.tables["segments"], summary["duration_s"]), f"{partition} wpm"))
    return md


SPEC = AnalyzerAssetSpec(
    name=core.NAME,
    core=core,
    input_key="audio_track",
    resource_key=RESOURCE_KEY,
    kinds=frozenset({"pytorch", "faster-whisper"}),
    description="Speech segments with words per minute, pitch, pauses, fillers and emphasis (Silero VAD + faster-whisper).",
    extra_metadata=_metadata,
)

_model_id = SpeechModelsResource().model_id("optimized")
speech_rate = build_analyzer_assets(SPEC, "optimized", _model_id)
speech_rate_baseline = build_analyzer_assets(SPEC, "baseline", _model_id)
speech_rate_checks = build_checks(SPEC)
