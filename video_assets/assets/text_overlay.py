"""text_overlay assets: caption segments (main) and per-sample detections, optimized and baseline, with checks."""

from typing import Any

from resources.ocr import OcrResource
from video_assets.analyzers import text_overlay as core
from video_assets.analyzers.base import AnalyzerResult
from video_assets.assets.analysis import AnalyzerAssetSpec, build_analyzer_assets
from video_assets.checks import build_checks

RESOURCE_KEY = "ocr"


def _metadata(result: AnalyzerResult, partition: str) -> dict[str, Any]:
    return {
        "segments_found": len(result.tables["segments"]),
        "frames_ocr": result.stats.get("frames_ocr", 0),
        "frames_reused": result.stats.get("frames_reused", 0),
    }


SPEC = AnalyzerAssetSpec(
    name=core.NAME,
    core=core,
    input_key="video_frames",
    resource_key=RESOURCE_KEY,
    kinds=frozenset({"pytorch", "easyocr", "onnx"}),
    description="On-screen captions as text segments (start, end, box), read with RapidOCR (PP-OCRv6) or EasyOCR.",
    extra_metadata=_metadata,
)

_model_id = OcrResource().model_id("optimized")
text_overlay = build_analyzer_assets(SPEC, "optimized", _model_id)
text_overlay_baseline = build_analyzer_assets(SPEC, "baseline", _model_id)
text_overlay_checks = build_checks(SPEC)
