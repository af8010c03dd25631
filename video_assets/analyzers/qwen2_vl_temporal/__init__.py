"""qwen2_vl_temporal: what happens in each 2 s segment, described by Qwen2-VL.

Input: ``video_frames`` (a segment plan). Model: a ``VisionLanguageBackend`` (``model.py``),
implemented by ``resources/qwen.py``; parity embeds descriptions with a ``TextEncoder`` the same
resource loads through the model cache. One module per concern: ``presets``, ``schemas``,
``model``, ``text`` (degenerate output), ``core`` (``run``), ``parity``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from video_assets.analyzers.base import AnalyzerResult, ParityReport, Track
from video_assets.analyzers.contract import Analyzer
from video_assets.analyzers.qwen2_vl_temporal.core import run
from video_assets.analyzers.qwen2_vl_temporal.model import SegmentOutput, SegmentRequest, TextEncoder, VisionLanguageBackend
from video_assets.analyzers.qwen2_vl_temporal.parity import PARITY_THRESHOLD, parity
from video_assets.analyzers.qwen2_vl_temporal.presets import (
    BASELINE, BATCH_FIELDS, NAME, OPTIMIZED, PRESETS, PROMPT, SPEED_TARGET_RTF, Config, plan,
)
from video_assets.analyzers.qwen2_vl_temporal.schemas import SCHEMAS, SEGMENTS_SCHEMA, TABLES
from video_assets.analyzers.qwen2_vl_temporal.text import loops, repeats_previous

__all__ = [
    "ANALYZER", "BASELINE", "BATCH_FIELDS", "Config", "NAME", "OPTIMIZED", "PRESETS", "PROMPT", "SCHEMAS", "SEGMENTS_SCHEMA",
    "SPEED_TARGET_RTF", "SegmentOutput", "SegmentRequest", "TABLES", "TextEncoder", "VisionLanguageBackend", "loops", "parity",
    "plan", "repeats_previous", "run",
]

METADATA_STATS = ("segments", "visual_tokens_per_segment", "visual_tokens_per_video_s", "tokens_per_s", "seconds_per_segment",
                  "generated_tokens", "degenerate_segments")


class Qwen2VLTemporal(Analyzer):
    name = NAME
    description = "A Qwen2-VL description of every 2 s segment, each prompted on its own; loops and repeats flagged."
    report_title = "What happens (Qwen2-VL)"
    input = "video_frames"
    tables = TABLES
    schemas = SCHEMAS
    presets = PRESETS
    batch_fields = BATCH_FIELDS
    model = "qwen"
    uses_gpu = True
    speed_target_rtf = SPEED_TARGET_RTF
    parity_threshold = PARITY_THRESHOLD
    kinds = frozenset({"pytorch", "transformers"})
    run = staticmethod(run)
    compare = staticmethod(parity)
    plan = staticmethod(plan)

    def parity(self, baseline, optimized, models: Any = None) -> ParityReport:
        """Sentence-embedding cosine, with the encoder the qwen resource loads through the model cache."""
        if models is None or not hasattr(models, "text_encoder"):
            raise TypeError("qwen2_vl_temporal parity needs the qwen resource (its text_encoder)")
        return parity(baseline, optimized, models.text_encoder())

    def metadata(self, result: AnalyzerResult) -> dict[str, Any]:
        return {k: result.stats[k] for k in METADATA_STATS if k in result.stats}

    def tracks(self, tables: dict[str, pd.DataFrame], duration_s: float) -> list[Track]:
        segments = tables.get("segments")
        if segments is None:
            return []
        return [Track("descriptions", [(float(r.start_s), float(r.end_s), r.description) for r in segments.itertuples()], "#8c8c8c")]

    def report_section(self, tables: dict[str, pd.DataFrame], duration_s: float) -> str:
        from video_assets.analyzers.markup import html_table

        return html_table(tables.get("segments"), ["start_s", "end_s", "description", "degenerate"])

    def bench_extra(self, outputs: dict, inputs: dict, truth: dict, loaded: dict, models: Any = None) -> dict:
        video_s = sum(v.info.duration_s for v in inputs.values())
        tokens: dict[str, Any] = {}
        for preset, per_clip in outputs.items():
            stats = [r.stats for r in per_clip.values()]
            segments = sum(s["segments"] for s in stats)
            tokens[preset] = {
                "segments": segments,
                "visual_tokens_per_segment": round(sum(s["visual_tokens"] for s in stats) / max(segments, 1), 1),
                "visual_tokens_per_video_s": round(sum(s["visual_tokens"] for s in stats) / video_s, 1),
                "prompt_tokens": sum(s["prompt_tokens"] for s in stats),
                "generated_tokens": sum(s["generated_tokens"] for s in stats),
            }
        tokens["visual_tokens_reduction"] = round(tokens["baseline"]["visual_tokens_per_video_s"] / tokens["optimized"]["visual_tokens_per_video_s"], 2)
        return {"tokens": tokens}


ANALYZER = Qwen2VLTemporal()
