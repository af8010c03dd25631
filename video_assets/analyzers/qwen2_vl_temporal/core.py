"""qwen2_vl_temporal for one video. Every segment is its own conversation (no earlier description
in the prompt), so nothing leaks from one segment into the next; a description that repeats the
previous one or loops on a phrase is flagged ``degenerate``."""

from __future__ import annotations

import time

from video_assets.analyzers.base import AnalyzerResult, typed_table
from video_assets.analyzers.qwen2_vl_temporal.model import SegmentRequest, VisionLanguageBackend
from video_assets.analyzers.qwen2_vl_temporal.presets import Config, plan
from video_assets.analyzers.qwen2_vl_temporal.schemas import SEGMENTS_SCHEMA
from video_assets.analyzers.qwen2_vl_temporal.text import loops, repeats_previous
from video_assets.media.frames import FrameBundle


def run(bundle: FrameBundle, config: Config, backend: VisionLanguageBackend) -> AnalyzerResult:
    """Streams the plan's segments: the frames of ``config.batch_segments`` segments in memory at a time."""
    rows: list[dict] = []
    t_total = time.perf_counter()
    generated = 0
    generate_s: list[float] = []  # per generate call: timing is metadata, never a table column

    def describe(batch: list) -> None:
        nonlocal generated
        requests = [SegmentRequest([f.image for f in frames], config.prompt.format(start=s, end=e)) for s, e, frames in batch]
        t0 = time.perf_counter()
        outputs = backend.describe(requests, config.min_pixels, config.max_pixels, config.max_new_tokens)
        generate_s.append(time.perf_counter() - t0)
        for (s, e, frames), out in zip(batch, outputs):
            generated += out.generated_tokens
            rows.append({
                "segment": len(rows), "start_s": round(s, 3), "end_s": round(e, 3),
                "frame_times_s": [round(f.pts_s, 3) for f in frames], "description": out.text,
                "prompt_tokens": out.prompt_tokens,
                "visual_tokens": int(sum(t * h * w for t, h, w in out.image_grids) // 4) if out.image_grids else out.visual_tokens,
                "generated_tokens": out.generated_tokens, "degenerate": False,
            })

    pending: list = []
    for segment in bundle.segments(plan(config)):
        if not segment[2]:
            continue
        pending.append(segment)
        if len(pending) == config.batch_segments:
            describe(pending)
            pending = []
    if pending:
        describe(pending)
    for i, row in enumerate(rows):
        row["degenerate"] = loops(row["description"]) or repeats_previous(row["description"], rows[i - 1]["description"] if i else None)
    elapsed = time.perf_counter() - t_total
    table = typed_table(rows, SEGMENTS_SCHEMA)
    duration = bundle.info.duration_s
    visual = int(table.visual_tokens.sum()) if len(table) else 0
    return AnalyzerResult(
        tables={"segments": table},
        stats={
            "segments": len(rows),
            "visual_tokens": visual,
            "visual_tokens_per_segment": round(visual / len(rows), 1) if rows else 0.0,
            "visual_tokens_per_video_s": round(visual / duration, 1) if duration else 0.0,
            "prompt_tokens": int(table.prompt_tokens.sum()) if len(table) else 0,
            "generated_tokens": generated,
            "tokens_per_s": round(generated / elapsed, 2) if elapsed > 0 else 0.0,
            "seconds_per_segment": round(sum(generate_s) / len(rows), 3) if rows else 0.0,
            "degenerate_segments": int(table.degenerate.sum()) if len(table) else 0,
        },
        notes=[] if rows else ["no frames to describe"],
    )
