"""faces: face boxes on sampled frames with MediaPipe's BlazeFace, real trained weights.

Input: ``video_frames``. Model: a ``FaceNet`` (``model.py``), implemented by ``resources/faces.py``
(OpenVINO reading the ``.tflite`` files; no TensorFlow). One module per concern: ``presets``,
``blazeface`` (anchors, decoding, suppression, tiles), ``core`` (``run``, the tables, the per-video
summary), ``parity`` (presets against each other, presence against the ground truth).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from video_assets.analyzers.base import AnalyzerResult, Track
from video_assets.analyzers.contract import Analyzer
from video_assets.analyzers.faces.core import FACES_SCHEMA, SAMPLES_SCHEMA, SCHEMAS, TABLES, face_spans, run, summary
from video_assets.analyzers.faces.model import FaceNet
from video_assets.analyzers.faces.parity import PARITY_THRESHOLD, face_f1, faces_at, parity, presence_accuracy
from video_assets.analyzers.faces.presets import BASELINE, BATCH_FIELDS, NAME, OPTIMIZED, PRESETS, SPEED_TARGET_RTF, Config, plan

__all__ = ["ANALYZER", "BASELINE", "Config", "FACES_SCHEMA", "FaceNet", "NAME", "OPTIMIZED", "PRESETS", "SAMPLES_SCHEMA",
           "face_f1", "faces_at", "parity", "plan", "presence_accuracy", "run", "summary"]


class Faces(Analyzer):
    name = NAME
    description = "Faces on sampled frames (MediaPipe BlazeFace, real weights): boxes, share of time with a face, first face."
    report_title = "Faces"
    input = "video_frames"
    tables = TABLES
    schemas = SCHEMAS
    presets = PRESETS
    batch_fields = BATCH_FIELDS
    model = "faces"
    uses_gpu = False
    speed_target_rtf = SPEED_TARGET_RTF
    parity_threshold = PARITY_THRESHOLD
    kinds = frozenset({"openvino", "mediapipe"})
    run = staticmethod(run)
    compare = staticmethod(parity)
    plan = staticmethod(plan)

    def metadata(self, result: AnalyzerResult) -> dict[str, Any]:
        return {k: result.stats[k] for k in ("face_share", "largest_face_share", "max_faces", "first_face_s", "inferred", "reused", "model")}

    def evaluate(self, tables: dict[str, pd.DataFrame], truth: dict, seconds: float) -> dict[str, float] | None:
        if "faces" not in truth:
            return None
        return presence_accuracy(tables["samples"], truth, seconds)

    def tracks(self, tables: dict[str, pd.DataFrame], duration_s: float) -> list[Track]:
        samples = tables.get("samples")
        return [Track("faces", face_spans(samples), "#8172b2")] if samples is not None else []

    def report_section(self, tables: dict[str, pd.DataFrame], duration_s: float) -> str:
        samples = tables.get("samples")
        if samples is None:
            return ""
        s = summary(samples)
        first = "never" if s["first_face_s"] < 0 else f"{s['first_face_s']:.1f} s"
        head = (f"<p>face on screen {100 * s['face_share']:.0f} % of the time, first at {first}, at most "
                f"{s['max_faces']} at once, largest {100 * s['largest_face_share']:.1f} % of the frame</p>")
        return head  # the faces themselves are a track of the video's timeline (``tracks``)


ANALYZER = Faces()
