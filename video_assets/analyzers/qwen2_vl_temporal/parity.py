"""qwen2_vl_temporal parity: sentence-embedding cosine of optimized and baseline descriptions."""

from __future__ import annotations

import numpy as np
import pandas as pd

from video_assets.analyzers.base import ParityReport
from video_assets.analyzers.qwen2_vl_temporal.model import TextEncoder


PARITY_THRESHOLD = 0.8


def parity(baseline: dict[str, pd.DataFrame], optimized: dict[str, pd.DataFrame], encoder: TextEncoder,
           threshold: float = PARITY_THRESHOLD) -> ParityReport:
    """Mean sentence-embedding cosine of the segments both cover (matched by start time)."""
    b = baseline["segments"].set_index("start_s")
    o = optimized["segments"].set_index("start_s")
    common = [s for s in b.index if s in o.index]
    if not common:
        empty = b.empty and o.empty
        return ParityReport(1.0 if empty else 0.0, {"segments": 0}, empty, "no segments in common")
    texts_b = [str(b.loc[s, "description"]) for s in common]
    texts_o = [str(o.loc[s, "description"]) for s in common]
    eb = encoder.encode(texts_b, normalize_embeddings=True)
    eo = encoder.encode(texts_o, normalize_embeddings=True)
    cos = np.sum(eb * eo, axis=1)
    score = float(np.clip(cos.mean(), 0.0, 1.0))
    return ParityReport(
        score=round(score, 4),
        parts={"mean_cosine": round(float(cos.mean()), 4), "min_cosine": round(float(cos.min()), 4), "segments": len(common)},
        passed=score >= threshold,
        detail=f"mean cosine {cos.mean():.3f} over {len(common)} segments",
    )
