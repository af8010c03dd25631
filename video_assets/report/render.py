"""The corpus report: every analyzer's latest table for every video in one Parquet dataset, and one
self-contained HTML page (images inlined) a person can open without a server.

It opens with the corpus, as a content team reads it: the profile of every video (pace, speech,
text on screen, cuts, the hook) and plots of their distributions. Then per video: the contact
sheet and each registered analyzer's own section (``report_section``: the caption timeline, the
words-per-minute plot, detections per class, ...). Last, for engineers: realtime factor per
analyzer and video, and the latest status of every check. Outputs made with random-init weights
are marked as such, and left out of the profile.
"""

from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass, field

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from video_assets.insights.plots import overview_png
from video_assets.media import files
from video_assets.media.frames import image_mime

# The profile columns the report's corpus table shows (the dataset keeps them all).
PROFILE_COLUMNS = ["video", "duration_s", "languages", "articulation_wpm", "speaking_share", "caption_count", "caption_share",
                   "onscreen_wpm", "cuts_per_minute", "mean_shot_s", "face_share", "talking_head_share", "music_share",
                   "speech_over_music_share", "top_objects", "first_caption_s", "first_word_s", "first_cut_s", "random_init"]


@dataclass
class VideoReport:
    key: str
    duration_s: float = 0.0
    contact_sheet: bytes = b""
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)  # asset key -> table
    rtf: dict[str, float] = field(default_factory=dict)  # analyzer -> realtime factor
    weights: dict[str, str] = field(default_factory=dict)  # analyzer -> weights label
    checks: dict[str, str] = field(default_factory=dict)  # check name -> status


def write_dataset(videos: list[VideoReport], root: str, preset: str = "optimized", profiles: pd.DataFrame | None = None) -> dict[str, int]:
    """One Parquet file per table, all videos stacked with ``video`` and ``preset`` columns, and
    the profiles as ``video_profile``. Returns rows per table."""
    stacked: dict[str, list[pd.DataFrame]] = {}
    if profiles is not None and not profiles.empty:
        frame = profiles.copy()
        frame.insert(1, "preset", preset)
        stacked["video_profile"] = [frame]
    for video in videos:
        for name, table in video.tables.items():
            frame = table.copy()
            frame.attrs = {}
            frame.insert(0, "video", video.key)
            frame.insert(1, "preset", preset)
            stacked.setdefault(name, []).append(frame)
    rows = {}
    for name, frames in stacked.items():
        frame = pd.concat(frames, ignore_index=True)
        frame.attrs = {}
        sink = io.BytesIO()
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), sink, compression="zstd")
        files.write_bytes_atomic(files.join(root, f"{name}.parquet"), sink.getvalue())
        rows[name] = len(frame)
    return rows


def html_img(data: bytes, alt: str, width: int | None = None) -> str:
    """A PNG or JPEG inlined in the page."""
    if not data:
        return "<p><em>no image</em></p>"
    w = f' width="{width}"' if width else ""
    return f'<img alt="{html.escape(alt)}"{w} src="data:{image_mime(data)};base64,{base64.b64encode(data).decode()}">'


def html_table(df: pd.DataFrame, columns: list[str], limit: int = 40) -> str:
    if df is None or df.empty:
        return "<p><em>none</em></p>"
    cols = [c for c in columns if c in df.columns]
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(f'{v:.2f}' if isinstance(v, float) else str(v))}</td>" for v in row) + "</tr>"
        for row in df[cols].head(limit).itertuples(index=False)
    )
    more = f"<p><em>{len(df) - limit} more rows in the dataset</em></p>" if len(df) > limit else ""
    return f"<table><tr>{head}</tr>{body}</table>{more}"


def _random_note(video: VideoReport, analyzer: str) -> str:
    label = video.weights.get(analyzer)
    return f'<p class="warn">weights: {html.escape(label)} - plumbing only, not results</p>' if label and label != "real" else ""


def _section(analyzer, video: VideoReport) -> str:
    tables = {t: video.tables[analyzer.asset_key(t, "optimized")] for t in analyzer.tables if analyzer.asset_key(t, "optimized") in video.tables}
    body = analyzer.report_section(tables, video.duration_s) if tables else "<p><em>not analyzed</em></p>"
    return f"<h3>{html.escape(analyzer.report_title or analyzer.name)}</h3>{_random_note(video, analyzer.name)}{body}"


def render_html(videos: list[VideoReport], analyzers, title: str = "video-assets corpus report", profiles: pd.DataFrame | None = None) -> str:
    names = [a.name for a in analyzers if any(a.name in v.rtf for v in videos)]
    checks = sorted({c for v in videos for c in v.checks})
    rtf_rows = "".join(
        f"<tr><td>{html.escape(v.key)}</td>" + "".join(f"<td>{v.rtf.get(a, float('nan')):.3f}</td>" for a in names) + "</tr>" for v in videos
    )
    check_rows = "".join(
        f"<tr><td>{html.escape(v.key)}</td>" + "".join(f'<td class="{v.checks.get(c, "none")}">{v.checks.get(c, "-")}</td>' for c in checks) + "</tr>" for v in videos
    )
    parts = [f"<h1>{html.escape(title)}</h1><p>{len(videos)} videos</p>"]
    if profiles is not None and not profiles.empty:
        parts += [
            '<section id="corpus"><h2>The corpus</h2>',
            html_img(overview_png(profiles), "corpus overview: words per minute, cuts per minute, caption share, languages, hook"),
            "<h3>Profile per video</h3>",
            html_table(profiles, PROFILE_COLUMNS, limit=200),
            "<p><em>Columns of analyzers with random-init weights are empty (see random_init).</em></p></section>",
        ]
    engineering = [
        "<h2>Realtime factor (analysis seconds / video seconds)</h2>",
        f"<table><tr><th>video</th>{''.join(f'<th>{html.escape(a)}</th>' for a in names)}</tr>{rtf_rows}</table>",
        "<h2>Checks (latest evaluation)</h2>",
        f"<table><tr><th>video</th>{''.join(f'<th>{html.escape(c)}</th>' for c in checks)}</tr>{check_rows}</table>",
    ]
    for v in videos:
        parts += [
            f'<section id="{html.escape(v.key)}"><h2>{html.escape(v.key)} ({v.duration_s:.1f} s)</h2>',
            html_img(v.contact_sheet, f"{v.key} contact sheet", 540),
            *[_section(a, v) for a in analyzers],
            "</section>",
        ]
    parts += ['<section id="engineering">', *engineering, "</section>"]
    style = (
        "body{font-family:sans-serif;max-width:1100px;margin:2em auto}table{border-collapse:collapse;margin:.5em 0}"
        "td,th{border:1px solid #ccc;padding:3px 6px;font-size:13px}.timeline{position:relative;height:28px;background:#eee}"
        ".bar{position:absolute;top:2px;height:24px;background:#4c72b0;color:#fff;font-size:11px;overflow:hidden;white-space:nowrap}"
        ".axis{display:flex;justify-content:space-between;font-size:11px}.warn{color:#b00}.pass{background:#dfd}"
        ".warn,.error{background:#fdd}section{border-top:2px solid #333;margin-top:2em}"
    )
    return f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title><style>{style}</style></head><body>{''.join(parts)}</body></html>"
