"""qwen2_vl_temporal assets: a description per 2 s segment, optimized and baseline, with checks."""

from typing import Any

from resources.qwen import QwenResource
from video_assets.analyzers import qwen2_vl_temporal as core
from video_assets.analyzers.base import AnalyzerResult
from video_assets.assets.analysis import AnalyzerAssetSpec, build_analyzer_assets
from video_assets.checks import build_checks

RESOURCE_KEY = "qwen"


def _metadata(result: AnalyzerResult, partition: str) -> dict[str, Any]:
    keys = ("segments", "visual_tokens_per_segment", "visual_tokens_per_video_s", "tokens_per_s", "seconds_per_segment", "generated_tokens", "degenerate_segments")
    return {k: result.stats[k] for k in keys if k in result.stats}


SPEC = AnalyzerAssetSpec(
    name=core.NAME,
    core=core,
    input_key="video_frames",
    resource_key=RESOURCE_KEY,
    kinds=frozenset({"pytorch", "transformers"}),
    description="A Qwen2-VL description of every 2 s segment, each prompted on its own; loops and repeats flagged.",
    extra_metadata=_metadata,
)

_resource = QwenResource()
qwen2_vl_temporal = build_analyzer_assets(SPEC, "optimized", _resource.model_id("optimized"))
qwen2_vl_temporal_baseline = build_analyzer_assets(SPEC, "baseline", _resource.model_id("baseline"))
qwen2_vl_temporal_checks = build_checks(SPEC)
