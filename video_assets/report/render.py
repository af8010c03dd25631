"""The corpus report: one folder a person opens from the file system or any static file server
(no network): every analyzer's latest table for every video in one Parquet dataset (``tables/``),
the corpus page (``report.html``) and one page per video (``videos/<video>.html``, with the video
beside it: ``report/pages.py``).

The corpus page opens with the corpus, as a content team reads it: plots of the profile's
distributions, the videos that failed whole or part-way (what each has, what failed and why, the
stretches decoded around damage), and the profile of every video (pace, speech, text on screen, cuts, faces, music,
the hook) as a sortable table linking to each video's page. Last, for engineers: realtime factor
per analyzer and video, and the latest status of every check. Outputs made with random-init
weights are left out of the profile and collapsed on the video pages.
"""

from __future__ import annotations

import html
import io
from dataclasses import dataclass, field

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from video_assets.analyzers.markup import html_img, html_table
from video_assets.insights.plots import overview_png
from video_assets.media import files
from video_assets.media.gaps import describe
from video_assets.report.pages import by_cause

# The profile columns the report's corpus table shows (the dataset keeps them all).
PROFILE_COLUMNS = ["video", "duration_s", "languages", "articulation_wpm", "speaking_share", "caption_count", "caption_share",
                   "onscreen_wpm", "cuts_per_minute", "mean_shot_s", "face_share", "talking_head_share", "music_share",
                   "speech_over_music_share", "top_objects", "first_caption_s", "first_word_s", "first_cut_s", "random_init",
                   "decoded_share", "sound_id", "sound_uses", "reupload_of"]


@dataclass
class VideoReport:
    key: str
    duration_s: float = 0.0
    contact_sheet: bytes = b""
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)  # asset key -> table
    rtf: dict[str, float] = field(default_factory=dict)  # analyzer -> realtime factor
    weights: dict[str, str] = field(default_factory=dict)  # analyzer -> weights label
    checks: dict[str, str] = field(default_factory=dict)  # check name -> status
    failed: dict[str, str] = field(default_factory=dict)  # step -> one-line cause (failed whole or part-way)
    gaps: dict[str, list] = field(default_factory=dict)  # 'video_frames' / 'audio_track' -> decode gaps


def trouble_html(videos: list[VideoReport], analyzers, link) -> str:
    """The videos that failed whole or part-way, or were decoded around damage: what each has, what
    failed and why. Empty when every video is whole."""
    rows = []
    for v in videos:
        if not v.failed and not any(v.gaps.values()):
            continue
        has = ", ".join(a.name for a in analyzers if any(a.asset_key(t, "optimized") in v.tables for t in a.tables)) or "nothing"
        failed = "<br>".join(f"{html.escape(steps)}: {html.escape(cause)}" for steps, cause in by_cause(v.failed)) or "-"
        gaps = "; ".join(describe(g, "video" if k == "video_frames" else "audio") for k, g in v.gaps.items() if g) or "-"
        rows.append(f'<tr data-video="{html.escape(v.key)}"><td>{link(v.key)}</td><td>{html.escape(has)}</td><td>{failed}</td>'
                    f"<td>{html.escape(gaps)}</td></tr>")
    if not rows:
        return ""
    return ('<section id="trouble"><h2>Failed or partial</h2><p><em>Each video below keeps what it has; its page shows it.</em></p>'
            "<table><tr><th>video</th><th>analyzers with tables</th><th>what failed, and why</th><th>damaged stretches decoded around</th></tr>"
            f"{''.join(rows)}</table></section>")


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
        frame.attrs = {}  # columns added here (video, preset): pyarrow infers the stacked schema
        write_table(frame, files.join(root, f"{name}.parquet"))
        rows[name] = len(frame)
    return rows


def write_table(frame: pd.DataFrame, url: str) -> None:
    """One table as a Parquet file, written atomically (its own schema when it carries one)."""
    schema = frame.attrs.get("arrow_schema")
    plain = frame.copy(deep=False)
    plain.attrs = {}
    sink = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(plain, schema=schema, preserve_index=False), sink, compression="zstd")
    files.write_bytes_atomic(url, sink.getvalue())


def _cell(value) -> tuple[str, str]:
    """(shown, sort key) of a profile cell: missing values blank, numbers with two decimals."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return "", ""
    if isinstance(value, float):
        return f"{value:.2f}", repr(value)
    return str(value), str(value)


def profile_table(profiles: pd.DataFrame, columns: list[str], pages: dict[str, str]) -> str:
    """The profile as a table sortable by any column (click its header), each video linking to its page."""
    cols = [c for c in columns if c in profiles.columns]
    head = "".join(f'<th data-col="{i}" title="sort by {html.escape(c)}">{html.escape(c.replace("_", " "))}</th>' for i, c in enumerate(cols))
    rows = []
    for record in profiles[cols].itertuples(index=False):
        cells = []
        for c, v in zip(cols, record):
            shown, key = _cell(v)
            if c == "video" and shown in pages:
                shown = f'<a href="{html.escape(pages[shown])}">{html.escape(shown)}</a>'
            else:
                shown = html.escape(shown)
            cells.append(f'<td data-v="{html.escape(key)}">{shown}</td>')
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return f'<div class="wide"><table class="profile"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>'


SORT_SCRIPT = """
document.querySelectorAll('table.profile th').forEach(th => th.addEventListener('click', () => {
  const table = th.closest('table'), body = table.tBodies[0], col = +th.dataset.col;
  const asc = th.dataset.dir !== 'asc'; th.dataset.dir = asc ? 'asc' : 'desc';
  const key = r => r.cells[col].dataset.v, num = v => v !== '' && !isNaN(parseFloat(v));
  Array.from(body.rows).sort((a, b) => {
    const x = key(a), y = key(b);
    if (x === '' || y === '') return (x === '') - (y === '');
    const d = num(x) && num(y) ? parseFloat(x) - parseFloat(y) : x.localeCompare(y);
    return asc ? d : -d;
  }).forEach(r => body.appendChild(r));
}));
"""


def render_html(videos: list[VideoReport], analyzers, title: str = "video-assets corpus report", profiles: pd.DataFrame | None = None,
                pages: dict[str, str] | None = None, links_section=None) -> str:
    """The corpus page: the overview plots, the profile (sortable, each video linking to its page:
    ``pages``, video -> relative link), what the videos share (``links_section(link)``: HTML, see
    ``report.linked``), then for engineers the realtime factors and checks."""
    pages = pages or {}
    names = [a.name for a in analyzers if any(a.name in v.rtf for v in videos)]
    checks = sorted({c for v in videos for c in v.checks})
    link = lambda key: f'<a href="{html.escape(pages[key])}">{html.escape(key)}</a>' if key in pages else html.escape(key)  # noqa: E731
    rtf_rows = "".join(
        f"<tr><td>{link(v.key)}</td>" + "".join(f"<td>{v.rtf[a]:.3f}</td>" if a in v.rtf else "<td></td>" for a in names) + "</tr>" for v in videos
    )
    check_rows = "".join(
        f"<tr><td>{link(v.key)}</td>" + "".join(f'<td class="{v.checks.get(c, "none")}">{v.checks.get(c, "")}</td>' for c in checks) + "</tr>" for v in videos
    )
    parts = [f"<h1>{html.escape(title)}</h1><p>{len(videos)} videos: "
             + ", ".join(link(v.key) for v in videos) + " (each with its page: the video and its timeline)</p>", trouble_html(videos, analyzers, link)]
    if profiles is not None and not profiles.empty:
        parts += [
            '<section id="corpus"><h2>The corpus</h2>',
            html_img(overview_png(profiles), "corpus overview: words per minute, cuts per minute, caption share, languages, hook, faces and music"),
            "<h3>Profile per video</h3><p><em>Click a column to sort; blank: no value (no speech, no caption, or an analyzer "
            "with random-init weights, named in the last column).</em></p>",
            profile_table(profiles, PROFILE_COLUMNS, pages),
            "</section>",
        ]
    if links_section is not None:
        parts.append(links_section(link))
    parts += [
        '<section id="engineering">',
        "<h2>Realtime factor (analysis seconds / video seconds)</h2>",
        f"<table><tr><th>video</th>{''.join(f'<th>{html.escape(a)}</th>' for a in names)}</tr>{rtf_rows}</table>",
        "<h2>Checks (latest evaluation)</h2>",
        f"<table><tr><th>video</th>{''.join(f'<th>{html.escape(c)}</th>' for c in checks)}</tr>{check_rows}</table>",
        "</section>",
    ]
    style = (
        "body{font-family:sans-serif;max-width:1200px;margin:2em auto;padding:0 1em}table{border-collapse:collapse;margin:.5em 0}"
        "td,th{border:1px solid #ccc;padding:3px 5px;font-size:12px}.wide{overflow-x:auto;max-width:100%}"
        "table.profile th{cursor:pointer;background:#f4f4f4;white-space:normal;vertical-align:bottom}"
        "table.profile{width:100%}table.profile td{font-size:11px}img{max-width:100%;height:auto}.pass{background:#dfd}"
        ".warn,.error{background:#fdd}section{border-top:2px solid #333;margin-top:2em}"
    )
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title><style>{style}</style></head>"
            f"<body>{''.join(parts)}<script>{SORT_SCRIPT}</script></body></html>")
