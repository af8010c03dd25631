"""What every analyzer core shares: its result, its parity report, and small table helpers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pyarrow as pa


@dataclass
class AnalyzerResult:
    """tables: the analyzer's named tables, the main one first; stats: numbers for metadata
    (frames processed, tokens, ...); notes: human-readable caveats for metadata; images: small
    PNGs for the UI (name -> bytes)."""

    tables: dict[str, pd.DataFrame]
    stats: dict[str, float | int | str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    images: dict[str, bytes] = field(default_factory=dict)


@dataclass
class Track:
    """One row of a video's timeline in the report: what a table says over time. items: (start s,
    end s, label); an item whose end equals its start is a moment (a cut)."""

    name: str
    items: list[tuple[float, float, str]]
    color: str = "#4c72b0"


@dataclass
class ParityReport:
    """score in [0, 1]: 1 means the optimized output matches the baseline; parts: what it is made of."""

    score: float
    parts: dict[str, float]
    passed: bool
    detail: str = ""


@dataclass
class CheckOutcome:
    """A check of one video's result, judged by the analyzer (plain values: the Dagster layer turns
    it into an asset check result). severity: "warn" or "error" when not passed."""

    passed: bool
    description: str
    metadata: dict[str, Any]
    severity: str = "warn"


def typed_table(rows: list[dict], schema: pa.Schema) -> pd.DataFrame:
    """Rows -> DataFrame whose Parquet schema is exactly ``schema`` (the source of truth)."""
    table = pa.Table.from_pylist(rows, schema=schema)
    df = table.to_pandas()
    df.attrs["arrow_schema"] = schema
    return df


def col(name: str, type_: pa.DataType, doc: str) -> pa.Field:
    """A schema field carrying its documentation."""
    return pa.field(name, type_, metadata={"doc": doc})


def matching_f1(matched: int, reference: int, candidate: int, **extra: float) -> tuple[float, dict[str, float]]:
    """F1 of a one-to-one matching: ``matched`` pairs out of ``reference`` and ``candidate`` items
    (1.0 when both are empty), with its parts for metadata."""
    if not reference and not candidate:
        return 1.0, {"matched": 0, "reference": 0, "candidate": 0, **extra, "precision": 1.0, "recall": 1.0}
    precision = matched / candidate if candidate else 0.0
    recall = matched / reference if reference else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return f1, {"matched": matched, "reference": reference, "candidate": candidate, **extra,
                "precision": round(precision, 4), "recall": round(recall, 4)}


def f1_parity(f1: float, parts: dict[str, float], threshold: float, detail: str) -> ParityReport:
    """A parity report whose score is an F1."""
    return ParityReport(score=round(f1, 4), parts={"f1": round(f1, 4), **parts}, passed=f1 >= threshold, detail=detail)


def box_iou(a, b):
    """IoU of every box of ``a`` (n, 4) with every box of ``b`` (m, 4), x0 y0 x1 y1 -> (n, m)."""
    import numpy as np

    x0 = np.maximum(a[:, None, 0], b[None, :, 0])
    y0 = np.maximum(a[:, None, 1], b[None, :, 1])
    x1 = np.minimum(a[:, None, 2], b[None, :, 2])
    y1 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter / np.maximum(area_a[:, None] + area_b[None, :] - inter, 1e-12)


def greedy_box_matches(a, b, iou_min: float = 0.5) -> int:
    """How many boxes of ``a`` and ``b`` pair up one to one at IoU >= ``iou_min``, best pairs first
    (the matching of detection F1: objects, faces)."""
    import numpy as np

    ious = box_iou(a, b)
    matched = 0
    while ious.size and ious.max() >= iou_min:
        i, j = np.unravel_index(np.argmax(ious), ious.shape)
        matched += 1
        ious[i, :] = -1
        ious[:, j] = -1
    return matched


def edit_distance(ref, hyp) -> int:
    """Levenshtein distance (substitutions, insertions, deletions) between two sequences: the
    characters of a caption (CER) or the words of a transcript (WER)."""
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1]


# -- speed targets --------------------------------------------------------------------------------
# A CPU target is this many times the analyzer's committed measurement (its presets say which row
# of benchmark/results/, on which machine): a realtime factor half as fast again as measured warns,
# twice the target is an error, so a tenfold slowdown can never pass. A round number that a
# tenfold slowdown still met (text_overlay's 2.0 against a measured 0.15) said nothing.
CPU_TARGET_HEADROOM = 1.5


def cpu_target(measured_rtf: float) -> float:
    """The CPU speed target for an analyzer measured at ``measured_rtf`` on the reference machine."""
    return round(CPU_TARGET_HEADROOM * measured_rtf, 4)

