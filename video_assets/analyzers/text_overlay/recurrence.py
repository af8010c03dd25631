"""Scene text told apart by what it does: a printed text seen again and again as the picture zooms
or pans (issue #49 item 5). Apart from ``segments.py``, which merges readings into segments and
asks this module which of them are one moving print."""

from __future__ import annotations

import itertools

from video_assets.analyzers.text_overlay.text import cer

# A box that moved more than this many of its own heights, or this share of the frame height,
# between its samples moves with the picture.
MOTION_HEIGHTS = 0.5
MOTION_FRAME = 0.02


def centre(box: tuple[float, float, float, float]) -> tuple[float, float]:
    return (box[0] + box[2]) / 2, (box[1] + box[3]) / 2


def segment_text(texts: dict[str, int]) -> str:
    """A segment's text: the reading seen most often, or among readings with its letters that
    differ only in spaces, the one with the most words (a recognizer drops spaces, rarely adds one)."""
    best = max(texts.items(), key=lambda kv: kv[1])[0]
    letters = best.replace(" ", "")
    return max((t for t in texts if t.replace(" ", "") == letters), key=lambda t: (len(t.split()), texts[t], t == best))


# Text seen again and again as it moves with the picture: segments whose letters are within
# RECUR_CER of each other (``YALANA``, ``YALAHA``, ``YAMAHA``: one brand read as the photo zooms), in
# places within RECUR_HEIGHTS of their heights, each within RECUR_S of the last.
RECUR_CER, RECUR_HEIGHTS, RECUR_S = 1 / 3, 3.0, 5.0
# ... are scene when, from one to another, the box grew or shrank by this ratio or its centre moved
# (MOTION_HEIGHTS of its height or MOTION_FRAME of the frame): a zoom or pan carried it.
RECUR_SCALE = 1.2


def moving_recurrences(segments: list[dict], aspect: float) -> set[int]:
    """Ids of segments that are one printed text seen again as the picture zooms or pans: each is
    read on a sample or two and lost, so no single segment shows the motion (on real_german_zoom the
    motorcycle's YAMAHA made four such segments over 4-12 s, its box growing from 0.032 to 0.048 of
    the frame high). A caption shown again in its place keeps its box: not moved."""
    def near(a: dict, b: dict) -> bool:
        (ax, ay), (bx, by) = centre(a["box"]), centre(b["box"])
        h = max(a["box"][3] - a["box"][1], b["box"][3] - b["box"][1])
        gap = max(b["start"] - a["last"], a["start"] - b["last"])
        return (gap <= RECUR_S and ((ax - bx) * aspect) ** 2 + (ay - by) ** 2 <= (RECUR_HEIGHTS * h) ** 2
                and cer(segment_text(a["texts"]), segment_text(b["texts"])) <= RECUR_CER)

    def moved(a: dict, b: dict) -> bool:
        ha, hb = a["box"][3] - a["box"][1], b["box"][3] - b["box"][1]
        (ax, ay), (bx, by) = centre(a["box"]), centre(b["box"])
        shift = (((ax - bx) * aspect) ** 2 + (ay - by) ** 2) ** 0.5
        return max(ha, hb) > RECUR_SCALE * min(ha, hb) or shift > min(MOTION_HEIGHTS * min(ha, hb), MOTION_FRAME)

    group = {id(s): id(s) for s in segments}

    def root(k: int) -> int:
        while group[k] != k:
            k = group[k]
        return k

    for a, b in itertools.combinations(segments, 2):
        if near(a, b):
            group[root(id(a))] = root(id(b))
    members: dict[int, list[dict]] = {}
    for seg in segments:
        members.setdefault(root(id(seg)), []).append(seg)
    return {id(s) for grp in members.values() if len(grp) > 1 and any(moved(a, b) for a, b in itertools.combinations(grp, 2)) for s in grp}
