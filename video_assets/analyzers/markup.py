"""HTML pieces every report section is made of: a table, an inlined image, a track of labelled
bars on a time axis. Here, below the analyzers (whose ``report_section`` uses them) and the report
(which lays the sections out), so neither imports the other for them."""

from __future__ import annotations

import base64
import html

import pandas as pd

from video_assets.media.images import image_mime


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


def track_html(spans: list[tuple[float, float, str]], duration: float, color: str = "#4c72b0", empty: str = "nothing") -> str:
    """Labelled bars on a time axis, one report track (captions, faces, music, ...): ``spans`` are
    (start s, end s, label). Here, below every analyzer and the report, so each analyzer's section
    draws its track the same way."""
    if not spans or duration <= 0:
        return f"<p><em>{html.escape(empty)}</em></p>"
    bars = []
    for start, end, label in spans:
        left = 100 * start / duration
        width = max(0.5, 100 * (end - start) / duration)
        bars.append(f'<div class="bar" style="left:{left:.1f}%;width:{width:.1f}%;background:{color}" '
                    f'title="{start:.1f}-{end:.1f} s">{html.escape(label)}</div>')
    return f'<div class="timeline">{"".join(bars)}</div><div class="axis"><span>0 s</span><span>{duration:.1f} s</span></div>'
