"""text_overlay: burned-in captions as text segments (start, end, box).

Input: ``video_frames``. Model: an ``OcrEngine`` (``model.py``), implemented for EasyOCR
(``resources/easyocr.py``) and RapidOCR's PP-OCRv6 (``resources/rapidocr.py``). One module per
concern: ``presets``, ``schemas``, ``model``, ``blocks`` (lines into captions), ``reading`` (frames
through the engine), ``segments``, ``text`` (CER), ``core`` (``run``), ``parity``, ``evaluate``.
"""

from __future__ import annotations

import html
from typing import Any

import pandas as pd

from video_assets.analyzers.base import AnalyzerResult
from video_assets.analyzers.contract import Analyzer
from video_assets.analyzers.text_overlay.blocks import Line, group_blocks
from video_assets.analyzers.text_overlay.core import run
from video_assets.analyzers.text_overlay.evaluate import accuracy, accuracy_by_pattern
from video_assets.analyzers.text_overlay.model import Detected, OcrEngine
from video_assets.analyzers.text_overlay.parity import PARITY_THRESHOLD, caption_f1, parity
from video_assets.analyzers.text_overlay.presets import (
    BASELINE, BATCH_FIELDS, NAME, OPTIMIZED, PRESETS, SPEED_TARGET_RTF, Config, plan,
)
from video_assets.analyzers.text_overlay.reading import box_hash
from video_assets.analyzers.text_overlay.schemas import DETECTIONS_SCHEMA, SCHEMAS, SEGMENTS_SCHEMA, TABLES
from video_assets.analyzers.text_overlay.segments import merge_segments
from video_assets.analyzers.text_overlay.text import cer, normalize

__all__ = [
    "ANALYZER", "BASELINE", "BATCH_FIELDS", "Config", "DETECTIONS_SCHEMA", "Detected", "Line", "NAME", "OPTIMIZED",
    "OcrEngine", "PRESETS", "SCHEMAS", "SEGMENTS_SCHEMA", "SPEED_TARGET_RTF", "TABLES", "accuracy", "accuracy_by_pattern",
    "box_hash", "caption_f1", "cer", "group_blocks", "merge_segments", "normalize", "parity", "plan", "run",
]


def timeline_html(segments: pd.DataFrame | None, duration: float) -> str:
    """Caption bars on a time axis (the report's caption timeline)."""
    if segments is None or segments.empty or duration <= 0:
        return "<p><em>no captions</em></p>"
    bars = []
    for row in segments.itertuples():
        left = 100 * row.start_s / duration
        width = max(0.5, 100 * (row.end_s - row.start_s) / duration)
        bars.append(f'<div class="bar" style="left:{left:.1f}%;width:{width:.1f}%" title="{row.start_s:.1f}-{row.end_s:.1f} s">{html.escape(row.text)}</div>')
    return f'<div class="timeline">{"".join(bars)}</div><div class="axis"><span>0 s</span><span>{duration:.1f} s</span></div>'


class TextOverlay(Analyzer):
    name = NAME
    description = "On-screen captions as text segments (start, end, box), read with RapidOCR (PP-OCRv6) or EasyOCR."
    report_title = "Captions"
    input = "video_frames"
    tables = TABLES
    schemas = SCHEMAS
    presets = PRESETS
    batch_fields = BATCH_FIELDS
    model = "ocr"
    uses_gpu = True
    speed_target_rtf = SPEED_TARGET_RTF
    parity_threshold = PARITY_THRESHOLD
    kinds = frozenset({"pytorch", "easyocr", "onnx"})
    run = staticmethod(run)
    compare = staticmethod(parity)
    plan = staticmethod(plan)

    def metadata(self, result: AnalyzerResult) -> dict[str, Any]:
        return {"segments_found": len(result.tables["segments"]), "frames_ocr": result.stats.get("frames_ocr", 0),
                "frames_reused": result.stats.get("frames_reused", 0)}

    def evaluate(self, tables: dict[str, pd.DataFrame], truth: dict, seconds: float) -> dict[str, float] | None:
        captions = [c | {"end": min(c["end"], seconds)} for c in truth.get("captions", []) if c["start"] < seconds]
        return accuracy(tables["segments"], captions)

    def report_section(self, tables: dict[str, pd.DataFrame], duration_s: float) -> str:
        from video_assets.report import html_table

        segments = tables.get("segments")
        return timeline_html(segments, duration_s) + html_table(segments, ["text", "start_s", "end_s", "max_confidence", "samples"])

    def bench_extra(self, outputs: dict, inputs: dict, truth: dict, loaded: dict, models: Any = None) -> dict:
        return {"frames": {p: {"ocr": sum(r.stats.get("frames_ocr", 0) for r in outputs[p].values()),
                               "reused": sum(r.stats.get("frames_reused", 0) for r in outputs[p].values())} for p in outputs}}


ANALYZER = TextOverlay()
