"""One chunk, one reading: a recognized line cut to the caption's own letters.

The detector, on its reduced canvas, sometimes joins a caption with bright picture beside it (the
rocket at the astronaut's right, a lamp): the box then reaches the frame's edge and recognition
reads a letter or two out of the picture (``HOW`` + ``T``, ``TELLS YOU`` + ``A``). This is fixed
from where the recognizer put each character (``Line.glyphs``): characters are split where two
neighbours are further apart than ``FAR_PITCHES`` times the line's median character pitch; a
group of at most ``STRAY_MAX`` characters beside a larger group is picture, not caption, and is
dropped. The box is cut to the characters kept (half a pitch beyond the outer ones), and the
confidence becomes the mean over them, so a trailing blank the recognizer doubted no longer sinks
a clean reading below the engine's floor.

Spaces the recognizer drops (``ANDIT`` for ``AND IT``) are not restored from pixels: measured on
the sample corpus, the ink gap between words (0.0-0.5 of a pitch, median 0.51) overlaps the gap
inside words (up to 0.47: the opening of a ``C``, a narrow ``l``), and inserting spaces broke
static captions (``We a re late``). ``segments.merge_segments`` prefers, among readings of one
caption that differ only in spaces, the one with the most words instead.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from video_assets.analyzers.text_overlay.blocks import Line

FAR_PITCHES = 2.5
STRAY_MAX = 2


def tidy(line: Line) -> Line:
    """The line cut to the caption's characters, confidence over what is kept. A line without
    glyph positions (EasyOCR), or of one character, only has its ends trimmed."""
    glyphs = [g for g in (line.glyphs or ()) if g[0].strip() or g[0] == " "]
    letters = [g for g in glyphs if g[0] != " "]
    if len(letters) < 2:
        return replace(line, text=line.text.strip())
    xs = [g[1] for g in letters]
    pitch = float(np.median(np.diff(xs))) or 1.0
    groups: list[list[int]] = [[0]]
    for k in range(1, len(letters)):
        (groups[-1].append(k) if xs[k] - xs[k - 1] <= FAR_PITCHES * pitch else groups.append([k]))
    main = max(groups, key=len)
    keep = [k for grp in groups if grp is main or len(grp) > STRAY_MAX for k in grp]
    lo, hi = letters[keep[0]][1], letters[keep[-1]][1]
    kept = [g for g in glyphs if lo <= g[1] <= hi and not (g[0] == " " and g[1] in (lo, hi))]
    text = "".join(g[0] for g in kept)
    box = (max(line.box[0], lo - pitch / 2), line.box[1], min(line.box[2], hi + pitch / 2), line.box[3])
    confidence = float(np.mean([g[2] for g in kept if g[0] != " "]))
    return replace(line, text=" ".join(text.split()), box=box, confidence=confidence, glyphs=tuple(kept))
