"""object_detection: objects per sampled frame with Ultralytics YOLO.

Input: ``video_frames``. Model: a ``Detector`` (``model.py``), implemented by ``resources/yolo.py``
for PyTorch, OpenVINO, ONNX Runtime and TensorRT. One module per concern: ``presets``,
``schemas``, ``model``, ``letterbox`` (pre- and post-processing), ``core`` (``run``), ``parity``,
``bench`` (engine parity on raw tensors).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from video_assets.analyzers.base import AnalyzerResult, Track
from video_assets.analyzers.contract import Analyzer
from video_assets.analyzers.object_detection.core import annotate, class_summary, detect, run
from video_assets.analyzers.object_detection.letterbox import STRIDE, Letterbox, postprocess
from video_assets.analyzers.object_detection.model import Detector
from video_assets.analyzers.object_detection.parity import PARITY_THRESHOLD, detection_f1, parity
from video_assets.analyzers.object_detection.presets import (
    BASELINE, BATCH_FIELDS, NAME, OPTIMIZED, PRESETS, SPEED_TARGET_RTF, Config, plan,
)
from video_assets.analyzers.object_detection.schemas import CLASSES_SCHEMA, DETECTIONS_SCHEMA, SCHEMAS, TABLES

__all__ = [
    "ANALYZER", "BASELINE", "BATCH_FIELDS", "CLASSES_SCHEMA", "Config", "DETECTIONS_SCHEMA", "Detector", "Letterbox", "NAME",
    "OPTIMIZED", "PRESETS", "SCHEMAS", "SPEED_TARGET_RTF", "STRIDE", "TABLES", "annotate", "class_summary", "detect",
    "detection_f1", "parity", "plan", "postprocess", "run",
]


class ObjectDetection(Analyzer):
    name = NAME
    description = "Objects per sampled frame (Ultralytics YOLO; engine and precision in the metadata)."
    report_title = "Objects"
    input = "video_frames"
    tables = TABLES
    schemas = SCHEMAS
    presets = PRESETS
    batch_fields = BATCH_FIELDS
    model = "yolo"
    uses_gpu = True
    speed_target_rtf = SPEED_TARGET_RTF
    parity_threshold = PARITY_THRESHOLD
    kinds = frozenset({"pytorch", "ultralytics"})
    run = staticmethod(run)
    compare = staticmethod(parity)
    plan = staticmethod(plan)

    def metadata(self, result: AnalyzerResult) -> dict[str, Any]:
        classes = result.tables["classes"]
        return {f"count/{row.class_name}": int(row.detections) for row in classes.itertuples()} | {"classes_found": len(classes)}

    def tracks(self, tables: dict[str, pd.DataFrame], duration_s: float) -> list[Track]:
        classes = tables.get("classes")
        if classes is None:
            return []
        return [Track("objects", [(float(r.first_seen_s), float(r.last_seen_s), f"{r.class_name} ({r.frames_present} frames)")
                                  for r in classes.itertuples()], "#da8bc3")]

    def report_section(self, tables: dict[str, pd.DataFrame], duration_s: float) -> str:
        from video_assets.analyzers.markup import html_table

        return html_table(tables.get("classes"), ["class_name", "first_seen_s", "last_seen_s", "frames_present", "max_simultaneous", "detections"])

    def bench_extra(self, outputs: dict, inputs: dict, truth: dict, loaded: dict, models: Any = None) -> dict:
        from video_assets.analyzers.object_detection.bench import engine_parity

        return engine_parity(inputs, loaded, models)


ANALYZER = ObjectDetection()
