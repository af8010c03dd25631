"""What travels between videos, where a person reads the report (issue #52).

On a video's page: a "same sound" and a "same footage" track (where in this video it is shared)
and, under the player, each linked video with a link that opens its page at the matching moment
(``#t=<seconds>``, which the page's script seeks to). On the corpus page: the sounds used most and
the re-upload groups, each with its videos. Input is the links layer's tables as plain DataFrames
(``matches``: ``links.groups.MATCHES_SCHEMA``; ``sounds``, ``reuploads``), so this stays pure."""

from __future__ import annotations

import html

import pandas as pd

from video_assets.analyzers.base import Track

_NAMES = {"sound": "same sound", "reupload": "same footage", "shared_footage": "same footage"}
_COLORS = {"same sound": "#8c564b", "same footage": "#17becf"}


def _sides(key: str, matches: pd.DataFrame):
    """Each match of ``key`` seen from ``key``: (kind, other, my start, my end, their start, row)."""
    if matches is None or matches.empty:
        return
    for m in matches.itertuples():
        if m.query == key:
            yield m.kind, m.other, m.query_start_s, m.query_end_s, m.other_start_s, m
        elif m.other == key:
            yield m.kind, m.query, m.other_start_s, m.other_end_s, m.query_start_s, m


def _what(m) -> str:
    if m.kind == "sound":
        return f"same sound, speed {m.speed:.2f}x" if abs(m.speed - 1.0) >= 0.02 else "same sound"
    return ("re-upload" if m.kind == "reupload" else "shared footage") + (", mirrored" if m.mirrored else "") + f", {m.score:.0%} of frames"


def page_links(key: str, matches: pd.DataFrame | None, pages: dict[str, str]) -> tuple[list[Track], str]:
    """(the two tracks, the list of linked videos) of one video's page. ``pages``: video -> its
    page's file name beside this one (a video without a page is named, not linked)."""
    tracks = {name: Track(name, [], _COLORS[name]) for name in ("same sound", "same footage")}
    rows = []
    for kind, other, start, end, theirs, m in sorted(_sides(key, matches), key=lambda s: (s[2], s[1])):
        tracks[_NAMES[kind]].items.append((float(start), float(end), other))
        target = (f'<a href="{html.escape(pages[other])}#t={theirs:.1f}">{html.escape(other)}</a>' if other in pages
                  else html.escape(other))
        rows.append(f'<li data-link="{html.escape(kind)}">{target}: {html.escape(_what(m))}; here {start:.1f}-{end:.1f} s, '
                    f"there from {theirs:.1f} s</li>")
    listing = (f'<div class="linked"><h3>Linked videos</h3><ul>{"".join(rows)}</ul></div>' if rows else "")
    return list(tracks.values()), listing


def corpus_links_html(sounds: pd.DataFrame | None, reuploads: pd.DataFrame | None, link, most: int = 20) -> str:
    """The corpus page's section: sounds by number of uses, then re-upload groups and shared shots.
    ``link``: video -> its anchor."""
    if (sounds is None or sounds.empty) and (reuploads is None or reuploads.empty):
        return ('<section id="links"><h2>Shared sounds and footage</h2><p>No sound or footage is shared between the '
                "videos (or the links have not been computed: links_job).</p></section>")
    parts = ['<section id="links"><h2>Shared sounds and footage</h2>']
    if sounds is None or sounds.empty:
        parts.append("<p>No sound is used by two or more videos.</p>")
    else:
        rows = "".join(
            f'<tr data-sound="{html.escape(s.sound_id)}"><td>{html.escape(s.sound_id)}</td><td>{int(s.uses)}</td>'
            f"<td>{', '.join(f'{link(v)} ({a:.1f} s, {sp:.2f}x)' for v, a, sp in zip(s.videos, s.starts_s, s.speeds))}</td></tr>"
            for s in sounds.sort_values(["uses", "sound_id"], ascending=[False, True]).head(most).itertuples())
        parts.append("<h3>Sounds used most</h3><table><tr><th>sound</th><th>videos</th><th>each video (where it starts using it, "
                     f"speed against the first)</th></tr>{rows}</table>")
    if reuploads is not None and not reuploads.empty:
        rows = "".join(
            f'<tr data-group="{html.escape(g.group_id)}"><td>{html.escape(g.kind.replace("_", " "))}</td><td>{link(g.first_video)}</td>'
            f"<td>{', '.join(f'{link(v)} ({s:.0%})' for v, s in zip(g.videos, g.shares))}</td></tr>"
            for g in reuploads.itertuples())
        parts.append("<h3>Re-uploads and shared footage</h3><table><tr><th>kind</th><th>first</th><th>videos (share of frames "
                     f"matched)</th></tr>{rows}</table>")
    return "".join(parts) + "</section>"
