"""A video's page in the report: the video in a player and, under it, its timeline: one track per
thing the tables say over time (captions, speech, cuts, faces, music, ...: each analyzer's
``tracks``), aligned with the player. Clicking an item seeks the player to its start; the playing
position is a line across every track, and the items under it are highlighted. Below, each
analyzer's own section (its tables and plots).

Where an analyzer ran on random-init weights its tracks and section collapse to one line that says
so: plumbing, not results, is never drawn as if it were. A partition that failed whole or part-way
gets its page with what it has, and a box naming what failed and why; stretches that could not be
decoded are hatched across the lanes of their input and named in a line above. The page is plain HTML with a few lines of
script, no network: opened from the file or served by any static file server."""

from __future__ import annotations

import html

import pandas as pd

from video_assets.analyzers.base import Track
from video_assets.analyzers.markup import html_img
from video_assets.media.gaps import describe

PAGE_STYLE = (
    "body{font-family:sans-serif;max-width:1100px;margin:1em auto;padding:0 1em}"
    ".player{display:flex;gap:1.5em;align-items:flex-start}video{width:300px;max-height:540px;background:#000}"
    ".tracks{flex:1;min-width:0}.track{margin:.2em 0 .6em}.track h4{margin:0;font-size:12px;color:#444}"
    ".lane{position:relative;height:26px;background:#f0f0f0;border-radius:3px}"
    ".item{position:absolute;top:2px;height:22px;color:#fff;font-size:11px;line-height:22px;overflow:hidden;"
    "white-space:nowrap;cursor:pointer;border-radius:2px;padding:0 3px;box-sizing:border-box;opacity:.85}"
    ".item.moment{width:3px!important;padding:0}.item.now{opacity:1;outline:2px solid #111}"
    ".playhead{position:absolute;top:0;bottom:0;width:2px;background:#e00;pointer-events:none}"
    ".gap{position:absolute;top:0;bottom:0;background:repeating-linear-gradient(45deg,#555 0 2px,#ddd 2px 6px);"
    "opacity:.8;border-left:1px solid #333;border-right:1px solid #333}"
    ".collapsed{color:#b00;font-size:12px;margin:.3em 0}.axis{display:flex;justify-content:space-between;font-size:11px}"
    "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:3px 6px;font-size:12px}"
    ".timeline{position:relative;height:28px;background:#eee}.bar{position:absolute;top:2px;height:24px;color:#fff;"
    "font-size:11px;overflow:hidden;white-space:nowrap;background:#4c72b0}.warn{color:#b00}"
)

ROW_PX = 24  # a lane's row: an item's 22 px and a gap

# Seek on click; move the playhead and mark the items under it as the video plays.
PAGE_SCRIPT = """
const video = document.querySelector('video');
const duration = parseFloat(document.body.dataset.duration);
const items = Array.from(document.querySelectorAll('.item'));
items.forEach(el => el.addEventListener('click', () => { if (video) { video.currentTime = parseFloat(el.dataset.start); } }));
function mark() {
  const t = video ? video.currentTime : 0;
  document.querySelectorAll('.playhead').forEach(h => { h.style.left = (100 * t / duration) + '%'; });
  items.forEach(el => el.classList.toggle('now', t >= parseFloat(el.dataset.start) && t < parseFloat(el.dataset.end)));
  document.getElementById('clock').textContent = t.toFixed(1) + ' s';
}
if (video) { video.addEventListener('timeupdate', mark); video.addEventListener('seeked', mark); }
// Opened from a linked video at the moment they share (#t=12.5): start there.
const at = location.hash.match(/^#t=([0-9.]+)$/);
if (video && at) { video.addEventListener('loadedmetadata', () => { video.currentTime = parseFloat(at[1]); }, {once: true}); }
mark();
"""


def gap_bands(gaps, duration: float) -> str:
    """Hatched bands over a lane where the video or audio could not be decoded (media/gaps.py)."""
    if duration <= 0:
        return ""
    return "".join(f'<div class="gap" data-gap="{a:.2f}-{b:.2f}" style="left:{100 * a / duration:.2f}%;'
                   f'width:{max(0.4, 100 * (min(b, duration) - a) / duration):.2f}%" title="not decodable: {a:.2f}-{b:.2f} s"></div>'
                   for a, b in gaps if a < duration)


def track_html(track: Track, duration: float, gaps=()) -> str:
    """One lane: an item per span (left and width in % of the video), its label as text and title;
    ``gaps`` (the stretches its input could not decode) hatched over it. Without a duration there is
    no timeline to place items on: the lane says so instead of dividing by zero."""
    if duration <= 0:
        return (f'<div class="track" data-track="{html.escape(track.name)}"><h4>{html.escape(track.name)}</h4>'
                f'<p class="gaps">{len(track.items)} item(s); no timeline: the video\'s duration is unknown</p></div>')
    items, row_ends = [], []
    for start, end, label in sorted(track.items, key=lambda it: (it[0], it[1])):
        left = 100 * start / duration if duration > 0 else 0.0
        moment = end <= start
        width = 0.0 if moment else max(0.6, 100 * (end - start) / duration)
        # Spans that overlap go on rows of their own (the first row free at their start), so four
        # re-uploads of one whole clip are four readable bars, not one bar over three.
        row = next((r for r, e in enumerate(row_ends) if e <= left), len(row_ends))
        row_ends[row:row + 1] = [left + max(width, 0.3)]
        items.append(
            f'<div class="item{" moment" if moment else ""}" data-start="{start:.3f}" data-end="{max(end, start + 0.25):.3f}" '
            f'data-row="{row}" style="left:{left:.2f}%;width:{width:.2f}%;top:{2 + ROW_PX * row}px;background:{track.color}" '
            f'title="{start:.2f}-{end:.2f} s: {html.escape(label)}">{"" if moment else html.escape(label)}</div>')
    empty = "" if items else '<span style="font-size:11px;color:#777;padding-left:4px">none</span>'
    height = f' style="height:{26 + ROW_PX * (len(row_ends) - 1)}px"' if len(row_ends) > 1 else ""
    return (f'<div class="track" data-track="{html.escape(track.name)}"><h4>{html.escape(track.name)}</h4>'
            f'<div class="lane"{height}>{"".join(items)}{empty}{gap_bands(gaps, duration)}<div class="playhead"></div></div></div>')


def collapsed_html(analyzer: str, weights: str) -> str:
    return (f'<p class="collapsed" data-collapsed="{html.escape(analyzer)}">{html.escape(analyzer)}: weights '
            f"{html.escape(weights)} - plumbing and speed only, not results (hidden)</p>")


def by_cause(failed: dict[str, str]) -> list[tuple[str, str]]:
    """(steps, cause) with the steps that failed for one cause together ('audio_track, video_frames')."""
    causes: dict[str, list[str]] = {}
    for step, cause in failed.items():
        causes.setdefault(cause, []).append(step)
    return [(", ".join(sorted(steps)), cause) for cause, steps in causes.items()]


def failed_html(failed: dict[str, str]) -> str:
    """What did not materialize and why, one line per cause, above everything else on the page."""
    if not failed:
        return ""
    lines = "".join(f"<li><b>{html.escape(steps)}</b>: {html.escape(cause)}</li>" for steps, cause in by_cause(failed))
    return f'<div class="failed" data-failed="{len(failed)}"><b>Partial results: what failed and why</b><ul>{lines}</ul></div>'


def gaps_html(gaps: dict[str, list]) -> str:
    """The line naming the damaged stretches decoded around (hatched on the timeline)."""
    named = "; ".join(describe(g, what) for what, g in gaps.items() if g)
    return (f'<p class="gaps" data-gaps="{html.escape(named)}">Damaged, decoded around (hatched on the timeline; '
            f"the analyzers saw what could be decoded): {html.escape(named)}</p>") if named else ""


def video_page(key: str, duration_s: float, video_src: str | None, tables: dict[str, dict[str, pd.DataFrame]],
               weights: dict[str, str], analyzers, contact_sheet: bytes = b"", corpus_link: str = "../report.html",
               gaps: dict[str, list] | None = None, failed: dict[str, str] | None = None,
               linked: tuple[list[Track], str] | None = None) -> str:
    """The page of one video. ``tables``: analyzer -> table name -> DataFrame; ``weights``: analyzer
    -> its weights label; ``video_src``: the player's source relative to the page (None: no player);
    ``gaps``: decoded input ('video_frames', 'audio_track') -> its decode gaps; ``failed``: step ->
    one-line cause, for a partition that failed whole or part-way (shown with what it has);
    ``linked``: the same-sound and same-footage tracks and the linked videos (``report.linked``)."""
    gaps = gaps or {}
    lanes, sections = [], []
    for analyzer in analyzers:
        mine = tables.get(analyzer.name)
        label = weights.get(analyzer.name, "")
        if mine is None:
            continue
        if label and label != "real":
            lanes.append(collapsed_html(analyzer.name, label))
            sections.append(f"<h3>{html.escape(analyzer.report_title or analyzer.name)}</h3>{collapsed_html(analyzer.name, label)}")
            continue
        lanes += [track_html(t, duration_s, gaps.get(analyzer.input, ())) for t in analyzer.tracks(mine, duration_s)]
        sections.append(f"<h3>{html.escape(analyzer.report_title or analyzer.name)}</h3>{analyzer.report_section(mine, duration_s)}")
    link_tracks, link_list = linked or ([], "")
    lanes += [track_html(t, duration_s) for t in link_tracks]
    player = (f'<video controls preload="metadata" src="{html.escape(video_src)}"></video>' if video_src
              else "<p><em>the video file was not found in the corpus when the report was written</em></p>")
    axis = f'<div class="axis"><span>0 s</span><span id="clock">0.0 s</span><span>{duration_s:.1f} s</span></div>'
    named = {"video": gaps.get("video_frames", []), "audio": gaps.get("audio_track", [])}
    body = (f'<p><a href="{html.escape(corpus_link)}">&larr; the corpus</a></p><h1>{html.escape(key)} ({duration_s:.1f} s)</h1>'
            f'{failed_html(failed or {})}{gaps_html(named)}<div class="player">{player}<div class="tracks">{axis}{"".join(lanes)}</div></div>'
            f"{link_list}<h2>Tables</h2>{html_img(contact_sheet, f'{key} contact sheet', 540) if contact_sheet else ''}{''.join(sections)}")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(key)} - video-assets</title>"
            f"<style>{PAGE_STYLE}</style></head><body data-duration='{max(duration_s, 1e-6):.3f}'>{body}"
            f"<script>{PAGE_SCRIPT}</script></body></html>")
