"""scene_cuts: hard cuts between shots, from the frames ``video_frames`` already stores.

No model: NumPy on the CPU. It is also the worked example of the contract: this folder plus one
line in ``video_assets/analyzers/__init__.py`` made its assets, baseline twin, checks, CLI choice,
report section and benchmark row. ``presets`` (configs, sampling plan) and ``core`` (``run``, the
table, ``cut_f1``) are the whole analyzer.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from video_assets.analyzers.base import AnalyzerResult, Track
from video_assets.analyzers.contract import Analyzer
from video_assets.analyzers.scene_cuts.core import CUTS_SCHEMA, PARITY_THRESHOLD, SCHEMAS, TABLES, cut_f1, difference, parity, run
from video_assets.analyzers.scene_cuts.presets import BASELINE, BATCH_FIELDS, NAME, OPTIMIZED, PRESETS, SPEED_TARGET_RTF, Config, plan

__all__ = ["ANALYZER", "BASELINE", "CUTS_SCHEMA", "Config", "NAME", "OPTIMIZED", "PRESETS", "cut_f1", "difference", "parity", "plan", "run"]


class SceneCuts(Analyzer):
    name = NAME
    description = "Hard cuts between shots: a luma histogram and pixel difference of consecutive 0.5 s frames."
    report_title = "Cuts"
    input = "video_frames"
    tables = TABLES
    schemas = SCHEMAS
    presets = PRESETS
    batch_fields = BATCH_FIELDS
    model = None
    uses_gpu = False
    speed_target_rtf = SPEED_TARGET_RTF
    parity_threshold = PARITY_THRESHOLD
    kinds = frozenset({"numpy"})
    run = staticmethod(run)
    compare = staticmethod(parity)
    plan = staticmethod(plan)

    def metadata(self, result: AnalyzerResult) -> dict[str, Any]:
        return {k: result.stats[k] for k in ("cuts_found", "cuts_per_minute", "mean_shot_s", "max_difference")}

    def tracks(self, tables: dict[str, pd.DataFrame], duration_s: float) -> list[Track]:
        cuts = tables.get("cuts")
        # A cut lies between two samples: shown at the first frame after it.
        return [Track("cuts", [(float(t), float(t), "cut") for t in cuts.time_s], "#222222")] if cuts is not None else []

    def evaluate(self, tables: dict[str, pd.DataFrame], truth: dict, seconds: float) -> dict[str, float] | None:
        cuts = [t for t in truth.get("cuts", []) if t < seconds]
        f1, parts = cut_f1(cuts, tables["cuts"])
        return {"recall": parts["recall"], "precision": parts["precision"], "f1": round(f1, 4)}


ANALYZER = SceneCuts()
