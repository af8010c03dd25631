"""object_detection assets: detections (main) and a per-class summary, optimized and baseline, with checks."""

from typing import Any

from resources.yolo import YoloResource
from video_assets.analyzers import object_detection as core
from video_assets.analyzers.base import AnalyzerResult
from video_assets.assets.analysis import AnalyzerAssetSpec, build_analyzer_assets
from video_assets.checks import build_checks

RESOURCE_KEY = "yolo"


def _metadata(result: AnalyzerResult, partition: str) -> dict[str, Any]:
    classes = result.tables["classes"]
    return {f"count/{row.class_name}": int(row.detections) for row in classes.itertuples()} | {
        "classes_found": len(classes),
    }


SPEC = AnalyzerAssetSpec(
    name=core.NAME,
    core=core,
    input_key="video_frames",
    resource_key=RESOURCE_KEY,
    kinds=frozenset({"pytorch", "ultralytics"}),
    description="Objects per sampled frame (Ultralytics YOLO; engine and precision in the metadata).",
    extra_metadata=_metadata,
)

_resource = YoloResource()
object_detection = build_analyzer_assets(SPEC, "optimized", _resource.model_id("optimized"))
object_detection_baseline = build_analyzer_assets(SPEC, "baseline", _resource.model_id("baseline"))
object_detection_checks = build_checks(SPEC)
