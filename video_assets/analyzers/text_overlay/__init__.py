"""text_overlay: burned-in captions as text segments (start, end, box).

Input: ``video_frames``. Model: an ``OcrEngine`` (``model.py``), implemented for EasyOCR
(``resources/easyocr.py``) and RapidOCR's PP-OCRv6 (``resources/rapidocr.py``). One module per
concern: ``presets``, ``schemas``, ``model``, ``blocks`` (lines into captions), ``follow`` (which
frames are read: the text followed between samples), ``reading`` (frames through the engine),
``segments`` (readings into segments, chunks into lines), ``text`` (CER), ``core`` (``run``),
``parity``, ``evaluate``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from video_assets.analyzers.base import AnalyzerResult, Track
from video_assets.analyzers.markup import track_html
from video_assets.analyzers.contract import Analyzer
from video_assets.analyzers.text_overlay.blocks import Line, group_blocks
from video_assets.analyzers.text_overlay.core import run
from video_assets.analyzers.text_overlay.evaluate import accuracy, accuracy_by_pattern, failures, line_accuracy, scene_text
from video_assets.analyzers.text_overlay.model import Detected, OcrEngine
from video_assets.analyzers.text_overlay.parity import PARITY_THRESHOLD, caption_f1, parity
from video_assets.analyzers.text_overlay.presets import (
    BASELINE, BATCH_FIELDS, NAME, OPTIMIZED, PRESETS, SPEED_TARGET_RTF, Config, follow_plan, plan,
)
from video_assets.analyzers.text_overlay.reading import box_hash, hash_changed
from video_assets.analyzers.text_overlay.schemas import DETECTIONS_SCHEMA, LINES_SCHEMA, SCHEMAS, SEGMENTS_SCHEMA, TABLES
from video_assets.analyzers.text_overlay.segments import captions_only, join_lines, merge_segments, same_text
from video_assets.analyzers.text_overlay.text import cer, clean_text, normalize

__all__ = [
    "ANALYZER", "BASELINE", "BATCH_FIELDS", "Config", "DETECTIONS_SCHEMA", "Detected", "LINES_SCHEMA", "Line", "NAME", "OPTIMIZED",
    "OcrEngine", "PRESETS", "SCHEMAS", "SEGMENTS_SCHEMA", "SPEED_TARGET_RTF", "TABLES", "accuracy", "accuracy_by_pattern",
    "box_hash", "caption_f1", "captions_only", "failures", "same_text", "scene_text", "hash_changed", "cer", "clean_text", "follow_plan", "group_blocks",
    "join_lines", "merge_segments", "normalize", "parity", "plan", "run",
]


def timeline_html(segments: pd.DataFrame | None, duration: float) -> str:
    """Caption bars on a time axis (the report's caption timeline), scene text marked as such."""
    if segments is None or segments.empty:
        return track_html([], duration, empty="no captions")
    spans = [(float(r.start_s), float(r.end_s), f"[scene] {r.text}" if getattr(r, "kind", "caption") == "scene" else r.text)
             for r in segments.itertuples()]
    return track_html(spans, duration, empty="no captions")


def _captions_within(truth: dict, seconds: float) -> list[dict]:
    """A clip's true captions as far as ``seconds`` of it were read."""
    return [c | {"end": min(c["end"], seconds)} for c in truth.get("captions", []) if c["start"] < seconds]


def _lines_within(truth: dict, seconds: float) -> list[dict]:
    """A clip's true lines (auto-caption sentences) wholly within the first ``seconds``."""
    return [ln for ln in truth.get("lines", []) if ln["end"] <= seconds]


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
    bench_variants = {"easyocr": {"engine": "easyocr"}, "rapidocr": {"engine": "rapidocr"}}
    run = staticmethod(run)
    compare = staticmethod(parity)
    plan = staticmethod(plan)

    def sampling_plans(self) -> list:
        """Each preset's samples and the fine stream the text is followed on between them."""
        return [p for config in self.presets.values() for p in (plan(config), follow_plan(config))]

    def metadata(self, result: AnalyzerResult) -> dict[str, Any]:
        """What following the text and the reuse did: samples read and not, fine frames read (a
        caption place changed between samples) and waited over (a change under way), boxes
        recognized and reused, caption places looked at again; the lines a person reads."""
        keys = ("frames_ocr", "frames_reused", "fine_read", "fine_settled", "boxes_read", "boxes_reused", "regions_looked_again",
                "scene_text_segments")
        lines = result.tables.get("lines")
        return {"segments_found": len(result.tables["segments"]), **{k: result.stats.get(k, 0) for k in keys},
                "lines": "\n".join(lines.text) if lines is not None and len(lines) else "", "ocr_engine": result.stats.get("engine", "")}

    def evaluate(self, tables: dict[str, pd.DataFrame], truth: dict, seconds: float) -> dict[str, float] | None:
        """Strict caption accuracy (time IoU >= 0.5, CER <= 0.1, one to one), and where the clip's
        photos carry text, whether any of it leaked into a caption."""
        out = accuracy(tables["segments"], _captions_within(truth, seconds)) | (scene_text(tables["segments"], truth) or {})
        return out | line_accuracy(tables.get("lines"), _lines_within(truth, seconds), tables["segments"], _captions_within(truth, seconds))

    def tracks(self, tables: dict[str, pd.DataFrame], duration_s: float) -> list[Track]:
        segments = tables.get("segments")
        if segments is None:
            return []
        kind = segments["kind"] if "kind" in segments else pd.Series(["caption"] * len(segments), dtype=object)
        spans = lambda rows: [(float(r.start_s), float(r.end_s), r.text) for r in rows.itertuples()]  # noqa: E731
        return [Track("captions", spans(segments[kind.values == "caption"]), "#4c72b0"),
                Track("scene text", spans(segments[kind.values == "scene"]), "#937860")]

    def report_section(self, tables: dict[str, pd.DataFrame], duration_s: float) -> str:
        from video_assets.analyzers.markup import html_table

        segments, lines = tables.get("segments"), tables.get("lines")
        chunked = lines is not None and len(lines) and (lines["chunks"] > 1).any()
        return (timeline_html(segments, duration_s)
                + (html_table(lines[lines["chunks"] > 1], ["text", "start_s", "end_s", "chunks"]) if chunked else "")
                + html_table(segments, ["text", "kind", "start_s", "end_s", "max_confidence", "samples"]))

    def bench_extra(self, outputs: dict, inputs: dict, truth: dict, loaded: dict, models: Any = None) -> dict:
        """Per preset: work counters summed over clips, caption recall per hard pattern (clips whose
        captions name patterns), and readings that match no caption of the ground truth."""
        from video_assets.media.frames import duration_of

        counters = ("frames_ocr", "frames_reused", "fine_read", "fine_settled", "boxes_read", "boxes_reused", "boxes_kept", "regions_looked_again")
        extra: dict[str, Any] = {"work": {p: {k: sum(r.stats.get(k, 0) for r in outputs[p].values()) for k in counters} for p in outputs}}
        captions = {c: _captions_within(truth[c], duration_of(inputs[c])) for c in next(iter(outputs.values())) if c in truth}
        with_patterns = [c for c, caps in captions.items() if any(cap.get("patterns") for cap in caps)]
        extra["recall_by_pattern"] = {p: {c: {k: v["recall"] for k, v in accuracy_by_pattern(outputs[p][c].tables["segments"], captions[c]).items()}
                                          for c in with_patterns} for p in outputs}
        extra["readings_matching_no_caption"] = {
            p: {c: sorted({t for t in captions_only(outputs[p][c].tables["segments"]).text if all(cer(x["text"], t) > 0.1 for x in caps)})
                for c, caps in captions.items()} for p in outputs}
        return extra


ANALYZER = TextOverlay()
