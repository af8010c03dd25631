"""text_overlay for one video: read the sampled frames (following the text between them), then
merge readings into segments and chunks into lines."""

from __future__ import annotations

import time
from typing import Iterator

import numpy as np

from video_assets.analyzers.base import AnalyzerResult, typed_table
from video_assets.analyzers.text_overlay.blocks import contrast, group_blocks
from video_assets.analyzers.text_overlay.model import OcrEngine
from video_assets.analyzers.text_overlay.follow import TextFollower
from video_assets.analyzers.text_overlay.presets import Config, follow_plan, plan
from video_assets.analyzers.text_overlay.reading import OptimizedReader, baseline_read
from video_assets.analyzers.text_overlay.schemas import DETECTIONS_SCHEMA
from video_assets.analyzers.text_overlay.segments import join_lines, merge_segments
from video_assets.analyzers.text_overlay.text import clean_text
from video_assets.media.frames import Frame, FrameBundle
from video_assets.media.sampling import fit_long_side


def samples(bundle: FrameBundle, config: Config) -> Iterator[tuple[Frame, bool]]:
    """The preset's samples (native size, ``main``) and the fine stream between them (``follow_side``),
    merged in time order, each stored frame decoded once."""
    main = plan(config)
    ours = {idx for idx, _ in bundle.positions(main)}
    for frame in (bundle.frames(main, follow_plan(config)) if config.follow else bundle.frames(main)):
        yield frame, frame.source_index in ours


def run(bundle: FrameBundle, config: Config, engine: OcrEngine) -> AnalyzerResult:
    """Streams the preset's samples and the fine stream between them (``follow.TextFollower``):
    each sample's lines become rows at once, and its image is let go. Boxes are in native pixels."""
    t0 = time.perf_counter()
    stats: dict[str, int] = {}
    w, h = bundle.info.width, bundle.info.height
    fine = follow_plan(config)
    probe = fit_long_side(w, h, fine.max_side)
    frame_h = None if config.preset == "baseline" else h  # the baseline keeps what the original read
    read_band = lambda image: baseline_read(engine, image, config, frame_h)  # noqa: E731 - the whole pipeline on a band of rows
    read = read_band if config.preset == "baseline" else OptimizedReader(engine, config, stats)
    rows = []
    times: list[float] = []
    measured: dict[tuple, float] = {}  # a reused block's contrast is the one measured when it was read
    for frame, lines in TextFollower(read, read_band, (w, h), probe, config, stats).run(samples(bundle, config)):
        times.append(round(frame.pts_s, 4))
        fw, fh = frame.size  # a sample that is not read is never decoded in colour
        for block in group_blocks(lines):
            x0, y0, x1, y1 = block.box
            if not block.reused or block.box not in measured:
                measured[block.box] = contrast(frame.image, (x0 * fw / w, y0 * fh / h, x1 * fw / w, y1 * fh / h))
            rows.append({
                "timestamp_s": round(frame.pts_s, 4), "frame_index": frame.source_index, "text": clean_text(block.text),
                "confidence": block.confidence, "x0": max(0.0, x0 / w), "y0": max(0.0, y0 / h),
                "x1": min(1.0, x1 / w), "y1": min(1.0, y1 / h), "reused": block.reused,
                "contrast": measured[block.box],
            })
    ocr_s = time.perf_counter() - t0
    detections = typed_table(rows, DETECTIONS_SCHEMA)
    segments = merge_segments(detections, config.every_s, config.segment_cer, w / h if h else 1080 / 1920, times)
    lines_table = join_lines(segments)
    return AnalyzerResult(
        tables={"segments": segments, "detections": detections, "lines": lines_table},
        stats={**stats, "engine": engine.name, "frames_sampled": len(times), "ocr_s": round(ocr_s, 3), "segments_found": len(segments),
               "lines_found": len(lines_table), "scene_text_segments": int((segments["kind"] == "scene").sum()), "frame_size": f"{w}x{h}"},
        notes=[] if rows else ["no on-screen text found"],
    )
